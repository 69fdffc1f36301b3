"""Stations and officer records: what writes their tables. The ledger import
still writes some rows itself (tests/test_writers.py lists every such writer and fails
on a new one)."""

from collections.abc import Callable

from sqlmodel import Session, select

from liaison.errors import FieldError
from liaison.org.models import Officer, Station


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


def save_station(
    session: Session, station: Station | None, *, code: str, name: str, active: bool
) -> Station:
    """Change `station`, or (None) make a new one."""
    clash = station_by_code(session, code)
    if clash is not None and (station is None or clash.id != station.id):
        raise OrgError("单位编码已存在", "code")
    station = station or Station(code=code, name=name)
    station.code, station.name, station.active = code, name, active
    session.add(station)
    session.flush()
    return station


def officer_by_badge(session: Session, badge_no: str) -> Officer | None:
    return session.exec(select(Officer).where(Officer.badge_no == badge_no)).first()


def save_officer(
    session: Session,
    officer: Officer | None,
    *,
    badge_no: str,
    name: str,
    phone: str | None,
    station_code: str,
    active: bool = True,
) -> Officer:
    """Change `officer`, or (None) make a new one; one who still holds projects may not leave
    the station or go inactive (the guards say why)."""
    clash = officer_by_badge(session, badge_no)
    if clash is not None and (officer is None or clash.id != officer.id):
        raise OrgError("警号已存在", "badge_no")
    station = station_by_code(session, station_code)
    if station is None:
        raise OrgError(f"单位编码 {station_code} 不存在", "station_code")
    officer = officer or Officer(badge_no=badge_no, name=name, station_id=station.id or 0)
    leaving = officer.id is not None and (
        (officer.active and not active) or officer.station_id != station.id
    )
    if leaving:
        for guard in officer_guards:
            if reason := guard(session, officer):
                raise OrgError(
                    reason, "active" if officer.station_id == station.id else "station_code"
                )
    officer.badge_no, officer.name, officer.phone = badge_no, name, phone or None
    officer.station_id, officer.active = station.id, active  # type: ignore[assignment]
    session.add(officer)
    session.flush()
    return officer
