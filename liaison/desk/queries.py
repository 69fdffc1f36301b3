"""The desk's lists in SQL: the inboxes, ordered by the deadline each request waits for, and
the counts of what has breached and what is about to."""

from datetime import datetime, time, timedelta
from typing import Any

import sqlalchemy as sa
from pydantic import Field
from sqlmodel import Session, col, func, select

from liaison.auth.deps import Principal
from liaison.auth.roles import Role
from liaison.clock import LOCAL_TZ
from liaison.config import Settings
from liaison.desk import numbers, sla
from liaison.desk.models import CLOSED_STATUSES, ServiceRequest
from liaison.listing import ListFilter, OptionalDay, OptionalId, SearchText, matching
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


class RequestFilter(ListFilter):
    """The inboxes' filters, the page's and the API's. A blank or unknown box is the widest the
    login may see: the page turns it into the login's own inbox before it asks."""

    box: str = ""
    status: str = ""
    type: str = ""
    channel: str = ""
    urgency: str = ""
    q: SearchText = ""
    project_id: OptionalId = Field(None, alias="project")
    since: OptionalDay = Field(None, description="受理日期起（含，北京时间）")
    until: OptionalDay = Field(None, description="受理日期止（含，北京时间）")


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
    query = matching(
        query,
        (filters.status, col(R.status)),
        (filters.type, col(R.type)),
        (filters.channel, col(R.channel)),
        (filters.project_id, col(R.project_id)),
    )
    if filters.since:
        query = query.where(col(R.received_at) >= _start_of(filters.since))
    if filters.until:
        query = query.where(col(R.received_at) < _start_of(filters.until + timedelta(days=1)))
    rules = urgent(settings, at)
    if filters.urgency in rules:
        query = query.where(rules[filters.urgency])
    if term := filters.q:
        query = query.where(
            sa.or_(
                col(R.tracking_no) == numbers.tracking_number(term),
                col(R.content).contains(term, autoescape=True),
            )
        )
    return query.order_by(
        sa.case((is_open, 0), else_=1),
        sa.case((is_open, due_at)),
        col(R.received_at).desc(),
        col(R.id).desc(),
    )


def _start_of(day: Any) -> datetime:
    return datetime.combine(day, time(), LOCAL_TZ)


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
