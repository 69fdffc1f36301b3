"""`liaison backup FILE` and `liaison restore FILE` (SECURITY.md D8): the whole database (the
business data, the attachment files and the audit log) in one zip that restores into an empty
SQLite or PostgreSQL database, whichever engine it was taken from.

The zip holds `manifest.json` (format, Alembic revision, creation time, engine, rows per table,
the SHA-256 of every other member), `data/<table>.jsonl` (one JSON object per row, in primary
key order) and `files/<sha256>`: every binary value (attachments, kept ledger uploads) as a
file of its own, named by its digest, which the row names in place of the bytes."""

import hashlib
import io
import json
import os
import tempfile
import zipfile
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import IO, Annotated, Any, Literal

import sqlalchemy as sa
import typer
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy.engine import Connection, Engine
from sqlmodel import Session, SQLModel

from liaison import models  # noqa: F401  (every table in the metadata)
from liaison.audit.service import record_event, set_actor
from liaison.clock import local, now
from liaison.commands import fail
from liaison.config import get_settings
from liaison.db import alembic_config, make_engine, reading, upgrade

FORMAT = "liaison-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
BATCH_ROWS = 1000
BATCH_ROWS_WITH_FILES = 16  # a row may carry 2 × 10 MB of attachment: keep memory flat
CHUNK = 1024 * 1024


class BackupError(Exception):
    """A backup or restore refused or failed, with the reason in Chinese."""


@dataclass
class Summary:
    """What a backup holds, or what a restore loaded."""

    path: Path
    created_at: datetime
    revision: str
    engine: str
    tables: dict[str, int]
    files: int
    size: int


def tables() -> list[sa.Table]:
    """Every table, parents before children, which is also the order a restore loads them in."""
    return list(SQLModel.metadata.sorted_tables)


def _migrations() -> ScriptDirectory:
    return ScriptDirectory.from_config(alembic_config())


# How a column's values travel in the JSON lines. Timestamps and dates as ISO text; JSON as
# the very text the database holds (so SQL NULL and JSON null stay apart, and keys keep their
# order); bytes as a member file named by its digest.
Kind = Literal["plain", "json", "file", "datetime", "date"]


def _kind(column: sa.Column[Any]) -> Kind:
    stored = column.type.impl if isinstance(column.type, sa.TypeDecorator) else column.type
    if isinstance(stored, sa.JSON):
        return "json"
    if isinstance(stored, sa.LargeBinary):
        return "file"
    if isinstance(stored, sa.DateTime):
        return "datetime"
    if isinstance(stored, sa.Date):
        return "date"
    return "plain"


def _encode(kind: Kind, value: Any, put_file: Callable[[bytes], str]) -> Any:
    if value is None or kind in ("plain", "json"):
        return value
    if kind == "file":
        return put_file(bytes(value))
    return value.isoformat()


def _decode(kind: Kind, value: Any, get_file: Callable[[str], bytes]) -> Any:
    if value is None or kind in ("plain", "json"):
        return value
    if kind == "file":
        return get_file(value)
    if kind == "datetime":
        return datetime.fromisoformat(value)
    return date.fromisoformat(value)


def _batch_size(table: sa.Table) -> int:
    has_files = any(_kind(c) == "file" for c in table.columns)
    return BATCH_ROWS_WITH_FILES if has_files else BATCH_ROWS


def _current_revision(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


# --- backup -------------------------------------------------------------------------------


def _snapshot(engine: Engine) -> Engine:
    """An engine whose transaction sees one instant of the database for its whole length."""
    if engine.dialect.name == "postgresql":
        return engine.execution_options(isolation_level="REPEATABLE READ", postgresql_readonly=True)
    return reading(engine)  # SQLite in WAL mode: a read transaction is a snapshot


def create(url: str, path: Path) -> Summary:
    """Write a backup of the database at `url` to `path`, replacing it only once complete."""
    if not path.parent.is_dir():
        raise BackupError(f"目录 {path.parent} 不存在")
    partial = path.with_name(path.name + ".partial")
    engine = make_engine(url)
    try:
        # Owner-only: the backup holds personal data and password hashes.
        descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "wb") as out, _snapshot(engine).begin() as connection:
            summary = _write(connection, out, path)
        os.replace(partial, path)
    except sa.exc.SQLAlchemyError as exc:
        raise BackupError(f"读取数据库失败：{exc}") from exc
    except OSError as exc:
        raise BackupError(f"无法写入 {path}：{exc}") from exc
    finally:
        engine.dispose()
        partial.unlink(missing_ok=True)
    summary.size = path.stat().st_size
    return summary


def _write(connection: Connection, out: IO[bytes], path: Path) -> Summary:
    revision = _current_revision(connection)
    head = _migrations().get_current_head()
    if revision is None:
        raise BackupError("数据库尚未初始化（请先运行 liaison init）")
    if revision != head:
        raise BackupError(
            f"数据库版本 {revision} 与本程序的 {head} 不一致：请先运行 liaison init 升级数据库"
        )
    created_at = now()
    stamp = local(created_at).timetuple()[:6]
    members: dict[str, str] = {}
    counts: dict[str, int] = {}
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:

        def put_file(data: bytes) -> str:
            digest = hashlib.sha256(data).hexdigest()
            name = f"files/{digest}"
            if name not in members:  # the same bytes twice are kept once
                info = zipfile.ZipInfo(name, stamp)
                info.compress_type = zipfile.ZIP_STORED  # photos and PDFs are compressed already
                archive.writestr(info, data)
                members[name] = digest
            return digest

        for table in tables():
            name = f"data/{table.name}.jsonl"
            # Rows wait in a spooled file: the zip takes one member at a time, and a table's
            # files go in while its rows are read.
            with tempfile.SpooledTemporaryFile(max_size=16 * CHUNK) as lines:
                counts[table.name] = _dump_table(connection, table, lines, put_file)
                lines.seek(0)
                members[name] = _add_member(archive, zipfile.ZipInfo(name, stamp), lines)
        manifest = {
            "format": FORMAT,
            "version": FORMAT_VERSION,
            "created_at": created_at.isoformat(),
            "revision": revision,
            "engine": connection.dialect.name,
            "tables": counts,
            "members": members,
        }
        archive.writestr(
            zipfile.ZipInfo(MANIFEST, stamp),
            json.dumps(manifest, ensure_ascii=False, indent=1),
            compress_type=zipfile.ZIP_DEFLATED,
        )
    files = sum(name.startswith("files/") for name in members)
    return Summary(path, created_at, revision, connection.dialect.name, counts, files, 0)


def _dump_table(
    connection: Connection, table: sa.Table, out: IO[bytes], put_file: Callable[[bytes], str]
) -> int:
    kinds = [(c.name, _kind(c)) for c in table.columns]
    selected = [sa.cast(c, sa.Text).label(c.name) if _kind(c) == "json" else c for c in table.c]
    query = sa.select(*selected).order_by(*table.primary_key.columns)
    result = connection.execute(query.execution_options(yield_per=_batch_size(table)))
    rows = 0
    for partition in result.partitions():
        for row in partition:
            record = {
                name: _encode(kind, value, put_file)
                for (name, kind), value in zip(kinds, row, strict=True)
            }
            out.write(json.dumps(record, ensure_ascii=False, separators=(",", ":")).encode())
            out.write(b"\n")
            rows += 1
    return rows


def _add_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, source: IO[bytes]) -> str:
    digest = hashlib.sha256()
    info.compress_type = zipfile.ZIP_DEFLATED
    with archive.open(info, "w", force_zip64=True) as member:
        while chunk := source.read(CHUNK):
            digest.update(chunk)
            member.write(chunk)
    return digest.hexdigest()


# --- restore ------------------------------------------------------------------------------


@contextmanager
def _archive_errors() -> Iterator[None]:
    """Whatever a damaged or foreign file breaks while being read, said in one sentence."""
    try:
        yield
    except (zipfile.BadZipFile, zlib.error, EOFError, KeyError, ValueError) as exc:
        raise BackupError(f"备份文件已损坏或不是 Liaison 备份（{exc}）") from exc


def restore(url: str, path: Path) -> Summary:
    """Load the backup at `path` into the empty database at `url`, migrated first to the
    backup's revision (which must be this program's); all of it in one transaction, checked
    against the manifest, or nothing."""
    if not path.is_file():
        raise BackupError(f"找不到备份文件 {path}")
    with _archive_errors(), zipfile.ZipFile(path) as archive:
        manifest = _read_manifest(archive)
        _verify_members(archive, manifest)
        engine = make_engine(url)
        try:
            with reading(engine).connect() as connection:
                _refuse_rows(connection)
            upgrade(url)
            with engine.begin() as connection:
                _refuse_rows(connection)
                counts = _load(connection, archive, manifest)
                _record_restore(connection, path, manifest)
        except CommandError as exc:  # a target at a revision this program does not know
            raise BackupError(f"目标数据库无法迁移：{exc}") from exc
        except sa.exc.SQLAlchemyError as exc:
            raise BackupError(f"恢复失败，已全部撤销，未写入任何数据：{exc}") from exc
        finally:
            engine.dispose()
    files = sum(name.startswith("files/") for name in manifest["members"])
    created_at = datetime.fromisoformat(manifest["created_at"])
    revision, engine_name, size = manifest["revision"], manifest["engine"], path.stat().st_size
    return Summary(path, created_at, revision, engine_name, counts, files, size)


def _read_manifest(archive: zipfile.ZipFile) -> dict[str, Any]:
    manifest = json.loads(archive.read(MANIFEST))
    if (
        not isinstance(manifest, dict)
        or manifest.get("format") != FORMAT
        or manifest.get("version") != FORMAT_VERSION
    ):
        raise BackupError("不是本程序能读的备份格式")
    revision, migrations = manifest["revision"], _migrations()
    head = migrations.get_current_head()
    if revision not in {known.revision for known in migrations.walk_revisions()}:
        raise BackupError(f"备份来自更新版本的程序（数据库版本 {revision}）：请先升级本程序再恢复")
    if revision != head:
        raise BackupError(
            f"备份的数据库版本 {revision} 早于本程序的 {head}：请用备份时的程序版本恢复，"
            "再运行 liaison init 升级"
        )
    expected = {t.name for t in tables()}
    if set(manifest["tables"]) != expected:
        raise BackupError("备份中的表与本程序的表不一致")
    return manifest


def _verify_members(archive: zipfile.ZipFile, manifest: dict[str, Any]) -> None:
    """Every member is listed with its digest and matches it, before the database is touched."""
    members: dict[str, str] = manifest["members"]
    present = set(archive.namelist()) - {MANIFEST}
    if present != set(members):
        odd = sorted(present.symmetric_difference(members))
        raise BackupError(f"备份文件不完整或被改动：{'、'.join(odd[:5])}")
    for name, expected in members.items():
        digest = hashlib.sha256()
        with archive.open(name) as member:
            while chunk := member.read(CHUNK):
                digest.update(chunk)
        if digest.hexdigest() != expected:
            raise BackupError(f"备份文件已损坏：{name} 的校验和不符")


def _refuse_rows(connection: Connection) -> None:
    """A restore writes into an empty database only: nothing there is ever overwritten."""
    existing = set(sa.inspect(connection).get_table_names())
    filled = [
        t.name
        for t in tables()
        if t.name in existing and connection.execute(sa.select(1).select_from(t).limit(1)).first()
    ]
    if filled:
        raise BackupError(
            f"目标数据库不是空的（{'、'.join(filled[:5])} 等表已有数据）："
            "恢复只能写入新建的空数据库"
        )


def _load(
    connection: Connection, archive: zipfile.ZipFile, manifest: dict[str, Any]
) -> dict[str, int]:
    def get_file(digest: str) -> bytes:
        return archive.read(f"files/{digest}")

    counts = {}
    for table in tables():
        _load_table(connection, table, archive, get_file)
        counts[table.name] = connection.execute(
            sa.select(sa.func.count()).select_from(table)
        ).one()[0]
        if counts[table.name] != manifest["tables"][table.name]:
            raise BackupError(
                f"表 {table.name} 恢复了 {counts[table.name]} 行，"
                f"备份记录为 {manifest['tables'][table.name]} 行；已全部撤销"
            )
    _reset_sequences(connection)
    # Fresh planner statistics: without them PostgreSQL plans the restored district as the
    # empty database it was a moment ago (README, Speed).
    connection.exec_driver_sql("ANALYZE")
    return counts


def _insert(table: sa.Table, dialect: str) -> sa.Insert:
    def parameter(column: sa.Column[Any]) -> Any:
        if _kind(column) != "json":
            return sa.bindparam(f"v_{column.name}", type_=column.type)
        # The stored JSON text goes back as it was. PostgreSQL wants it cast to json; SQLite
        # must not cast (CAST AS JSON would mean NUMERIC there).
        text = sa.bindparam(f"v_{column.name}", type_=sa.Text)
        return sa.cast(text, column.type) if dialect == "postgresql" else text

    return sa.insert(table).values({c.name: parameter(c) for c in table.columns})


def _load_table(
    connection: Connection,
    table: sa.Table,
    archive: zipfile.ZipFile,
    get_file: Callable[[str], bytes],
) -> None:
    kinds = [(c.name, _kind(c)) for c in table.columns]
    statement = _insert(table, connection.dialect.name)
    size = _batch_size(table)
    batch: list[dict[str, Any]] = []
    with archive.open(f"data/{table.name}.jsonl") as member:
        for line in io.TextIOWrapper(member, encoding="utf-8"):
            record = json.loads(line)
            batch.append(
                {f"v_{name}": _decode(kind, record[name], get_file) for name, kind in kinds}
            )
            if len(batch) == size:
                connection.execute(statement, batch)
                batch = []
    if batch:
        connection.execute(statement, batch)


def _reset_sequences(connection: Connection) -> None:
    """Rows came with their ids: PostgreSQL's sequences must go on after the largest one
    (SQLite takes max(rowid) + 1 by itself)."""
    if connection.dialect.name != "postgresql":
        return
    for table in tables():
        column = table.autoincrement_column
        if column is None:
            continue
        sequence = sa.func.pg_get_serial_sequence(table.name, column.name)
        following = sa.func.coalesce(sa.func.max(column), 0) + 1
        connection.execute(sa.select(sa.func.setval(sequence, following, False)))


def _record_restore(connection: Connection, path: Path, manifest: dict[str, Any]) -> None:
    with Session(bind=connection) as session:
        set_actor(session, user_id=None, name="cli")
        record_event(
            session,
            "restore",
            object_type="backup",
            detail={
                "file": path.name,
                "backup_created_at": manifest["created_at"],
                "revision": manifest["revision"],
                "engine": manifest["engine"],
                "rows": sum(manifest["tables"].values()),
            },
        )


# --- the commands -------------------------------------------------------------------------


def _size_text(size: int) -> str:
    if size < 1024 * 1024:
        return f"{size / 1024:.1f} KB"
    return f"{size / 1024 / 1024:.1f} MB"


def _echo_summary(summary: Summary) -> None:
    engine = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}.get(summary.engine, summary.engine)
    taken = local(summary.created_at).strftime("%Y-%m-%d %H:%M:%S")
    typer.echo(f"备份时间 {taken}（{engine}），数据库版本 {summary.revision}")
    width = max(len(name) for name in summary.tables)
    for name, rows in summary.tables.items():
        typer.echo(f"  {name:<{width}}  {rows:>10,} 行")
    total = sum(summary.tables.values())
    typer.echo(
        f"共 {len(summary.tables)} 张表 {total:,} 行，文件 {summary.files} 个，"
        f"备份文件 {_size_text(summary.size)}"
    )


def _run(work: Callable[[str, Path], Summary], url: str, path: Path, done: str) -> None:
    """`work` on the database at `url`: `done` and what the backup holds, or why it failed."""
    try:
        summary = work(url, path)
    except BackupError as exc:
        fail(str(exc))
    typer.echo(done)
    _echo_summary(summary)


def backup_command(
    path: Annotated[Path, typer.Argument(help="备份文件（.zip），已存在则在完成后替换")],
) -> None:
    """Back up the whole database (data, attachment files, audit log) into one zip file."""
    # Reading every row is the app's right too: a backup needs no owner.
    _run(create, get_settings().database_url, path, f"已备份到 {path}")


def restore_command(
    path: Annotated[Path, typer.Argument(help="liaison backup 写出的备份文件")],
) -> None:
    """Restore a backup into an empty database, migrating it first; as the tables' owner
    (LIAISON_DATABASE_OWNER_URL, else LIAISON_DATABASE_URL), who alone may reset their
    sequences and refresh their statistics, and who grants the app its rights (db_roles)."""
    _run(restore, get_settings().migration_url, path, f"已从 {path} 恢复，并记入审计日志")
