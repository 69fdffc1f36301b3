"""GET /api/v1/projects: key projects the token's user may see, filtered like the list page."""

from typing import Annotated

from fastapi import APIRouter, Query

from liaison.api.common import NOT_FOUND, ListCallDep, ListOut
from liaison.auth.deps import ApiUser, SettingsDep
from liaison.clock import today
from liaison.db import SessionDep
from liaison.projects import queries
from liaison.projects.models import Project
from liaison.projects.schemas import ProjectOut
from liaison.scope import get_visible

router = APIRouter(prefix="/api/v1", tags=["api"])


def _out(row: queries.ProjectRow) -> ProjectOut:
    p = row.project
    return ProjectOut(
        id=p.id or 0,
        code=p.code,
        name=p.name,
        enterprise=row.enterprise_name,
        level=p.level,
        stage=p.stage,
        category=p.category,
        investment_fen=p.investment_fen,
        station=row.station_name,
        officer_badge=row.officer.badge_no if row.officer else None,
        officer_name=row.officer.name if row.officer else None,
        last_visit=row.last_visit,
        next_visit_due=row.next_visit_due,
        visit_overdue=row.overdue,
        archived=p.archived_at is not None,
    )


@router.get("/projects", response_model=ListOut[ProjectOut], summary="重点项目列表")
def list_projects(
    call: ListCallDep, settings: SettingsDep, filters: Annotated[queries.ProjectFilter, Query()]
) -> ListOut[ProjectOut]:
    scope, interval = call.principal.scope, settings.visit_interval_days
    query = queries.project_list_query(scope, filters, today=today(), interval_days=interval)
    # Counted on the projects alone, not through the rows' joins and last visits.
    total = queries.count_projects(
        call.session, scope, filters, today=today(), interval_days=interval
    )
    rows = queries.to_rows(call.rows(query), interval)
    return call.answer([_out(r) for r in rows], total)


@router.get(
    "/projects/{project_id}", response_model=ProjectOut, summary="重点项目", responses=NOT_FOUND
)
def get_project(
    session: SessionDep, settings: SettingsDep, principal: ApiUser, project_id: int
) -> ProjectOut:
    project = get_visible(session, Project, project_id, principal.scope)
    interval = settings.visit_interval_days
    query = queries.project_list_query(
        principal.scope,
        queries.ProjectFilter(archived=project.archived_at is not None),
        today=today(),
        interval_days=interval,
    ).where(Project.id == project.id)
    return _out(queries.to_rows(list(session.exec(query).all()), interval)[0])
