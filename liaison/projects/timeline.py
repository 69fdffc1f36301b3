"""The project's timeline: everything that happened to it, newest first. Each domain adds a
source (one query per source, whatever the number of entries); hazards, disputes, recoveries
and requests register theirs the same way as assignments and visits do here."""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date

from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from liaison.auth.models import User
from liaison.org.models import Officer
from liaison.projects.models import Assignment, Visit
from liaison.scope import Scope


@dataclass(frozen=True)
class Entry:
    day: date
    kind: str  # a short Chinese label: 任命, 走访, 隐患…
    title: str
    detail: str = ""
    actor: str = ""
    url: str = ""


# A source lists what of the project's history the viewer (their scope) may see: whoever sees
# a project sees its hazards, disputes and ledger, but a request is its sender's and its
# handlers' (an enterprise contact does not see a worker's complaint from the project's poster).
Source = Callable[[Session, int, Scope], Iterable[Entry]]
sources: list[Source] = []  # filled by liaison/wiring.py


def timeline(session: Session, project_id: int, scope: Scope, limit: int = 100) -> list[Entry]:
    entries = [entry for fn in sources for entry in fn(session, project_id, scope)]
    return sorted(entries, key=lambda e: e.day, reverse=True)[:limit]


def assignment_entries(session: Session, project_id: int, scope: Scope) -> Iterable[Entry]:
    by = aliased(User)
    rows = session.exec(
        select(Assignment, Officer, by)
        .join(Officer, col(Officer.id) == Assignment.officer_id)
        .outerjoin(by, col(by.id) == Assignment.assigned_by_id)
        .where(Assignment.project_id == project_id)
    ).all()
    for term, officer, assigned_by in rows:
        actor = assigned_by.display_name if assigned_by else ""
        yield Entry(term.start_date, "任命", f"{officer.name} 任项目警官", term.reason, actor)
        if term.end_date is not None:
            yield Entry(term.end_date, "卸任", f"{officer.name} 不再担任项目警官", term.end_reason)


def visit_entries(session: Session, project_id: int, scope: Scope) -> Iterable[Entry]:
    rows = session.exec(
        select(Visit, Officer)
        .join(Officer, col(Officer.id) == Visit.officer_id)
        .where(Visit.project_id == project_id)
    ).all()
    for visit, officer in rows:
        yield Entry(
            visit.visit_date,
            visit.kind,
            f"{officer.name} {visit.kind}",
            visit.summary,
            officer.name,
        )
