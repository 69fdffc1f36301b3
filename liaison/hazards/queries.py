"""Read-side queries for hazard lists and panels, each one statement."""

from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa
from pydantic import Field
from sqlmodel import col

from liaison.auth.permissions import visible
from liaison.hazards.models import Hazard, HazardCategory, HazardStatus
from liaison.listing import Flag, ListFilter, OptionalId, matching
from liaison.org.models import Officer, Station
from liaison.projects.models import Project
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


SORTS = {
    "deadline": (col(Hazard.deadline), col(Hazard.id)),
    "-found_on": (col(Hazard.found_on).desc(), col(Hazard.id).desc()),
    "level": (
        sa.case({"重大": 0, "较大": 1}, value=col(Hazard.level), else_=2),
        col(Hazard.deadline),
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
    query = (
        sa.select(Hazard, col(Project.name), col(Station.name), col(Officer.name), overdue)
        .join(Project, col(Project.id) == Hazard.project_id)
        .join(Station, col(Station.id) == Project.station_id)
        .join(Officer, col(Officer.id) == Hazard.found_by_id)
        .where(visible(Project, scope))
        .where((col(Hazard.category) == AREA) if filters.areas else (col(Hazard.category) != AREA))
    )
    query = matching(
        query,
        (filters.status, col(Hazard.status)),
        (filters.level, col(Hazard.level)),
        (filters.category, col(Hazard.category)),
        (filters.station_id, col(Project.station_id)),
        (filters.officer_id, col(Hazard.found_by_id)),
        (filters.project_id, col(Hazard.project_id)),
    )
    if filters.overdue:
        query = query.where(overdue)
    if filters.open_only:
        query = query.where(col(Hazard.status) != CLOSED)
    return query.order_by(*SORTS.get(filters.sort, SORTS["deadline"]))


def to_rows(results: list[Any]) -> list[HazardRow]:
    return [
        HazardRow(h, project, station, finder, bool(late))
        for h, project, station, finder, late in results
    ]
