"""The audit log's checksum chain and its retention (SECURITY.md L2, L4): every row is chained
to the one before, `liaison audit verify` names the first row changed or missing, concurrent
writers keep one chain, and a purge never reaches rows younger than 180 days and leaves a chain
that still verifies."""

import itertools
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
import sqlalchemy as sa
from pydantic import ValidationError
from sqlmodel import Session, col, func, select
from typer.testing import CliRunner

from liaison.audit import chain, guard
from liaison.audit.models import AuditLog
from liaison.audit.service import record_event, set_actor
from liaison.auth.roles import Role
from liaison.cli import app
from liaison.clock import local, now
from liaison.config import Settings, get_settings
from liaison.db import get_engine
from liaison.org import service as org_service
from liaison.org.schemas import StationIn
from tests.factories import login_as, make_station, post

runner = CliRunner()


def audit(*args: str):  # type: ignore[no-untyped-def]
    return runner.invoke(app, ["audit", *args])


def log(db: Session) -> list[AuditLog]:
    db.expire_all()
    return list(db.exec(select(AuditLog).order_by(col(AuditLog.id))).all())


def behind_the_apps_back(statement: str, **params: object) -> None:
    """Change the log as someone with the database's keys could: past the append-only guard."""
    with get_engine().begin() as connection, guard.lifted(connection):
        connection.execute(sa.text(statement), params)


def test_every_row_is_chained_to_the_one_before(client, db):
    make_station(db)
    login_as(client, db, Role.ADMIN)
    post(client, "/admin/stations", {"code": "S71", "name": "链式派出所", "active": "on"})
    rows = log(db)
    assert {row.action for row in rows} >= {"create", "login"}
    assert rows[0].prev_hash is None
    for previous, row in itertools.pairwise(rows):
        assert row.prev_hash == previous.row_hash
    for row in rows:
        fields = {f: getattr(row, f) for f in chain.HASHED_FIELDS}
        assert row.row_hash == chain.row_hash(fields, chain.chain_key())


def test_verify_passes_on_an_untouched_log(db):
    make_station(db)
    make_station(db)
    record_event(db, "login", object_type="User", object_id=1)
    db.commit()
    result = audit("verify")
    assert result.exit_code == 0, result.output
    assert f"已校验 {len(log(db))} 条" in result.output


def test_values_hash_as_they_read_back(db):
    """What the row is hashed from must be what the database gives back, on either engine."""
    detail = {
        "z": "最后",
        "a": {"nested": [1, 2.5, True, None], "b": "x", "a": "€"},
        "big": 2**53 + 1,
        "float": 0.1,
        "empty": "",
        "quote": 'say "hi"\n\t\\',
    }
    record_event(db, "login", object_type="User", object_id="一二三", detail=detail)
    db.commit()
    assert chain.verify(db).ok


def test_changing_one_row_makes_verify_name_it(db):
    for _ in range(3):
        make_station(db)
    target = log(db)[1]
    behind_the_apps_back(
        "UPDATE audit_log SET actor_name = 'someone-else' WHERE id = :id", id=target.id
    )
    result = audit("verify")
    assert result.exit_code == 1
    when = local(target.at).strftime("%Y-%m-%d %H:%M:%S")
    assert f"第 {target.id} 条（{when}）" in result.output and "被修改" in result.output


def test_deleting_a_middle_row_makes_verify_fail_at_the_next(db):
    for _ in range(3):
        make_station(db)
    _first, middle, last = log(db)
    behind_the_apps_back("DELETE FROM audit_log WHERE id = :id", id=middle.id)
    result = audit("verify")
    assert result.exit_code == 1
    assert f"第 {last.id} 条" in result.output and "删除" in result.output


def test_deleting_the_oldest_rows_without_a_purge_is_found(db):
    for _ in range(3):
        make_station(db)
    _first, second, third = log(db)
    behind_the_apps_back("DELETE FROM audit_log WHERE id <= :id", id=second.id)
    verdict = chain.verify(db)
    assert verdict.broken_id == third.id


def test_rows_from_before_the_chain_are_accepted_only_before_it(db):
    older = {"at": now(), "actor_name": "old", "action": "create", "object_type": "Station"}
    with get_engine().begin() as connection:
        connection.execute(sa.insert(AuditLog), [older, older])
    make_station(db)
    verdict = chain.verify(db)
    assert verdict.ok and verdict.before_chain == 2 and verdict.checked == 1
    with get_engine().begin() as connection:
        connection.execute(sa.insert(AuditLog), [older])
    late = log(db)[-1]
    verdict = chain.verify(db)
    assert verdict.broken_id == late.id and "缺少校验值" in verdict.problem


def test_verify_reads_the_log_in_batches(db):
    for _ in range(5):
        make_station(db)
    assert chain.verify(db, batch_size=2).checked == 5
    rows = log(db)
    behind_the_apps_back("DELETE FROM audit_log WHERE id = :id", id=rows[2].id)
    assert chain.verify(db, batch_size=2).broken_id == rows[3].id


def test_concurrent_writers_keep_one_chain(database_url):
    def write(writer: int) -> None:
        for n in range(5):
            with Session(get_engine()) as session:
                set_actor(session, user_id=None, name=f"writer{writer}")
                org_service.save_station(
                    session, None, StationIn(code=f"W{writer}{n:02d}", name=f"并发{writer}-{n}")
                )
                record_event(session, "login", object_type="User", object_id=writer)
                session.commit()

    with ThreadPoolExecutor(4) as pool:
        list(pool.map(write, range(4)))
    with Session(get_engine()) as session:
        rows = log(session)
        verdict = chain.verify(session)
    assert len(rows) == 4 * 5 * 2
    assert verdict.ok and verdict.checked == len(rows), verdict.problem
    assert len({row.prev_hash for row in rows}) == len(rows)  # no fork


def test_retention_below_180_days_is_refused_at_settings_load(monkeypatch):
    monkeypatch.setenv("LIAISON_AUDIT_RETENTION_DAYS", "30")
    with pytest.raises(ValidationError):
        Settings()


def _rows_at(db: Session, travel, *days_ago: int) -> None:
    """One station (one audit row) written `days_ago` days back, for each."""
    start = now()
    for days in days_ago:
        travel.to(start - timedelta(days=days))
        make_station(db)
    travel.to(start)


def _count(db: Session) -> int:
    return db.exec(select(func.count()).select_from(AuditLog)).one()


@pytest.mark.parametrize("option", ["--days", "--before"])
def test_purging_younger_than_180_days_is_refused_and_removes_nothing(db, travel, option):
    _rows_at(db, travel, 400, 300, 190, 0)
    days_179 = "179" if option == "--days" else (local(now()) - timedelta(days=179)).date()
    result = audit("purge", option, str(days_179))
    assert result.exit_code == 1
    assert "至少保留 180 天" in result.output and "未删除任何记录" in result.output
    assert _count(db) == 4


def test_purge_removes_only_rows_past_the_cutoff_and_the_chain_still_verifies(db, travel):
    _rows_at(db, travel, 250, 240, 190, 10)
    kept = [row.id for row in log(db)[2:]]
    result = audit("purge", "--days", "200")
    assert result.exit_code == 0, result.output
    assert "2 条" in result.output
    rows = log(db)
    assert [row.id for row in rows[:-1]] == kept
    purge = rows[-1]
    assert purge.action == "purge" and purge.actor_name == "cli"
    assert (
        purge.after and purge.after["removed"] == 2 and purge.after["anchor"] == rows[0].prev_hash
    )
    assert audit("verify").exit_code == 0
    with pytest.raises(sa.exc.DatabaseError), get_engine().begin() as connection:
        connection.exec_driver_sql("DELETE FROM audit_log")  # the guard is back


def test_after_a_purge_deleting_the_oldest_row_left_is_still_found(db, travel):
    _rows_at(db, travel, 250, 190, 100)
    assert audit("purge", "--days", "200").exit_code == 0
    oldest, next_one = log(db)[:2]
    behind_the_apps_back("DELETE FROM audit_log WHERE id = :id", id=oldest.id)
    assert chain.verify(db).broken_id == next_one.id


def test_a_longer_retention_setting_raises_the_floor(db, travel, monkeypatch):
    _rows_at(db, travel, 250, 10)
    monkeypatch.setenv("LIAISON_AUDIT_RETENTION_DAYS", "365")
    get_settings.cache_clear()
    result = audit("purge", "--days", "200")
    assert result.exit_code == 1 and "至少保留 365 天" in result.output
    assert _count(db) == 2


def test_purge_needs_exactly_one_cutoff(db):
    assert audit("purge").exit_code == 1
    assert audit("purge", "--days", "200", "--before", "2020-01-01").exit_code == 1
