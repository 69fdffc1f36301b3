"""`liaison backup` and `liaison restore` (SECURITY.md D8): the demo district with attachments
restores into an empty database, of its own engine or the other one, with the same rows, the
same figures, the same file bytes and an audit chain that still verifies; a database with rows,
a damaged backup and a backup from a newer program are refused, and nothing is written."""

import hashlib
import json
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from click.testing import Result
from sqlmodel import Session, col, select
from typer.testing import CliRunner

from liaison import demo
from liaison.attachments import service as attachments
from liaison.audit import chain
from liaison.audit.service import set_actor
from liaison.backup import tables
from liaison.cli import app
from liaison.config import get_settings
from liaison.db import make_engine, upgrade
from liaison.hazards.models import Hazard
from liaison.metrics.service import compute
from liaison.projects.service import today
from tests.conftest import ON_POSTGRES, recreate_pg_database
from tests.factories import make_officer
from tests.images import jpeg, pdf

runner = CliRunner()
RESTORE_PG_NAME = "liaison_backup_restore"


def liaison(url: str, *args: str) -> Result:
    """`liaison ARGS` run against the database at `url`."""
    get_settings.cache_clear()
    try:
        return runner.invoke(app, list(args), env={"LIAISON_DATABASE_URL": url})
    finally:
        get_settings.cache_clear()


def populate(session: Session) -> dict[str, bytes]:
    """The demo district and two files on its first hazard; the bytes uploaded, by name."""
    files = {"现场.jpg": jpeg(), "整改方案.pdf": pdf()}
    demo.load(session, get_settings())
    hazard = session.exec(select(Hazard).order_by(col(Hazard.id))).first()
    assert hazard is not None and hazard.id is not None
    attachments.add(
        session, owner_type="hazard", owner_id=hazard.id, files=list(files.items()), tag="before"
    )
    session.commit()
    return files


def empty_database(engine: str, tmp_path: Path) -> str:
    if engine == "postgresql":
        return recreate_pg_database(RESTORE_PG_NAME)
    return f"sqlite:///{tmp_path / 'restored.db'}"


def contents(url: str) -> dict[str, list[dict[str, Any]]]:
    """Every row of every table, in primary key order, as the app reads it back."""
    engine = make_engine(url)
    with engine.connect() as connection:
        rows = {
            table.name: [
                dict(row._mapping)
                for row in connection.execute(sa.select(table).order_by(*table.primary_key.columns))
            ]
            for table in tables()
        }
    engine.dispose()
    return rows


def table_names(url: str) -> list[str]:
    engine = make_engine(url)
    names = sa.inspect(engine).get_table_names()
    engine.dispose()
    return names


@contextmanager
def session_on(url: str) -> Iterator[Session]:
    engine = make_engine(url)
    with Session(engine, expire_on_commit=False) as session:
        set_actor(session, user_id=None, name="test")
        yield session
    engine.dispose()


def figures(url: str) -> list[dict[str, Any]]:
    """The business-environment metrics for the demo's year and for this year so far."""
    periods = [(date(2023, 1, 1), date(2023, 12, 31)), (date(today().year, 1, 1), today())]
    with session_on(url) as session:
        return [compute(session, since, until) for since, until in periods]


def rewritten(backup: Path, change: Callable[[str, bytes], bytes]) -> Path:
    """A copy of `backup` whose members went through `change` (a well-formed zip again)."""
    copy = backup.with_name("changed.zip")
    with zipfile.ZipFile(backup) as source, zipfile.ZipFile(copy, "w") as target:
        for info in source.infolist():
            target.writestr(info, change(info.filename, source.read(info)))
    return copy


def manifest_of(backup: Path) -> dict[str, Any]:
    with zipfile.ZipFile(backup) as archive:
        manifest: dict[str, Any] = json.loads(archive.read("manifest.json"))
    return manifest


def small_backup(db: Session, database_url: str, tmp_path: Path) -> Path:
    make_officer(db)
    backup = tmp_path / "small.zip"
    assert liaison(database_url, "backup", str(backup)).exit_code == 0
    return backup


SUITE_ENGINE = "postgresql" if ON_POSTGRES else "sqlite"
# (source, target): the suite's own engine both ways, and across engines when PostgreSQL is on.
ROUTES = [(SUITE_ENGINE, SUITE_ENGINE)]
if ON_POSTGRES:
    ROUTES += [("postgresql", "sqlite"), ("sqlite", "postgresql")]


@pytest.mark.parametrize(("source_engine", "target_engine"), ROUTES)
def test_a_populated_database_restores_whole_into_an_empty_one(
    db, database_url, tmp_path, source_engine, target_engine
):
    if source_engine == SUITE_ENGINE:
        source, uploaded = database_url, populate(db)
    else:  # a SQLite file beside a PostgreSQL suite
        source = f"sqlite:///{tmp_path / 'source.db'}"
        upgrade(source)
        with session_on(source) as session:
            uploaded = populate(session)
    backup = tmp_path / "nightly.zip"

    made = liaison(source, "backup", str(backup))
    assert made.exit_code == 0, made.output
    assert "已备份到" in made.output and "文件 3 个" in made.output  # a photo twice, a PDF
    target = empty_database(target_engine, tmp_path)
    restored = liaison(target, "restore", str(backup))
    assert restored.exit_code == 0, restored.output
    assert "已从" in restored.output and "文件 3 个" in restored.output

    before, after = contents(source), contents(target)
    restore_event = after["audit_log"].pop()
    assert {name: len(rows) for name, rows in after.items()} == {
        name: len(rows) for name, rows in before.items()
    }
    assert sum(map(len, before.values())) > 10_000
    for table in tables():  # every row of every table, the audit log's hashes included
        assert after[table.name] == before[table.name], table.name
    assert figures(target) == figures(source)

    blobs = {(b["attachment_id"], b["variant"]): b["data"] for b in after["attachment_blob"]}
    for attachment in after["attachment"]:
        original = blobs[(attachment["id"], "original")]
        assert original == uploaded[attachment["filename"]]
        assert hashlib.sha256(original).hexdigest() == attachment["sha256"]

    assert restore_event["action"] == "restore" and restore_event["actor_name"] == "cli"
    assert restore_event["after"]["backup_created_at"] == manifest_of(backup)["created_at"]
    with session_on(target) as session:
        verdict = chain.verify(session)
        assert verdict.ok and verdict.checked == len(after["audit_log"]) + 1
        # The restored database takes new records, numbered after the restored ones.
        officer = make_officer(session)
    assert officer.id is not None and officer.id > max(o["id"] for o in after["officer"])


def test_restore_into_a_database_with_rows_is_refused_and_changes_nothing(
    db, database_url, tmp_path
):
    backup = small_backup(db, database_url, tmp_path)
    before = contents(database_url)

    refused = liaison(database_url, "restore", str(backup))

    assert refused.exit_code == 1
    assert "不是空的" in refused.stderr and "station" in refused.stderr
    assert contents(database_url) == before


@pytest.mark.parametrize("damage", ["a byte of a member's rows", "a byte of the file"])
def test_a_damaged_backup_is_refused_before_the_database_is_touched(
    db, database_url, tmp_path, damage
):
    backup = small_backup(db, database_url, tmp_path)
    if damage == "a byte of a member's rows":  # the zip is sound, the content is not
        damaged = rewritten(
            backup,
            lambda name, data: (
                data.replace(b'"S', b'"T', 1) if name == "data/station.jsonl" else data
            ),
        )
    else:  # one byte of the compressed rows flipped on the disk
        damaged = tmp_path / "flipped.zip"
        raw = bytearray(backup.read_bytes())
        with zipfile.ZipFile(backup) as archive:
            info = archive.getinfo("data/station.jsonl")
        start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
        raw[start + info.compress_size // 2] ^= 0x01
        damaged.write_bytes(bytes(raw))
    target = empty_database(SUITE_ENGINE, tmp_path)

    refused = liaison(target, "restore", str(damaged))

    assert refused.exit_code == 1 and "已损坏" in refused.stderr
    assert table_names(target) == []


def test_a_backup_from_a_newer_program_is_refused(db, database_url, tmp_path):
    backup = small_backup(db, database_url, tmp_path)

    def newer(name: str, data: bytes) -> bytes:
        if name != "manifest.json":
            return data
        return json.dumps(json.loads(data) | {"revision": "ffffffffffff"}).encode()

    target = empty_database(SUITE_ENGINE, tmp_path)
    refused = liaison(target, "restore", str(rewritten(backup, newer)))

    assert refused.exit_code == 1 and "更新版本的程序" in refused.stderr
    assert table_names(target) == []
