"""The recovery ledger's reads: one filter and one query for the page, its xlsx export and the
API, and the totals by dimension, summed in SQL."""

from typing import Any

import sqlalchemy as sa
from pydantic import Field
from sqlmodel import Session, col, func

from liaison.enterprises.models import Enterprise
from liaison.listing import ListFilter, OptionalDay, OptionalId, matching
from liaison.org.models import Officer, Station
from liaison.projects.models import Project
from liaison.recoveries.models import Recovery
from liaison.scope import Scope, visible

DIMENSIONS: dict[str, tuple[str, Any]] = {
    "station": ("单位", Station.name),
    "source": ("来源", Recovery.source),
    "officer": ("承办民警", Officer.name),
    "project": ("项目", Project.name),
    "enterprise": ("企业", Enterprise.name),
    "month": ("月份", None),
}


class RecoveryFilter(ListFilter):
    since: OptionalDay = Field(None, description="挽回日期起（含）")
    until: OptionalDay = Field(None, description="挽回日期止（含）")
    station_id: OptionalId = Field(None, alias="station")
    project_id: OptionalId = Field(None, alias="project")
    source: str = ""


def ledger_query(scope: Scope, filters: RecoveryFilter) -> Any:
    """The entries the scope reaches and the filters keep, reversals included, joined to what
    the totals group by (rows, not scalars; no order, which the caller adds)."""
    query = (
        sa.select(Recovery)
        .join(Project, col(Project.id) == Recovery.project_id)
        .join(Station, col(Station.id) == Project.station_id)
        .join(Enterprise, col(Enterprise.id) == Project.enterprise_id)
        .join(Officer, col(Officer.id) == Recovery.officer_id)
        .where(visible(Project, scope))
    )
    if filters.since:
        query = query.where(col(Recovery.recovered_on) >= filters.since)
    if filters.until:
        query = query.where(col(Recovery.recovered_on) <= filters.until)
    return matching(
        query,
        (filters.station_id, col(Project.station_id)),
        (filters.project_id, col(Recovery.project_id)),
        (filters.source, col(Recovery.source)),
    )


def totals(session: Session, query: Any, by: str) -> list[tuple[str, int, int]]:
    """(label, sum in fen, entries) per value of the dimension, reversals included, in SQL."""
    if by == "month":
        year, month = (
            sa.extract("year", col(Recovery.recovered_on)),
            sa.extract("month", col(Recovery.recovered_on)),
        )
        grouped = query.with_only_columns(year, month, func.sum(Recovery.amount_fen), func.count())
        rows = session.exec(grouped.group_by(year, month).order_by(year, month)).all()
        return [(f"{int(y)}-{int(m):02d}", int(total), n) for y, m, total, n in rows]
    column = DIMENSIONS[by][1]
    grouped = query.with_only_columns(column, func.sum(Recovery.amount_fen), func.count())
    rows = session.exec(
        grouped.group_by(column).order_by(func.sum(Recovery.amount_fen).desc())
    ).all()
    return [(str(label), int(total), n) for label, total, n in rows]
