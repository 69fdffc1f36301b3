"""Who is on duty for a project today: its officer; while they are away, its backup officer
(B角); with neither there, the duty desk (the bureau's leaders). Requests, reminders and
escalations of the project go to that person. Coverage and the records keep the officer."""

from collections.abc import Iterable
from datetime import date

from sqlmodel import Session, col, select

from liaison.auth.models import User
from liaison.auth.roles import Role
from liaison.clock import today
from liaison.org.models import Absence, Officer
from liaison.projects.models import Assignment, Project


def away(session: Session, officer_ids: Iterable[int], on: date | None = None) -> set[int]:
    """Those of these officers marked away on `on` (today)."""
    ids = list(set(officer_ids))
    if not ids:
        return set()
    day = on or today()
    rows = session.exec(
        select(Absence.officer_id).where(
            col(Absence.officer_id).in_(ids), Absence.starts_on <= day, Absence.ends_on >= day
        )
    ).all()
    return set(rows)


def unavailable(session: Session, officer_ids: Iterable[int], on: date | None = None) -> set[int]:
    """Those of these officers who cannot take work on `on`: away, or no longer active."""
    ids = list(set(officer_ids))
    inactive = session.exec(
        select(Officer.id).where(col(Officer.id).in_(ids), col(Officer.active).is_(False))
    ).all()
    return away(session, ids, on) | {i for i in inactive if i is not None}


def duty_officers(
    session: Session, project_ids: Iterable[int], on: date | None = None
) -> dict[int, int | None]:
    """Each project's officer on duty `on` (today), by project id; None: the duty desk."""
    ids = list(set(project_ids))
    if not ids:
        return {}
    rows = session.exec(
        select(Project.id, Assignment.officer_id, Project.backup_officer_id)
        .outerjoin(
            Assignment,
            (col(Assignment.project_id) == Project.id) & col(Assignment.end_date).is_(None),
        )
        .where(col(Project.id).in_(ids))
    ).all()
    absent = unavailable(session, [o for _, main, backup in rows for o in (main, backup) if o], on)
    on_duty: dict[int, int | None] = {}
    for project_id, main, backup in rows:
        present = [o for o in (main, backup) if o is not None and o not in absent]
        on_duty[int(project_id or 0)] = present[0] if present else None
    return on_duty


def duty_officer(session: Session, project_id: int, on: date | None = None) -> int | None:
    return duty_officers(session, [project_id], on).get(project_id)


def users_of(session: Session, officer_ids: Iterable[int]) -> dict[int, int]:
    """The active login of each of these officers that has one: {officer id: user id}."""
    ids = list(set(officer_ids))
    if not ids:
        return {}
    rows = session.exec(
        select(User.officer_id, User.id).where(col(User.officer_id).in_(ids), User.active)
    ).all()
    return {int(o): int(u) for o, u in rows if o is not None and u is not None}


def chiefs(session: Session, station_id: int | None) -> list[int]:
    """The active logins of a station's chiefs (所长)."""
    if station_id is None:
        return []
    rows = session.exec(
        select(User.id)
        .join(Officer, col(Officer.id) == User.officer_id)
        .where(User.role == Role.CHIEF.value, User.active, Officer.station_id == station_id)
    ).all()
    return [u for u in rows if u is not None]


def leaders(session: Session) -> list[int]:
    """The active logins of the bureau's leaders: the duty desk."""
    rows = session.exec(select(User.id).where(User.role == Role.LEADER.value, User.active)).all()
    return [u for u in rows if u is not None]


def on_duty_users(session: Session, project_id: int, on: date | None = None) -> list[int]:
    """Whom a project's news goes to: its officer on duty's login, else the duty desk."""
    officer = duty_officer(session, project_id, on)
    user = users_of(session, [officer]).get(officer) if officer is not None else None
    return [user] if user is not None else leaders(session)
