"""Issue 18, finding 5: deleting the newest audit rows, or editing a row and rebuilding the chain
with the plain SHA-256 any reader of the code can compute, passed `liaison audit verify`. Now
the chain is keyed with LIAISON_AUDIT_KEY and signed checkpoints of its head, kept outside the
database, name the rows missing up to the newest one."""

import hashlib
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from pydantic import ValidationError
from sqlmodel import Session

from liaison import jobs
from liaison.audit import chain, guard
from liaison.clock import local, now
from liaison.config import Settings, get_settings
from liaison.db import get_engine
from tests.audit.test_chain import audit, log
from tests.factories import make_station


def as_the_tables_owner(*statements: tuple[str, dict[str, object]]) -> None:
    """Change the log as the role that owns it can: with its append-only triggers off."""
    with get_engine().begin() as connection, guard.lifted(connection):
        for statement, params in statements:
            connection.execute(sa.text(statement), params)


def plain_sha256(fields: dict[str, Any]) -> str:
    """A row's hash as the code computed it before the key: anyone who reads it can."""
    fields = fields | {"at": fields["at"].astimezone(UTC).isoformat(timespec="microseconds")}
    text = json.dumps(fields, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def rebuild_without_the_key(db: Session, from_id: int, **change: object) -> None:
    """Change row `from_id` and rehash it and every later row as the code without the key
    allows: the plain SHA-256 of the fields, each linked to the one before."""
    rows = log(db)
    previous = next((row.row_hash for row in reversed(rows) if row.id < from_id), None)
    updates = []
    for row in (row for row in rows if row.id >= from_id):
        fields: dict[str, Any] = {name: getattr(row, name) for name in chain.HASHED_FIELDS}
        if row.id == from_id:
            fields.update(change)
        fields["prev_hash"] = previous
        previous = plain_sha256(fields)
        updates.append(
            (
                "UPDATE audit_log SET actor_name = :actor_name, prev_hash = :prev_hash, "
                "row_hash = :row_hash WHERE id = :id",
                {
                    "actor_name": fields["actor_name"],
                    "prev_hash": fields["prev_hash"],
                    "row_hash": previous,
                    "id": row.id,
                },
            )
        )
    as_the_tables_owner(*updates)


def checkpoint_file() -> list[dict[str, object]]:
    path = get_settings().audit_checkpoint_path / "checkpoints.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()]


def write_checkpoint_file(lines: list[dict[str, object]]) -> None:
    path = get_settings().audit_checkpoint_path / "checkpoints.jsonl"
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))


def activity(db: Session, rows: int) -> None:
    for _ in range(rows):
        make_station(db)


def test_deleting_the_newest_rows_up_to_a_checkpoint_fails_and_names_them(db):
    activity(db, 6)
    made = audit("checkpoint")
    assert made.exit_code == 0, made.output
    rows = log(db)
    head = rows[-1]
    assert f"第 {head.id} 条" in made.output
    as_the_tables_owner(("DELETE FROM audit_log WHERE id > :id", {"id": rows[2].id}))

    result = audit("verify")

    assert result.exit_code == 1
    when = local(datetime.fromisoformat(str(checkpoint_file()[-1]["at"])))
    assert f"第 {head.id} 条）之前的审计记录缺失" in result.output
    assert (
        f"第 {rows[3].id}–{head.id} 条" in result.output
        and f"{when:%Y-%m-%d %H:%M}" in result.output
    )


def test_rows_deleted_up_to_a_checkpoint_are_found_after_more_activity(db):
    activity(db, 5)
    assert audit("checkpoint").exit_code == 0
    head = log(db)[-1]
    as_the_tables_owner(("DELETE FROM audit_log WHERE id > :id", {"id": head.id - 3}))
    activity(db, 6)  # the app goes on writing, chained onto what is left

    result = audit("verify")

    assert result.exit_code == 1
    assert f"第 {head.id} 条" in result.output
    assert "缺失" in result.output or "记录被改写" in result.output


def test_a_later_checkpoint_does_not_hide_rows_deleted_before_it(db):
    activity(db, 5)
    assert audit("checkpoint").exit_code == 0
    head = log(db)[-1]
    as_the_tables_owner(("DELETE FROM audit_log WHERE id > :id", {"id": head.id - 2}))
    assert audit("checkpoint").exit_code == 0  # the daily one, the day after

    result = audit("verify")

    assert result.exit_code == 1 and f"第 {head.id} 条）之前的审计记录缺失" in result.output


def test_editing_a_row_and_rehashing_the_chain_without_the_key_fails(db):
    activity(db, 5)
    target = log(db)[2]
    rebuild_without_the_key(db, target.id, actor_name="someone-else")

    result = audit("verify")

    assert result.exit_code == 1
    assert f"第 {target.id} 条" in result.output and "不是用审计密钥算出的" in result.output


def test_rehashing_the_whole_chain_without_the_key_fails_at_the_checkpoint(db):
    activity(db, 4)
    assert audit("checkpoint").exit_code == 0
    activity(db, 2)
    rows = log(db)
    rebuild_without_the_key(db, rows[0].id, actor_name="someone-else")

    result = audit("verify")

    assert result.exit_code == 1
    assert f"第 {rows[3].id} 条" in result.output and "检查点" in result.output


@pytest.mark.parametrize("forgery", ["an edited row id", "a line signed without the key"])
def test_a_forged_or_edited_checkpoint_fails_verification(db, forgery):
    activity(db, 5)
    assert audit("checkpoint").exit_code == 0
    rows = log(db)
    lines = checkpoint_file()
    if forgery == "an edited row id":
        # Hide the deletion of the newest rows by pointing the checkpoint at an older one.
        as_the_tables_owner(("DELETE FROM audit_log WHERE id > :id", {"id": rows[1].id}))
        lines[-1] |= {"row_id": rows[1].id, "row_hash": rows[1].row_hash}
    else:
        lines.append(lines[-1] | {"row_id": rows[-1].id + 50, "signature": "0" * 64})
    write_checkpoint_file(lines)

    result = audit("verify")

    assert result.exit_code == 1
    assert "签名不符" in result.output and "检查点被改动或伪造" in result.output


def test_checkpoint_then_more_activity_verifies(db):
    activity(db, 3)
    assert audit("checkpoint").exit_code == 0
    head = log(db)[-1]
    activity(db, 4)

    result = audit("verify")

    assert result.exit_code == 0, result.output
    assert f"已校验 {len(log(db))} 条" in result.output
    assert f"第 {head.id} 条）一致" in result.output


def test_a_purge_past_an_old_checkpoint_still_verifies(db, travel):
    start = now()
    for days in (250, 240):
        travel.to(start - timedelta(days=days))
        make_station(db)
    assert audit("checkpoint").exit_code == 0  # its row goes with the purge
    travel.to(start - timedelta(days=10))
    make_station(db)
    assert audit("checkpoint").exit_code == 0
    travel.to(start)
    assert audit("purge", "--days", "200").exit_code == 0

    result = audit("verify")

    assert result.exit_code == 0, result.output


def test_deleting_the_rows_of_every_checkpoint_is_not_taken_for_a_purge(db):
    activity(db, 3)
    assert audit("checkpoint").exit_code == 0
    head = log(db)[-1]
    as_the_tables_owner(("DELETE FROM audit_log", {}))

    result = audit("verify")

    assert result.exit_code == 1
    assert f"第 {head.id} 条）及其之前的审计记录全部缺失" in result.output


def test_the_job_engine_writes_one_checkpoint_a_day(db, monkeypatch, travel):
    activity(db, 2)
    monkeypatch.setenv("LIAISON_AUDIT_CHECKPOINT_HOURS", "24")
    get_settings.cache_clear()
    for _ in range(2):  # two hourly ticks, or two workers, the same day
        jobs.checkpoint.call_local()
    assert [line["row_id"] for line in checkpoint_file()] == [log(db)[-1].id]
    activity(db, 1)
    travel.advance(hours=25)
    jobs.checkpoint.call_local()
    assert [line["row_id"] for line in checkpoint_file()][-1] == log(db)[-1].id
    assert len(checkpoint_file()) == 2
    assert audit("verify").exit_code == 0


@pytest.mark.parametrize("key", [None, "", "too-short-audit-key"])
def test_production_refuses_a_missing_or_short_audit_key(monkeypatch, key):
    monkeypatch.delenv("LIAISON_AUDIT_KEY", raising=False)
    if key is not None:
        monkeypatch.setenv("LIAISON_AUDIT_KEY", key)
    with pytest.raises(ValidationError, match="LIAISON_AUDIT_KEY"):
        Settings(
            env="production",
            secret_key="Q" + "w8-Zr4_pLk2Xv9Tm3Yb7Nc1Hd6Jf5Gs0",
            database_url="postgresql://liaison@db.example/liaison",
            public_url="https://liaison.example.gov.cn",
        )
