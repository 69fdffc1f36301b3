"""The desk's lists in SQL: the inboxes, ordered by the deadline each request waits for, and
the counts of what has breached and what is about to."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, func, select

from liaison.auth.deps import Principal
from liaison.auth.roles import Role
from liaison.config import Settings
from liaison.desk import sla
from liaison.desk.models import CLOSED_STATUSES, ServiceRequest
from liaison.org.models import Officer, Station
from liaison.projects.models import Project
from liaison.scope import visible

R = ServiceRequest
is_open = col(R.status).not_in(CLOSED_STATUSES)
responded = col(R.first_response_at).is_not(None)
# The deadline a request waits for now: the first response, then closure.
due_at = sa.case((responded, col(R.close_by)), else_=col(R.respond_by))


class Box:
    """The inboxes: mine (what the login handles), the duty desk (no station yet), all."""

    MINE = "mine"
    DUTY = "duty"
    ALL = "all"


@dataclass
class RequestFilter:
    box: str = Box.MINE
    status: str = ""
    type: str = ""
    urgency: str = ""
    q: str = ""


def mine(principal: Principal) -> sa.ColumnElement[bool]:
    """What waits on this login: an officer's own requests, a chief's station's, and for the
    bureau's leaders the duty desk."""
    scope = principal.scope
    if principal.role == Role.OFFICER:
        return col(R.officer_id) == scope.officer_id
    if principal.role == Role.CHIEF:
        return col(R.station_id) == scope.station_id
    if principal.role == Role.LEADER:
        return col(R.station_id).is_(None)
    return sa.true()


def urgent(settings: Settings, at: datetime) -> dict[str, sa.ColumnElement[bool]]:
    """The urgency rule of `sla.clock`, as WHERE clauses on open requests."""
    soon = sa.or_(
        sa.and_(responded, col(R.close_by) < at + sla.warning(settings, True)),
        sa.and_(~responded, col(R.respond_by) < at + sla.warning(settings, False)),
    )
    return {
        sla.Urgency.BREACHED: sa.and_(is_open, due_at < at),
        sla.Urgency.DUE_SOON: sa.and_(is_open, due_at >= at, soon),
    }


def request_list_query(
    principal: Principal, filters: RequestFilter, settings: Settings, at: datetime
) -> Any:
    """Requests the login may see, with their project, station and officer names. Open ones
    first, by the deadline they wait for, so what has breached comes before what is about to."""
    query = (
        select(R, Project.name, Station.name, Officer.name)
        .outerjoin(Project, col(Project.id) == R.project_id)
        .outerjoin(Station, col(Station.id) == R.station_id)
        .outerjoin(Officer, col(Officer.id) == R.officer_id)
        .where(visible(R, principal.scope))
    )
    if filters.box == Box.MINE:
        query = query.where(mine(principal), is_open)
    elif filters.box == Box.DUTY:
        query = query.where(col(R.station_id).is_(None))
    for value, column in ((filters.status, R.status), (filters.type, R.type)):
        if value:
            query = query.where(col(column) == value)
    rules = urgent(settings, at)
    if filters.urgency in rules:
        query = query.where(rules[filters.urgency])
    if filters.q.strip():
        term = filters.q.strip()
        query = query.where(
            sa.or_(
                col(R.tracking_no) == term.upper(), col(R.content).contains(term, autoescape=True)
            )
        )
    return query.order_by(
        sa.case((is_open, 0), else_=1),
        sa.case((is_open, due_at)),
        col(R.received_at).desc(),
        col(R.id).desc(),
    )


def urgency_counts(
    session: Session, principal: Principal, settings: Settings, at: datetime
) -> dict[str, int]:
    """How many of the login's own open requests have breached, are due soon, wait to be
    accepted: one query."""
    rules = urgent(settings, at)
    row = session.execute(
        sa.select(
            func.count(sa.case((rules[sla.Urgency.BREACHED], 1))),
            func.count(sa.case((rules[sla.Urgency.DUE_SOON], 1))),
            func.count(sa.case((col(R.status) == "待受理", 1))),
        ).where(visible(R, principal.scope), mine(principal), is_open)
    ).one()
    return {"breached": row[0], "due_soon": row[1], "new": row[2]}
