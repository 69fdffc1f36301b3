"""Issue 18, finding 4: a reversal takes its entry's project and source, is dated on or after
it, and never exceeds what is left of it, and the database holds it to that too, so a raw
INSERT (a script, a console, a bug elsewhere) cannot overdraw an entry or move money between
projects."""

from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlmodel import Session, select

from liaison.db import get_engine
from liaison.recoveries.models import Recovery
from liaison.recoveries.schemas import RecoverySource
from tests.factories import make_officer, make_project, make_recovery, make_station

COLUMNS = (
    "code, project_id, amount_fen, recovered_on, source, case_number, officer_id, note,"
    " reverses_id, created_at"
)


def raw_reversal(db: Session, original: Recovery, code: str, **changes):  # type: ignore[no-untyped-def]
    """INSERT a reversal of `original` by hand, as a script would, bypassing the service."""
    values = {
        "code": code,
        "project_id": original.project_id,
        "amount_fen": -original.amount_fen,
        "recovered_on": original.recovered_on,
        "source": original.source,
        "case_number": original.code,
        "officer_id": original.officer_id,
        "note": "冲销",
        "reverses_id": original.id,
        "created_at": original.created_at,
        **changes,
    }
    names = ", ".join(f":{name}" for name in values)
    with get_engine().begin() as connection:  # a connection of its own, committed if it passes
        insert = f"INSERT INTO recovery ({COLUMNS}) VALUES ({names})"  # noqa: S608 (constants)
        connection.execute(sa.text(insert), values)


@pytest.fixture
def entry(db):  # type: ignore[no-untyped-def]
    station = make_station(db)
    officer = make_officer(db, station)
    project = make_project(db, station, officer=officer)
    return make_recovery(db, project, officer, amount_fen=17_296_00)


def refused(db: Session, original: Recovery, **changes) -> bool:  # type: ignore[no-untyped-def]
    try:
        raw_reversal(db, original, "WH-RAW-1", **changes)
    except sa.exc.DBAPIError:
        return True
    return False


def test_the_database_refuses_a_reversal_of_more_than_is_left(db, entry):
    assert refused(db, entry, amount_fen=-(entry.amount_fen + 1))
    raw_reversal(db, entry, "WH-RAW-2", amount_fen=-10_000_00)
    assert refused(db, entry, amount_fen=-(entry.amount_fen - 10_000_00 + 1))
    raw_reversal(db, entry, "WH-RAW-3", amount_fen=-(entry.amount_fen - 10_000_00))  # the rest


def test_the_database_refuses_a_reversal_on_another_project(db, entry):
    station = make_station(db)
    other = make_project(db, station, officer=make_officer(db, station))
    assert refused(db, entry, project_id=other.id)


def test_the_database_refuses_a_reversal_from_another_source_or_dated_before(db, entry):
    assert refused(db, entry, source=RecoverySource.OTHER.value)
    assert refused(db, entry, recovered_on=entry.recovered_on - timedelta(days=1))


def test_the_database_refuses_a_reversal_of_a_reversal(db, entry):
    raw_reversal(db, entry, "WH-RAW-4", amount_fen=-1_00)
    reversal = db.exec(select(Recovery).where(Recovery.code == "WH-RAW-4")).one()
    assert refused(db, reversal, amount_fen=-1_00, reverses_id=reversal.id)
