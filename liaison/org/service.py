"""Stations and officer records: the only module that writes their tables (the ledger import
too comes through here; tests/test_writers.py holds every module to its own tables)."""

from collections.abc import Callable, Iterable

from sqlmodel import Session, select

from liaison.db import Fields, pk, put_all
from liaison.errors import FieldError
from liaison.org.models import Officer, Station
from liaison.org.schemas import OfficerIn, StationIn


class OrgError(FieldError):
    """A refused change to a station or an officer."""


# Checks that may refuse to deactivate an officer or move them to another station, added by the
# domains that give officers work (projects: "an officer holding projects cannot be
# deactivated"). Each gets the officer as stored and returns a reason, or None. liaison/wiring.py
# fills the list, so every entry point (app, command, test) has every guard.
OfficerGuard = Callable[[Session, Officer], str | None]
officer_guards: list[OfficerGuard] = []


def station_by_code(session: Session, code: str) -> Station | None:
    return session.exec(select(Station).where(Station.code == code)).first()


def save_station(session: Session, station: Station | None, data: StationIn) -> Station:
    """Change `station`, or (None) make a new one."""
    clash = station_by_code(session, data.code)
    if clash is not None and (station is None or clash.id != station.id):
        raise OrgError("单位编码已存在", "code")
    station = station or Station(code=data.code, name=data.name)
    station.code, station.name, station.active = data.code, data.name, data.active
    session.add(station)
    session.flush()
    return station


def officer_by_badge(session: Session, badge_no: str) -> Officer | None:
    return session.exec(select(Officer).where(Officer.badge_no == badge_no)).first()


def leaving_refused(session: Session, officer: Officer) -> str | None:
    """Why `officer` may not leave their station or go inactive (the first guard that says
    so), or None."""
    for guard in officer_guards:
        if reason := guard(session, officer):
            return reason
    return None


def save_officer(session: Session, officer: Officer | None, data: OfficerIn) -> Officer:
    """Change `officer`, or (None) make a new one; one who still holds projects may not leave
    the station or go inactive (the guards say why)."""
    clash = officer_by_badge(session, data.badge_no)
    if clash is not None and (officer is None or clash.id != officer.id):
        raise OrgError("警号已存在", "badge_no")
    station = station_by_code(session, data.station_code)
    if station is None:
        raise OrgError(f"单位编码 {data.station_code} 不存在", "station_code")
    officer = officer or Officer(badge_no=data.badge_no, name=data.name, station_id=pk(station))
    leaving = officer.id is not None and (
        (officer.active and not data.active) or officer.station_id != station.id
    )
    if leaving and (reason := leaving_refused(session, officer)):
        raise OrgError(reason, "active" if officer.station_id == station.id else "station_code")
    officer.badge_no, officer.name, officer.phone = data.badge_no, data.name, data.phone or None
    officer.station_id, officer.active = pk(station), data.active
    session.add(officer)
    session.flush()
    return officer


def import_stations(
    session: Session, rows: Iterable[tuple[Station | None, Fields]]
) -> list[Station]:
    """Stations as a checked ledger has them (liaison.ledger.importer checked each row)."""
    return put_all(session, Station, rows)


def import_officers(
    session: Session, rows: Iterable[tuple[Officer | None, Fields]]
) -> list[Officer]:
    """Officers as a checked ledger has them: the import refused a move of one who holds
    projects (the guards' rule) before it got here."""
    return put_all(session, Officer, rows)
