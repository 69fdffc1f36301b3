"""The ledger (台账) pages: the template and the whole ledger to download, an upload's dry run,
and its import, run in the background while the page shows its progress."""

import tempfile
from collections.abc import Callable, Iterator
from typing import IO, Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import Response, StreamingResponse
from sqlmodel import Session
from starlette.datastructures import UploadFile

from liaison import downloads
from liaison.attachments.service import clean_name
from liaison.auth.deps import Principal, SettingsDep
from liaison.auth.models import User
from liaison.auth.policy import Action, can, require_action
from liaison.clock import today
from liaison.config import Settings
from liaison.db import SessionDep
from liaison.forms import PostedForm
from liaison.ledger import exporter, schema, service
from liaison.ledger.models import LedgerUpload, UploadStatus
from liaison.ledger.reader import SourceError
from liaison.web import redirect, render

router = APIRouter()
KeeperDep = Annotated[Principal, Depends(require_action(Action.LEDGER_KEEP))]
ExporterDep = Annotated[Principal, Depends(require_action(Action.LEDGER_EXPORT))]
UPLOAD_LIMIT = 50 * 1024 * 1024
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SPOOL_BYTES = 8 * 1024 * 1024  # a larger export goes to a temporary file, not memory
STATUS_LABELS = {
    UploadStatus.CHECKED.value: "待确认",
    UploadStatus.RUNNING.value: "导入中",
    UploadStatus.DONE.value: "已导入",
    UploadStatus.FAILED.value: "未导入",
}

# Tests set this to False to find the import finished when the confirming POST returns.
run_in_background = True


# ---- the page and the downloads --------------------------------------------------------


def _summary(upload: LedgerUpload) -> dict[str, Any]:
    """What a list shows of an upload: its status in words and its counts summed."""
    result = upload.result or {}
    counts = result.get("counts", {}).values()
    problems = result.get("problem_count", 0)
    label = STATUS_LABELS.get(upload.status, upload.status)
    if upload.status == UploadStatus.CHECKED and problems:
        label = "有错误"
    return {
        "label": label,
        "problems": problems,
        "error": result.get("error", ""),
        "added": sum(c["added"] for c in counts),
        "updated": sum(c["updated"] for c in counts),
        "unchanged": sum(c["unchanged"] for c in counts),
    }


def _index(request: Request, session: Session, error: str | None = None) -> Response:
    uploads = [(upload, user, _summary(upload)) for upload, user in service.recent_uploads(session)]
    return render(
        request,
        "ledger/index.html",
        {
            "uploads": uploads,
            "sheets": schema.SHEETS,
            "error": error,
            "can_export": can(request.state.principal, Action.LEDGER_EXPORT),
        },
        status_code=422 if error else 200,
    )


@router.get("/ledger")
def ledger_page(request: Request, session: SessionDep, _keeper: KeeperDep) -> Response:
    return _index(request, session)


def _chunks(file: IO[bytes]) -> Iterator[bytes]:
    try:
        while chunk := file.read(64 * 1024):
            yield chunk
    finally:
        file.close()


def _download(
    write: Callable[[IO[bytes]], None], filename: str, ascii_name: str, media_type: str
) -> Response:
    """A file made by `write`, sent as an attachment named `filename` (RFC 6266: `ascii_name`
    for clients that know no UTF-8 names)."""
    file = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)  # noqa: SIM115  (closed by _chunks)
    try:
        write(file)
        size = file.tell()
        file.seek(0)
    except BaseException:
        file.close()
        raise
    return StreamingResponse(
        _chunks(file),
        media_type=media_type,
        headers={
            "Content-Disposition": (
                f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"
            ),
            "Content-Length": str(size),
        },
    )


@router.get("/ledger/template.xlsx")
def ledger_template(_keeper: KeeperDep) -> Response:
    """The empty workbook: headers with their notes, drop-down lists for the choices."""
    return _download(
        lambda out: exporter.write_workbook(None, out),
        "台账模板.xlsx",
        "ledger-template.xlsx",
        XLSX,
    )


def _export(
    session: Session, write: Callable[[IO[bytes]], None], extension: str, media_type: str
) -> Response:
    """The whole ledger, every number whole (it must import back as it is): only those of
    LEDGER_EXPORT take it, and each time is an audit event."""
    day = f"{today():%Y%m%d}"
    filename = f"台账-{day}{extension}"
    response = _download(write, filename, f"ledger-{day}{extension}", media_type)
    downloads.record_export(session, "LedgerWorkbook", filename)
    return response


@router.get("/ledger/export.xlsx")
def ledger_export(session: SessionDep, _exporter: ExporterDep) -> Response:
    return _export(session, lambda out: exporter.write_workbook(session, out), ".xlsx", XLSX)


@router.get("/ledger/export.zip")
def ledger_export_csv(session: SessionDep, _exporter: ExporterDep) -> Response:
    return _export(
        session, lambda out: exporter.write_csv_zip(session, out), ".zip", "application/zip"
    )


# ---- an upload: its dry run, its import, its progress -----------------------------------


def _filename(raw: str) -> str:
    """The file's own name, without the folders some browsers send along or a NUL."""
    return clean_name(raw) or "台账"


@router.post("/ledger/check", max_body_size=UPLOAD_LIMIT)
def ledger_check(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    principal: KeeperDep,
    form: PostedForm,
) -> Response:
    """Check an uploaded file and keep the report: nothing is imported yet. A plain `def`: the
    check reads every row and many records, in a worker thread, off the event loop."""
    upload = form.get("file")
    if not isinstance(upload, UploadFile) or not upload.filename:
        return _index(request, session, "请选择要上传的台账文件")
    data = upload.file.read()
    try:
        record = service.check_upload(
            session,
            settings,
            data=data,
            filename=_filename(upload.filename),
            by_user_id=principal.user.id,
        )
    except SourceError as exc:
        session.rollback()
        return _index(request, session, str(exc))
    session.commit()
    return redirect(request, f"/ledger/uploads/{record.id}")


def _found(session: Session, upload_id: int) -> tuple[LedgerUpload, User | None]:
    found = service.get_upload(session, upload_id)
    if found is None:
        raise HTTPException(status_code=404)
    return found


def _upload_page(
    request: Request,
    session: Session,
    upload_id: int,
    *,
    block: str | None = None,
    error: str | None = None,
) -> Response:
    upload, uploader = _found(session, upload_id)
    result = upload.result or {}
    counts = result.get("counts", {})
    return render(
        request,
        "ledger/upload.html",
        {
            "upload": upload,
            "uploader": uploader,
            "mine": upload.created_by_id == request.state.principal.user.id,
            "summary": _summary(upload),
            "done": service.progress(upload),
            "counts": [(sheet.name, counts.get(sheet.name)) for sheet in schema.SHEETS],
            "problems": result.get("problems", []),
            "error": error,
        },
        status_code=409 if error else 200,
        block=block,
    )


@router.get("/ledger/uploads/{upload_id}")
def upload_page(
    request: Request, session: SessionDep, _keeper: KeeperDep, upload_id: int
) -> Response:
    return _upload_page(request, session, upload_id)


@router.get("/ledger/uploads/{upload_id}/progress")
def upload_progress(
    request: Request, session: SessionDep, _keeper: KeeperDep, upload_id: int
) -> Response:
    """The page's outcome section: polled while the import runs, and no more once it ends."""
    return _upload_page(request, session, upload_id, block="outcome")


def _start(upload_id: int, settings: Settings) -> None:
    """The job engine runs the import, queued as the confirmation committed; the tests may run
    it here instead."""
    if not run_in_background:
        service.run_import(upload_id, settings)


@router.post("/ledger/uploads/{upload_id}/import")
def upload_import(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    principal: KeeperDep,
    upload_id: int,
) -> Response:
    """Import a clean dry run's file, in the background; the page follows its progress."""
    try:
        service.start_import(session, upload_id, principal.user.id)
    except LookupError:
        raise HTTPException(status_code=404) from None
    except service.UploadRefused as exc:
        session.rollback()
        return _upload_page(request, session, upload_id, error=str(exc))
    session.commit()  # the import's own session must find it running, and unlocked
    _start(upload_id, settings)
    return redirect(request, f"/ledger/uploads/{upload_id}", "已开始导入")
