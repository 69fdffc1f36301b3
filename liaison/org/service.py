"""Stations and officer records: the only module that writes their tables (the ledger import
too comes through here; tests/test_writers.py holds every module to its own tables)."""

from collections.abc import Callable, Iterable
from datetime import date, timedelta

from sqlmodel import Session, col, select

from liaison.clock import today
from liaison.db import Fields, pk, put_all
from liaison.errors import FieldError, Problems, problems
from liaison.org.models import Absence, Officer, Station
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


# ---- absences (外出) --------------------------------------------------------------------

MOST_DAYS_AWAY = 366  # a year of leave or training at most: longer, the officer has left


def absence_problems(starts_on: date, ends_on: date) -> Problems:
    """What is wrong with an absence's dates, (field, reason)."""
    return problems(
        (ends_on < starts_on, "ends_on", "结束日期不能早于开始日期"),
        (
            (ends_on - starts_on).days + 1 > MOST_DAYS_AWAY,
            "ends_on",
            f"一次外出不能超过 {MOST_DAYS_AWAY} 天",
        ),
    )


def absence_overlapping(
    session: Session, officer_id: int, starts_on: date, ends_on: date
) -> Absence | None:
    """An absence of the officer sharing a day with `starts_on`..`ends_on`, if any."""
    return session.exec(
        select(Absence)
        .where(
            Absence.officer_id == officer_id,
            Absence.starts_on <= ends_on,
            Absence.ends_on >= starts_on,
        )
        .order_by(col(Absence.starts_on))
    ).first()


def absences_of(session: Session, officer_id: int) -> list[Absence]:
    """The officer's absences, the latest first."""
    return list(
        session.exec(
            select(Absence)
            .where(Absence.officer_id == officer_id)
            .order_by(col(Absence.starts_on).desc())
        ).all()
    )


def mark_away(
    session: Session,
    officer: Officer,
    *,
    starts_on: date,
    ends_on: date,
    reason: str,
    by_user_id: int | None,
) -> Absence:
    """Mark `officer` away from `starts_on` to `ends_on`, both days included (leave,
    training): meanwhile each project's backup officer, or the duty desk, takes their work."""
    if not officer.active:
        raise OrgError(f"{officer.name} 已停用，无需登记外出")
    OrgError.refuse(absence_problems(starts_on, ends_on))
    clash = absence_overlapping(session, pk(officer), starts_on, ends_on)
    if clash is not None:
        raise OrgError(f"与已登记的外出（{clash.starts_on} 至 {clash.ends_on}）重叠", "starts_on")
    absence = Absence(
        officer_id=pk(officer),
        starts_on=starts_on,
        ends_on=ends_on,
        reason=reason,
        created_by_id=by_user_id,
    )
    session.add(absence)
    session.flush()
    return absence


def end_absence(session: Session, absence: Absence, *, on: date | None = None) -> None:
    """The officer is back on `on` (today), before the absence was to end: it ends the day
    before. Only an absence under way, begun before that day, ends so."""
    day = on or today()
    if absence.starts_on >= day:
        raise OrgError("这次外出尚未开始，请直接删除")
    if absence.ends_on < day:
        raise OrgError("这次外出已经结束")
    absence.ends_on = day - timedelta(days=1)
    session.add(absence)
    session.flush()


def remove_absence(session: Session, absence: Absence, *, on: date | None = None) -> None:
    """Take back an absence not begun before `on` (today); one under way or past is the
    record of who was on duty, and may only be ended."""
    if absence.starts_on < (on or today()):
        raise OrgError("已开始的外出不能删除；如已返岗，请点「提前返岗」")
    session.delete(absence)
    session.flush()


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
