"""The ledger: reversals never exceed what is left, append-only in the database, exactly once."""

import threading
from datetime import timedelta

import pytest
import sqlalchemy as sa
from pydantic import ValidationError
from sqlmodel import Session, func, select

from liaison.db import get_engine
from liaison.projects.service import today
from liaison.recoveries import service
from liaison.recoveries.models import Recovery, RecoverySource
from liaison.recoveries.schemas import RecoveryIn, ReversalIn
from tests.factories import make_officer, make_project, make_recovery, make_station


@pytest.fixture
def ledger(db):
    station = make_station(db)
    officer = make_officer(db, station)
    project = make_project(db, station, officer=officer)
    return {"project": project, "officer": officer}


def test_reversals_never_exceed_what_is_left(db, ledger):
    entry = make_recovery(db, ledger["project"], ledger["officer"], 1_000_00)
    service.reverse(
        db,
        entry,
        ledger["officer"],
        ReversalIn(amount_fen=600_00, reason="重复登记"),
        by_user_id=None,
    )
    db.commit()
    assert service.remaining_fen(db, entry) == 400_00
    with pytest.raises(service.RecoveryError, match=r"剩余的 ¥400\.00"):
        service.reverse(
            db, entry, ledger["officer"], ReversalIn(amount_fen=400_01, reason="x"), by_user_id=None
        )
    db.rollback()
    service.reverse(
        db,
        entry,
        ledger["officer"],
        ReversalIn(amount_fen=400_00, reason="金额有误"),
        by_user_id=None,
    )
    db.commit()
    assert service.remaining_fen(db, entry) == 0


def test_a_reversal_cannot_be_reversed(db, ledger):
    entry = make_recovery(db, ledger["project"], ledger["officer"])
    reversal = service.reverse(
        db, entry, ledger["officer"], ReversalIn(amount_fen=1_00, reason="x"), by_user_id=None
    )
    db.commit()
    with pytest.raises(service.RecoveryError, match="冲销记录不能再被冲销"):
        service.reverse(
            db, reversal, ledger["officer"], ReversalIn(amount_fen=1, reason="x"), by_user_id=None
        )


@pytest.mark.parametrize(
    ("amount", "day", "message"),
    [(0, 0, "大于零"), (-5, 0, "大于零"), (100, 1, "晚于今天")],
)
def test_bad_entries_are_refused(db, ledger, amount, day, message):
    entry = RecoveryIn(
        amount_fen=amount, recovered_on=today() + timedelta(days=day), source=RecoverySource.OTHER
    )
    with pytest.raises(service.RecoveryError, match=message):
        service.record(db, ledger["project"], ledger["officer"], entry, by_user_id=None)


def test_the_same_submission_books_once(db, ledger):
    entry = RecoveryIn(amount_fen=500_00, recovered_on=today(), source=RecoverySource.WAGES)
    first, created = service.record(
        db, ledger["project"], ledger["officer"], entry, by_user_id=None, submission_key="k-1"
    )
    again, created_again = service.record(
        db, ledger["project"], ledger["officer"], entry, by_user_id=None, submission_key="k-1"
    )
    db.commit()
    assert created and not created_again and first.id == again.id
    assert db.exec(select(func.count()).select_from(Recovery)).one() == 1


@pytest.mark.parametrize(
    "statement", ["UPDATE recovery SET amount_fen = 1", "DELETE FROM recovery"]
)
def test_the_database_refuses_to_change_or_delete_entries(db, ledger, statement):
    make_recovery(db, ledger["project"], ledger["officer"])
    with Session(get_engine()) as session, pytest.raises(sa.exc.DatabaseError):
        session.exec(sa.text(statement))
        session.commit()
    assert db.exec(select(Recovery.amount_fen)).all() == [1_000_00]


def test_a_reversal_must_be_negative_and_an_entry_positive_in_the_database(db, ledger):
    entry = make_recovery(db, ledger["project"], ledger["officer"])
    with Session(get_engine()) as session, pytest.raises(sa.exc.IntegrityError):
        session.exec(
            sa.text(
                "INSERT INTO recovery (code, project_id, amount_fen, recovered_on, source,"
                " case_number, officer_id, note, reverses_id, created_at)"
                " VALUES ('X1', :p, 100, '2026-01-01', '其他', '', :o, '', :r,"
                " '2026-01-01 00:00:00+00:00')"
            ).bindparams(p=ledger["project"].id, o=ledger["officer"].id, r=entry.id)
        )
        session.commit()


def test_two_reversals_at_the_same_moment_never_exceed_the_entry(db, ledger):
    """Two connections each try to reverse 70 of 100: exactly one may succeed."""
    entry = make_recovery(db, ledger["project"], ledger["officer"], 100_00)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def attempt() -> None:
        barrier.wait()
        with Session(get_engine()) as session:
            original = session.get(Recovery, entry.id)
            assert original is not None
            officer = ledger["officer"]
            try:
                service.reverse(
                    session,
                    original,
                    officer,
                    ReversalIn(amount_fen=70_00, reason="并发"),
                    by_user_id=None,
                )
                session.commit()
                outcomes.append("ok")
            except service.RecoveryError:
                session.rollback()
                outcomes.append("refused")

    threads = [threading.Thread(target=attempt) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(outcomes) == ["ok", "refused"]
    assert service.remaining_fen(db, entry) == 30_00


def test_the_input_of_an_entry_is_refused_before_the_service_sees_it():
    with pytest.raises(ValidationError):
        RecoveryIn(amount_fen=1_00, recovered_on=today(), source="捐赠")


def test_a_reversal_is_dated_as_its_input_says(db, ledger):
    entry = make_recovery(db, ledger["project"], ledger["officer"])
    on = entry.recovered_on
    reversal = service.reverse(
        db,
        entry,
        ledger["officer"],
        ReversalIn(amount_fen=1_00, reason="x", on=on),
        by_user_id=None,
    )
    assert (reversal.amount_fen, reversal.recovered_on, reversal.note) == (-1_00, on, "x")
    with pytest.raises(service.RecoveryError, match="不能早于原记录"):
        service.reverse(
            db,
            entry,
            ledger["officer"],
            ReversalIn(amount_fen=1_00, reason="x", on=on - timedelta(days=1)),
            by_user_id=None,
        )
