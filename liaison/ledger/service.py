"""Ledger files uploaded on the web: the dry run kept with its file, the import run once from
it, its progress readable by any process, and the file dropped as soon as it is of no more use
(it holds personal data).

The import runs on the job engine (liaison/jobs.py), queued as the confirmation commits. The
upload's row says where it stands: a worker claims a running upload by a lease noted in its
`result`, and the engine queues again each running upload whose lease has lapsed, as one left by
a worker that died or restarted mid-import (its transaction rolled back, nothing written)."""

import hashlib
import logging
from dataclasses import asdict
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import defer
from sqlmodel import Session, col, select

from liaison.audit.service import record_event, set_actor
from liaison.auth.models import User
from liaison.clock import now
from liaison.config import Settings
from liaison.db import get_engine, reading
from liaison.ledger import importer
from liaison.ledger.models import LedgerUpload, UploadStatus
from liaison.ledger.reader import Source, SourceError, open_source
from liaison.sheets import Problem

log = logging.getLogger("liaison")

MAX_PROBLEMS = 1000  # listed on the page; the count is kept whole
PROGRESS_EVERY = 200  # rows between two writes of the progress to the upload's row
STALE_AFTER = timedelta(hours=24)  # a dry run left unconfirmed this long loses its file
# A worker's hold on the import it runs: renewed by each progress write on PostgreSQL; on SQLite,
# where the import holds the one write lock and nothing is written meanwhile, longer than the
# largest import it allows (LIAISON_SQLITE_IMPORT_MAX_ROWS) takes.
LEASE = timedelta(minutes=15)
UNREADABLE = "文件内容无法读取，请确认是 .xlsx、.xls 或 .ods 工作簿或 CSV 文件"
EXPIRED = "检查后超过 24 小时未确认，文件已删除，请重新上传"
TOO_LARGE = (
    "文件共 {rows} 行，超过本系统（SQLite 数据库）单次导入的上限 {limit} 行：导入期间其他人都无法"
    "保存。请拆分为每个不超过 {limit} 行的文件分别导入，或改用 PostgreSQL 数据库"
)

# Rows gone through by the imports this process is running, by upload id: fresher than the
# row, which on SQLite is only written at the end (the import holds the one write lock).
_running: dict[int, int] = {}


class UploadRefused(Exception):
    """Why an upload cannot be imported (now), in Chinese."""


def _result(plan: importer.Plan) -> dict[str, Any]:
    return {
        "counts": {sheet: asdict(counts) for sheet, counts in plan.counts().items()},
        "problems": [[p.sheet, p.row, p.column, p.reason] for p in plan.problems[:MAX_PROBLEMS]],
        "problem_count": len(plan.problems),
    }


def dry_run(settings: Settings, data: bytes, filename: str) -> importer.Plan:
    """Check a file against the database as it stands, in a session of its own that only reads
    (no write lock on SQLite) and is rolled back; SourceError when the file cannot be read."""
    with Session(reading(get_engine())) as session:
        try:
            with open_source(data, filename) as source:
                return _check(session, source, settings)
        except (SourceError, SQLAlchemyError):
            raise
        except Exception as exc:  # openpyxl and zipfile fail in many ways on a damaged file
            log.exception("ledger file %r unreadable", filename)
            raise SourceError(UNREADABLE) from exc
        finally:
            session.rollback()


def _check(session: Session, source: Source, settings: Settings) -> importer.Plan:
    """The importer's check, and on SQLite the largest file the web imports. An import is one
    transaction (all or nothing), so on SQLite it holds the only write lock from its first
    write to its commit: every other write in the app waits for it, then is refused (503).
    Batches would bound that, and break all or nothing; so a file above the limit is refused
    instead, before anything is written (LIAISON_SQLITE_IMPORT_MAX_ROWS)."""
    plan = importer.check(session, source, settings)
    limit = settings.sqlite_import_max_rows
    if session.get_bind().dialect.name == "sqlite" and plan.total > limit:
        reason = TOO_LARGE.format(rows=plan.total, limit=limit)
        plan.problems.insert(0, Problem("", 0, "", reason))
    return plan


def check_upload(
    session: Session, settings: Settings, *, data: bytes, filename: str, by_user_id: int | None
) -> LedgerUpload:
    """The dry run of an uploaded file, kept with its report; the file itself only when it
    can be imported. Raises SourceError for a file that cannot be read; the caller commits."""
    plan = dry_run(settings, data, filename)
    expire_stale(session)
    upload = LedgerUpload(
        filename=filename,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        data=data if plan.ok else b"",
        total=plan.total,
        result=_result(plan),
        created_by_id=by_user_id,
    )
    session.add(upload)
    session.flush()
    return upload


def expire_stale(session: Session) -> None:
    """Dry runs left unconfirmed for a day lose their file and can no longer be imported."""
    stale = session.exec(
        select(LedgerUpload)
        .options(defer(LedgerUpload.data))  # type: ignore[arg-type]
        .where(
            LedgerUpload.status == UploadStatus.CHECKED.value,
            col(LedgerUpload.created_at) < now() - STALE_AFTER,
        )
    ).all()
    for upload in stale:
        _finish(upload, UploadStatus.FAILED, {**(upload.result or {}), "error": EXPIRED})
        session.add(upload)


def get_upload(session: Session, upload_id: int) -> tuple[LedgerUpload, User | None] | None:
    """An upload (without its file) and who uploaded it."""
    row = session.exec(
        select(LedgerUpload, User)
        .options(defer(LedgerUpload.data))  # type: ignore[arg-type]
        .join(User, col(User.id) == LedgerUpload.created_by_id, isouter=True)
        .where(LedgerUpload.id == upload_id)
    ).first()
    return (row[0], row[1]) if row else None


def recent_uploads(session: Session, limit: int = 10) -> list[tuple[LedgerUpload, User | None]]:
    """The last uploads (without their files), newest first, with who uploaded them."""
    rows = session.exec(
        select(LedgerUpload, User)
        .options(defer(LedgerUpload.data))  # type: ignore[arg-type]
        .join(User, col(User.id) == LedgerUpload.created_by_id, isouter=True)
        .order_by(col(LedgerUpload.created_at).desc(), col(LedgerUpload.id).desc())
        .limit(limit)
    ).all()
    return [(upload, user) for upload, user in rows]


def _locked(session: Session, upload_id: int) -> LedgerUpload | None:
    """The upload's row, locked for this transaction (on SQLite: the write lock), its file
    left unread."""
    return session.exec(
        select(LedgerUpload)
        .options(defer(LedgerUpload.data))  # type: ignore[arg-type]
        .where(LedgerUpload.id == upload_id)
        .with_for_update()
    ).first()


def start_import(session: Session, upload_id: int, user_id: int | None) -> LedgerUpload:
    """Mark a clean dry run as running, once: a second click, or another process, is refused.
    Only the keeper who uploaded and read the dry run confirms it: another keeper would import
    a file he has not checked, on someone else's word. The caller commits; the job engine then
    runs `run_import`, or the caller itself does."""
    upload = _locked(session, upload_id)
    if upload is None:
        raise LookupError(upload_id)
    if upload.status == UploadStatus.RUNNING:
        raise UploadRefused("此文件正在导入")
    if upload.status != UploadStatus.CHECKED:
        raise UploadRefused("此文件已处理过，如需再次导入请重新上传")
    if (upload.result or {}).get("problem_count"):
        raise UploadRefused("检查发现错误的文件不能导入，请修改后重新上传")
    if upload.created_at < now() - STALE_AFTER:
        raise UploadRefused(EXPIRED)
    if upload.created_by_id != user_id:
        raise UploadRefused("只有上传并检查此文件的人才能确认导入；如需导入，请自行上传并检查")
    upload.status, upload.done = UploadStatus.RUNNING.value, 0
    session.add(upload)
    session.flush()
    session.info.setdefault("ledger_imports", []).append(upload.id)  # queued after the commit
    record_event(
        session,
        "ledger_import",
        object_type="LedgerUpload",
        object_id=upload.id,
        detail={"filename": upload.filename, "sha256": upload.sha256, "rows": upload.total},
    )
    return upload


def progress(upload: LedgerUpload) -> int:
    """Rows gone through: this process's count while it runs the import, else the row's."""
    return _running.get(upload.id or 0, upload.done)


def _leased(result: dict[str, Any] | None) -> dict[str, Any]:
    return {**(result or {}), "lease_until": (now() + LEASE).isoformat()}


def _lease_lapsed(upload: LedgerUpload) -> bool:
    until = (upload.result or {}).get("lease_until")
    return until is None or datetime.fromisoformat(until) < now()


def claim_import(upload_id: int) -> LedgerUpload | None:
    """Take a running upload whose lease is free or lapsed, for LEASE, in a short transaction
    of its own (the row locked, on SQLite the write lock): two workers never run one import.
    None when it is not running, or a live worker holds it."""
    with Session(get_engine(), expire_on_commit=False) as session:
        upload = _locked(session, upload_id)
        if upload is None or upload.status != UploadStatus.RUNNING or not _lease_lapsed(upload):
            return None
        upload.result, upload.done = _leased(upload.result), 0
        session.add(upload)
        session.commit()
        return upload


def abandoned_imports() -> list[int]:
    """The running uploads no live worker holds: lapsed leases, or not yet claimed."""
    with Session(reading(get_engine())) as session:
        running = session.exec(
            select(LedgerUpload)
            .options(defer(LedgerUpload.data))  # type: ignore[arg-type]
            .where(LedgerUpload.status == UploadStatus.RUNNING.value)
        ).all()
        return [upload.id for upload in running if upload.id and _lease_lapsed(upload)]


class _Progress:
    """Counts rows as the import goes: in memory for this process's pages, and every
    PROGRESS_EVERY rows in the upload's row, with the lease renewed, committed on a connection
    of its own, for the other processes' (not on SQLite, where that write would wait for the
    import itself)."""

    def __init__(self, upload_id: int, result: dict[str, Any] | None) -> None:
        self.upload_id, self.result, self.done, self.written = upload_id, result, 0, 0
        self.engine = get_engine()
        self.to_row = self.engine.dialect.name != "sqlite"

    def __call__(self, rows: int) -> None:
        self.done += rows
        _running[self.upload_id] = self.done
        if self.to_row and self.done - self.written >= PROGRESS_EVERY:
            self.written = self.done
            try:
                with self.engine.begin() as connection:
                    connection.execute(
                        sa.update(LedgerUpload)
                        .where(col(LedgerUpload.id) == self.upload_id)
                        .values(done=self.done, result=_leased(self.result))
                    )
            except SQLAlchemyError:  # progress is for the eye; the import goes on
                log.warning("ledger import %s: progress not saved", self.upload_id, exc_info=True)


def _finish(upload: LedgerUpload, status: UploadStatus, result: dict[str, Any]) -> None:
    upload.status, upload.result, upload.finished_at = status.value, result, now()
    upload.data = b""  # personal data: not kept once the file can no longer be imported


def run_import(upload_id: int, settings: Settings) -> None:
    """Claim a started upload and import it in a session and transaction of its own, as its
    uploader (who confirmed it) for the audit log: checked again first (the database may have
    changed since the dry run), then written whole, or, on any error, not at all."""
    claimed = claim_import(upload_id)
    if claimed is None:
        log.info("ledger import %s: not running, or run by another worker", upload_id)
        return
    user_id = claimed.created_by_id
    _running[upload_id] = 0
    try:
        with Session(get_engine(), expire_on_commit=False) as session:
            uploader = session.get(User, user_id) if user_id else None
            set_actor(session, user_id=user_id, name=uploader.username if uploader else "")
            try:
                _import(session, settings, upload_id, user_id)
                session.commit()
            except Exception as exc:
                session.rollback()
                log.exception("ledger import %s failed", upload_id)
                reason = "数据库写入出错" if isinstance(exc, SQLAlchemyError) else str(exc)
                _fail(
                    session, upload_id, f"导入失败，未写入任何数据：{reason or type(exc).__name__}"
                )
    finally:
        _running.pop(upload_id, None)


def _import(session: Session, settings: Settings, upload_id: int, user_id: int | None) -> None:
    # Nothing touches the upload's row until the end, so that the progress writes of
    # _Progress (another connection) never wait for this transaction's lock on it.
    upload = session.get(LedgerUpload, upload_id)
    if upload is None or upload.status != UploadStatus.RUNNING:
        log.warning("ledger import %s: not running, nothing done", upload_id)
        return
    with open_source(upload.data, upload.filename) as source:
        plan = _check(session, source, settings)
    if not plan.ok:
        message = f"数据已有变化，重新检查发现 {len(plan.problems)} 处错误，未导入任何数据"
        _finish(upload, UploadStatus.FAILED, {**_result(plan), "error": message})
        session.add(upload)
        return
    importer.apply(session, plan, by_user_id=user_id, progress=_Progress(upload_id, upload.result))
    upload.total = upload.done = plan.total
    _finish(upload, UploadStatus.DONE, _result(plan))
    session.add(upload)


def _fail(session: Session, upload_id: int, message: str) -> None:
    try:
        upload = session.get(LedgerUpload, upload_id)
        if upload is not None:
            _finish(upload, UploadStatus.FAILED, {**(upload.result or {}), "error": message})
            session.add(upload)
            session.commit()
    except SQLAlchemyError:
        session.rollback()
        log.exception("ledger import %s: could not record the failure", upload_id)
