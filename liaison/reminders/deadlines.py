"""The records with a clock on them, one query per domain: open requests near or past their
response and closure deadlines, open hazards near or past theirs, 司法确认 windows closing,
projects overdue for a visit. Each comes back as a `Tracked` record with the reminders it
calls for now and how it stands today (for the morning digest); the scan decides who is told.
"""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import sqlalchemy as sa
from sqlmodel import Session, col, select

from liaison.clock import LOCAL_TZ, local
from liaison.config import Settings
from liaison.desk.models import ServiceRequest
from liaison.desk.queries import is_open, responded
from liaison.disputes.models import Dispute
from liaison.disputes.service import JUDICIAL_CONFIRMATION_DAYS, judicial_deadline
from liaison.hazards.models import Hazard, HazardStatus
from liaison.hazards.service import is_overdue
from liaison.notify.kinds import Kind
from liaison.projects.models import Project
from liaison.projects.queries import current_terms, last_visit_date, overdue_clause

HAZARD_WARN_DAYS = 3  # a hazard's deadline is reminded this many days ahead
JUDICIAL_WARN_DAYS = (7, 1)  # and the 司法确认 deadline this many days ahead, each once
# A request reopened by 不满意 has a new closure deadline: its reminders are made again.
REOPENED = ":reopen"


@dataclass(frozen=True)
class Route:
    """Where a record's reminders go: the officer it is routed to unless away; else the
    officer on duty for its project; else, with no project, its station's chiefs; else the
    duty desk (liaison/reminders/duty.py)."""

    officer_id: int | None
    project_id: int | None
    station_id: int | None


@dataclass(frozen=True)
class Signal:
    """A reminder a record calls for now. A breach (`since` set) is escalated too."""

    kind: Kind
    threshold: str
    body: str
    since: datetime | None = None  # the moment it breached
    round: str = ""  # a second round of the same clock (REOPENED)


class Today:
    """How a record stands in the morning digest."""

    DUE = "due"
    OVERDUE = "overdue"


@dataclass(frozen=True)
class Tracked:
    record: str  # the reminder's record: "request:12"
    url: str
    subject: str
    route: Route
    signals: tuple[Signal, ...]
    today: str | None  # Today.DUE, Today.OVERDUE or None
    group: str  # what the digest counts it as: 诉求, 隐患, 走访, 司法确认


def start_of(day: date) -> datetime:
    return datetime.combine(day, time(), LOCAL_TZ)


@dataclass(frozen=True)
class Clock:
    """One of a request's two clocks: its kinds, its words, how long ahead it warns."""

    due: Kind
    breached: Kind
    words: str
    warning: timedelta

    def signals(self, deadline: datetime, at: datetime, round: str = "") -> list[Signal]:
        """Its breach once passed, else its warning once within reach."""
        body = f"{self.words} {local(deadline):%m月%d日 %H:%M}"
        if deadline < at:
            return [Signal(self.breached, "breached", body, since=deadline, round=round)]
        if deadline < at + self.warning:
            return [Signal(self.due, "due", body, round=round)]
        return []


def requests(session: Session, at: datetime, settings: Settings) -> Iterator[Tracked]:
    """Open requests whose response or closure is due soon, passed, or due today."""
    R = ServiceRequest
    response = Clock(
        Kind.RESPONSE_DUE,
        Kind.RESPONSE_BREACHED,
        "响应时限",
        timedelta(hours=settings.desk_warn_response_hours),
    )
    closure = Clock(
        Kind.CLOSURE_DUE,
        Kind.CLOSURE_BREACHED,
        "办结时限",
        timedelta(hours=settings.desk_warn_close_hours),
    )
    today = local(at).date()
    tomorrow = start_of(today + timedelta(days=1))
    rows = session.execute(
        sa.select(
            col(R.id),
            col(R.tracking_no),
            col(R.content),
            col(R.officer_id),
            col(R.project_id),
            col(R.station_id),
            col(R.respond_by),
            col(R.close_by),
            col(R.first_response_at),
            col(R.reopened),
        ).where(
            is_open,
            sa.or_(
                sa.and_(~responded, col(R.respond_by) < max(at + response.warning, tomorrow)),
                col(R.close_by) < max(at + closure.warning, tomorrow),
            ),
        )
    ).all()
    for row in rows:
        unanswered = row.first_response_at is None
        signals = response.signals(row.respond_by, at) if unanswered else []
        signals += closure.signals(row.close_by, at, REOPENED if row.reopened else "")
        waits_for = row.respond_by if unanswered else row.close_by
        yield Tracked(
            f"request:{row.id}",
            f"/requests/{row.id}",
            f"{row.tracking_no} {row.content[:20]}",
            # Without an officer a request waits in its station's inbox, whatever its project.
            Route(row.officer_id, row.project_id if row.officer_id else None, row.station_id),
            tuple(signals),
            _today(waits_for < at, local(waits_for).date() == today),
            "诉求",
        )


def _today(overdue: bool, due_today: bool) -> str | None:
    return Today.OVERDUE if overdue else Today.DUE if due_today else None


def hazards(session: Session, at: datetime) -> Iterator[Tracked]:
    """Open hazards whose deadline is within HAZARD_WARN_DAYS, or passed."""
    today = local(at).date()
    rows = session.exec(
        select(Hazard, Project.station_id)
        .join(Project, col(Project.id) == Hazard.project_id)
        .where(
            Hazard.status != HazardStatus.CLOSED.value,
            col(Hazard.deadline) <= today + timedelta(days=HAZARD_WARN_DAYS),
        )
    ).all()
    for hazard, station_id in rows:
        body = f"整改期限 {hazard.deadline.isoformat()}"
        overdue = is_overdue(hazard, today)
        signal = (
            Signal(
                Kind.HAZARD_BREACHED,
                "breached",
                body,
                since=start_of(hazard.deadline + timedelta(days=1)),
            )
            if overdue
            else Signal(Kind.HAZARD_DUE, f"{HAZARD_WARN_DAYS}d", body)
        )
        yield Tracked(
            f"hazard:{hazard.id}",
            f"/hazards/{hazard.id}",
            str(hazard),
            Route(None, hazard.project_id, station_id),
            (signal,),
            _today(overdue, hazard.deadline == today),
            "隐患",
        )


def disputes(session: Session, at: datetime) -> Iterator[Tracked]:
    """Cases whose 司法确认 deadline is within the longest warning, to their handler."""
    today = local(at).date()
    first_closed = today - timedelta(days=JUDICIAL_CONFIRMATION_DAYS)
    last_closed = first_closed + timedelta(days=max(JUDICIAL_WARN_DAYS))
    rows = session.exec(
        select(Dispute, Project.station_id)
        .join(Project, col(Project.id) == Dispute.project_id)
        .where(
            col(Dispute.judicial_confirmation),
            col(Dispute.closed_on) >= first_closed,
            col(Dispute.closed_on) <= last_closed,
        )
    ).all()
    for dispute, station_id in rows:
        deadline = judicial_deadline(dispute)
        if deadline is None:
            continue
        left = (deadline - today).days
        warn = min(days for days in JUDICIAL_WARN_DAYS if left <= days)
        yield Tracked(
            f"dispute:{dispute.id}",
            f"/disputes/{dispute.id}",
            f"{dispute.code} {dispute.type}",
            Route(dispute.handler_id, dispute.project_id, station_id),
            (Signal(Kind.JUDICIAL_DUE, f"{warn}d", f"申请司法确认截止 {deadline.isoformat()}"),),
            _today(False, left == 0),
            "司法确认",
        )


def visits(session: Session, at: datetime, settings: Settings) -> Iterator[Tracked]:
    """Active projects overdue for a visit, or due one today: the threshold is the last visit,
    so a new visit (and its next lapse) makes a new reminder."""
    today = local(at).date()
    interval = settings.visit_interval_days
    term = current_terms()
    last_visit = last_visit_date()
    # Overdue tomorrow: overdue today, or due today.
    due_by_tomorrow = overdue_clause(term, last_visit, today + timedelta(days=1), interval)
    rows = session.execute(
        sa.select(
            col(Project.id),
            col(Project.code),
            col(Project.name),
            col(Project.station_id),
            last_visit,
            term.c.start_date,
        )
        .outerjoin(term, term.c.project_id == Project.id)
        .where(col(Project.archived_at).is_(None), due_by_tomorrow)
    ).all()
    for project_id, code, name, station_id, visited, started in rows:
        overdue = (visited or started or date.min) < today - timedelta(days=interval)
        body = f"上次走访 {visited.isoformat()}" if visited else "尚未走访"
        threshold = visited.isoformat() if visited else "never"
        yield Tracked(
            f"project:{project_id}",
            f"/projects/{project_id}",
            f"{code} {name}",
            Route(None, project_id, station_id),
            (Signal(Kind.VISIT_OVERDUE, threshold, body),) if overdue else (),
            _today(overdue, not overdue),
            "走访",
        )
