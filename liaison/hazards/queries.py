"""Read-side queries for hazard lists and panels, each one statement."""

from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa
from pydantic import Field
from sqlmodel import col, select

from liaison.hazards.models import Hazard, HazardCategory, HazardStatus
from liaison.listing import Flag, ListFilter, OptionalId, matching
from liaison.projects.models import Assignment
from liaison.projects.queries import work_list_query
from liaison.scope import Scope

AREA = HazardCategory.COMPLEX_AREA.value
CLOSED = HazardStatus.CLOSED.value


class HazardFilter(ListFilter):
    areas: Flag = False  # complex areas have their own list
    status: str = ""
    level: str = ""
    category: str = ""
    station_id: OptionalId = Field(None, alias="station")
    officer_id: OptionalId = Field(None, alias="officer")
    project_id: OptionalId = Field(None, alias="project")
    overdue: Flag = False
    open_only: Flag = False
    sort: str = "deadline"


# Open work first, whatever the sort: a list whose first page is last year's closed hazards
# shows an officer nothing to do.
_OPEN_FIRST = col(Hazard.status) == CLOSED  # false (open) sorts before true
SORTS = {
    "deadline": (_OPEN_FIRST, col(Hazard.deadline), col(Hazard.id)),
    "-found_on": (col(Hazard.found_on).desc(), col(Hazard.id).desc()),
    "level": (
        _OPEN_FIRST,
        sa.case({"重大": 0, "较大": 1}, value=col(Hazard.level), else_=2),
        col(Hazard.deadline),
        col(Hazard.id),
    ),
}


@dataclass
class HazardRow:
    hazard: Hazard
    project_name: str
    station_name: str
    finder_name: str
    overdue: bool


def hazard_list_query(scope: Scope, filters: HazardFilter, *, today: date) -> Any:
    overdue = sa.and_(col(Hazard.status) != CLOSED, col(Hazard.deadline) < today)
    query = matching(
        work_list_query(Hazard, Hazard.found_by_id, scope, filters, overdue).where(
            (col(Hazard.category) == AREA) if filters.areas else (col(Hazard.category) != AREA)
        ),
        (filters.status, col(Hazard.status)),
        (filters.level, col(Hazard.level)),
        (filters.category, col(Hazard.category)),
    )
    if filters.overdue:
        query = query.where(overdue)
    if filters.open_only:
        query = query.where(col(Hazard.status) != CLOSED)
    return query.order_by(*SORTS.get(filters.sort, SORTS["deadline"]))


def my_overdue_query(scope: Scope, officer_id: int, *, today: date) -> Any:
    """The overdue hazards an officer has to act on: on the projects they are the officer of,
    and not waiting for someone else's review (待复查), soonest deadline first."""
    mine = select(Assignment.project_id).where(
        Assignment.officer_id == officer_id, col(Assignment.end_date).is_(None)
    )
    return hazard_list_query(scope, HazardFilter(overdue=True), today=today).where(
        col(Hazard.project_id).in_(mine),
        col(Hazard.status).not_in([HazardStatus.REVIEW.value, CLOSED]),
    )


def to_rows(results: list[Any]) -> list[HazardRow]:
    return [
        HazardRow(h, project, station, finder, bool(late))
        for h, project, station, finder, late in results
    ]
