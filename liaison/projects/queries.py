"""Read-side queries for project pages: lists, coverage, workloads, the file. Each page's
figures come from a fixed number of SQL statements, whatever the number of rows."""

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, Protocol

import sqlalchemy as sa
from pydantic import Field
from sqlmodel import Session, col, func, select

from liaison.db import pk
from liaison.enterprises.models import Enterprise
from liaison.listing import Flag, ListFilter, OptionalId, SearchText, matching
from liaison.org.models import Officer, Station
from liaison.projects.models import Assignment, Project, Visit
from liaison.scope import Scope, visible


def current_terms() -> Any:
    """Subquery: project_id → officer_id, start_date of the current assignment."""
    return (
        sa.select(
            col(Assignment.project_id), col(Assignment.officer_id), col(Assignment.start_date)
        )
        .where(col(Assignment.end_date).is_(None))
        .subquery("current_term")
    )


def last_visit_date() -> Any:
    """The date of the project's last visit, correlated to the enclosing query's project: one
    probe of ix_visit_project_date per project read, where grouping every visit of the province
    cost a scan of the whole table on every list."""
    return (
        sa.select(func.max(Visit.visit_date))
        .where(col(Visit.project_id) == Project.id)
        .correlate(Project)
        .scalar_subquery()
    )


class WorkFilter(Protocol):
    """What every list of a project's work (hazards, disputes) is filtered by, beside its own."""

    station_id: int | None
    officer_id: int | None
    project_id: int | None


def work_list_query(
    model: Any, officer: Any, scope: Scope, filters: WorkFilter, *columns: Any
) -> Any:
    """(row, project name, station name, officer name, *columns) for `model`'s rows whose
    project the scope reaches, narrowed to the filters' station, officer and project; `officer`
    is the row's column naming its officer."""
    query = (
        sa.select(model, col(Project.name), col(Station.name), col(Officer.name), *columns)
        .join(Project, col(Project.id) == model.project_id)
        .join(Station, col(Station.id) == Project.station_id)
        .join(Officer, col(Officer.id) == officer)
        .where(visible(Project, scope))
    )
    return matching(
        query,
        (filters.station_id, col(Project.station_id)),
        (filters.officer_id, col(officer)),
        (filters.project_id, col(model.project_id)),
    )


def overdue_clause(
    term: Any, last_visit: Any, today: date, interval_days: int
) -> sa.ColumnElement[bool]:
    """Overdue for a visit: the last visit (or, never visited, the current officer's start) is
    more than the interval ago. An uncovered project never visited is overdue too: it counts
    from the first day, so the last visit is looked up once per project, not twice."""
    due_from = func.coalesce(last_visit, term.c.start_date, date.min)
    return due_from < today - timedelta(days=interval_days)


class ProjectFilter(ListFilter):
    q: SearchText = ""
    station_id: OptionalId = Field(None, alias="station")
    level: str = ""
    stage: str = ""
    officer_id: OptionalId = Field(None, alias="officer")
    covered: str = ""  # "yes" | "no" | ""
    overdue: Flag = False
    archived: Flag = False
    sort: str = "code"
    enterprise_id: OptionalId = Field(None, alias="enterprise")


# Each sort's keys, each (expression, descending). The unique code ends every sort, so the
# order is total and a page can start right after a given project (keyset pagination); a
# project without an investment sorts last on both engines.
SORTS: dict[str, tuple[tuple[Any, bool], ...]] = {
    "code": ((col(Project.code), False),),
    "name": ((col(Project.name), False), (col(Project.code), False)),
    "-investment": (
        (func.coalesce(col(Project.investment_fen), -1), True),
        (col(Project.code), False),
    ),
    "level": ((col(Project.level), False), (col(Project.code), False)),
}


def _after_clause(scope: Scope, keys: tuple[tuple[Any, bool], ...], code: str) -> Any:
    """Rows strictly after the project `code` in the order `keys`. The link carries only the
    code; the anchor's keys are read back by it, among the projects the user may see, so a code
    they may not see starts nothing."""

    def anchor(expression: Any) -> Any:
        return (
            sa.select(expression)
            .where(col(Project.code) == code, visible(Project, scope))
            .correlate(None)
            .scalar_subquery()
        )

    clauses = []
    for n, (expression, descending) in enumerate(keys):
        ties = [e == anchor(e) for e, _ in keys[:n]]
        beyond = expression < anchor(expression) if descending else expression > anchor(expression)
        clauses.append(sa.and_(*ties, beyond))
    return sa.or_(*clauses)


@dataclass
class ProjectRow:
    project: Project
    enterprise_name: str
    station_name: str
    officer: Officer | None
    last_visit: date | None
    next_visit_due: date | None
    overdue: bool


def project_list_query(
    scope: Scope, filters: ProjectFilter, *, today: date, interval_days: int
) -> Any:
    """The list's rows (Project, enterprise name, station name, Officer, last visit, due from,
    overdue) in the filter's order."""
    term, last_visit = current_terms(), last_visit_date()
    overdue = overdue_clause(term, last_visit, today, interval_days)
    due_from = func.coalesce(last_visit, term.c.start_date)
    query = (
        sa.select(
            Project,
            col(Enterprise.name),
            col(Station.name),
            Officer,
            last_visit,
            due_from,
            overdue,
        )
        .join(Enterprise, col(Enterprise.id) == Project.enterprise_id)
        .join(Station, col(Station.id) == Project.station_id)
        .outerjoin(term, term.c.project_id == Project.id)
        .outerjoin(Officer, col(Officer.id) == term.c.officer_id)
    )
    query = _filtered(query, scope, filters, term, overdue)
    return query.order_by(*_ordering(SORTS.get(filters.sort, SORTS["code"])))


def _ordering(keys: tuple[tuple[Any, bool], ...]) -> list[Any]:
    return [e.desc() if descending else e for e, descending in keys]


def _lean_query(
    column: Any, scope: Scope, filters: ProjectFilter, *, today: date, interval_days: int
) -> Any:
    """`column` over the filtered projects, joining only what the filters read: counting or
    ordering the province's projects through every join of the rows costs more than the page."""
    term = current_terms()
    query = sa.select(column).select_from(Project)
    if filters.q:
        query = query.join(Enterprise, col(Enterprise.id) == Project.enterprise_id)
    if filters.officer_id or filters.covered or filters.overdue:
        query = query.outerjoin(term, term.c.project_id == Project.id)
    overdue = overdue_clause(term, last_visit_date(), today, interval_days)
    return _filtered(query, scope, filters, term, overdue)


def _filtered(query: Any, scope: Scope, filters: ProjectFilter, term: Any, overdue: Any) -> Any:
    query = query.where(visible(Project, scope))
    archived = col(Project.archived_at).is_not(None)
    query = query.where(archived if filters.archived else ~archived)
    if filters.q:
        q = filters.q
        query = query.where(
            sa.or_(
                col(Project.name).contains(q, autoescape=True),
                col(Project.code).contains(q, autoescape=True),
                col(Enterprise.name).contains(q, autoescape=True),
                col(Enterprise.uscc).contains(q.upper(), autoescape=True),
            )
        )
    if filters.station_id:
        query = query.where(col(Project.station_id) == filters.station_id)
    if filters.enterprise_id:
        query = query.where(col(Project.enterprise_id) == filters.enterprise_id)
    if filters.level:
        query = query.where(col(Project.level) == filters.level)
    if filters.stage:
        query = query.where(col(Project.stage) == filters.stage)
    if filters.officer_id:
        query = query.where(term.c.officer_id == filters.officer_id)
    if filters.covered == "yes":
        query = query.where(term.c.officer_id.is_not(None))
    elif filters.covered == "no":
        query = query.where(term.c.officer_id.is_(None))
    if filters.overdue:
        query = query.where(overdue)
    return query


def count_projects(
    session: Session, scope: Scope, filters: ProjectFilter, *, today: date, interval_days: int
) -> int:
    """How many projects the filtered list holds."""
    counted = _lean_query(func.count(), scope, filters, today=today, interval_days=interval_days)
    return int(session.execute(counted).scalar_one())


@dataclass
class ProjectPage:
    """One page of the list: its rows, how many match in all, the code it starts after and the
    code the next page starts after (None on the last page)."""

    items: list[ProjectRow]
    total: int
    after: str
    next_after: str | None


def project_page(
    session: Session,
    scope: Scope,
    filters: ProjectFilter,
    *,
    today: date,
    interval_days: int,
    after: str = "",
    size: int = 50,
) -> ProjectPage:
    """The `size` rows after the project coded `after`, and the count of the whole filtered
    list. The page's ids are found first, sorting the projects alone; only those rows are then
    joined and given their last visit (one row more tells whether a next page exists)."""
    total = count_projects(session, scope, filters, today=today, interval_days=interval_days)
    keys = SORTS.get(filters.sort, SORTS["code"])
    ids = _lean_query(col(Project.id), scope, filters, today=today, interval_days=interval_days)
    if after:
        ids = ids.where(_after_clause(scope, keys, after))
    ids = ids.order_by(*_ordering(keys)).limit(size + 1)
    listed = project_list_query(scope, filters, today=today, interval_days=interval_days)
    results = list(session.exec(listed.where(col(Project.id).in_(ids))).all())
    rows = to_rows(results[:size], interval_days)
    next_after = rows[-1].project.code if len(results) > size else None
    return ProjectPage(items=rows, total=total, after=after, next_after=next_after)


def to_rows(results: list[Any], interval_days: int) -> list[ProjectRow]:
    return [
        ProjectRow(
            project=project,
            enterprise_name=enterprise_name,
            station_name=station_name,
            officer=officer,
            last_visit=last_visit,
            next_visit_due=due_from + timedelta(days=interval_days) if due_from else None,
            overdue=bool(overdue) and project.archived_at is None,
        )
        for project, enterprise_name, station_name, officer, last_visit, due_from, overdue in (
            results
        )
    ]


@dataclass
class StationCoverage:
    station: Station
    active: int
    covered: int
    officers: int

    @property
    def rate(self) -> float | None:
        return self.covered / self.active if self.active else None


def coverage_by_station(session: Session, scope: Scope) -> list[StationCoverage]:
    """Active projects and those with a current officer, per station, in two GROUP BYs."""
    term = current_terms()
    counts = {
        station_id: (active, covered)
        for station_id, active, covered in session.exec(
            select(
                Project.station_id,
                func.count(),
                func.count(term.c.officer_id),
            )
            .outerjoin(term, term.c.project_id == Project.id)
            .where(col(Project.archived_at).is_(None), visible(Project, scope))
            .group_by(col(Project.station_id))
        ).all()
    }
    officers = dict(
        session.exec(
            select(Officer.station_id, func.count())
            .where(col(Officer.active))
            .group_by(col(Officer.station_id))
        ).all()
    )
    stations = session.exec(
        select(Station).where(visible(Station, scope)).order_by(Station.code)
    ).all()
    return [
        StationCoverage(s, *counts.get(s.id or 0, (0, 0)), officers.get(s.id or 0, 0))
        for s in stations
        if s.active or s.id in counts
    ]


@dataclass
class OfficerLoad:
    officer: Officer
    station: Station
    projects: int
    overdue: int


def workload_query(
    scope: Scope, *, today: date, interval_days: int, q: str = "", station_id: int | None = None
) -> Any:
    """Active officers with the projects they hold and how many are overdue for a visit, by
    station and load, as one query (rows: Officer, Station, projects, overdue)."""
    term = current_terms()
    overdue = overdue_clause(term, last_visit_date(), today, interval_days)
    held = (
        select(
            term.c.officer_id,
            func.count().label("projects"),
            func.sum(sa.case((overdue, 1), else_=0)).label("overdue"),
        )
        .select_from(term)
        .join(Project, col(Project.id) == term.c.project_id)
        .where(col(Project.archived_at).is_(None))
        .group_by(term.c.officer_id)
        .subquery("held")
    )
    query = (
        select(Officer, Station, held.c.projects, held.c.overdue)
        .join(Station, col(Station.id) == Officer.station_id)
        .outerjoin(held, held.c.officer_id == Officer.id)
        .where(col(Officer.active), visible(Officer, scope))
    )
    if q:
        query = query.where(
            sa.or_(
                col(Officer.name).contains(q, autoescape=True),
                col(Officer.badge_no).contains(q, autoescape=True),
            )
        )
    if station_id:
        query = query.where(col(Officer.station_id) == station_id)
    return query.order_by(
        col(Station.code), held.c.projects.desc().nulls_last(), col(Officer.badge_no)
    )


def to_loads(results: list[Any]) -> list[OfficerLoad]:
    return [OfficerLoad(o, s, projects or 0, int(late or 0)) for o, s, projects, late in results]


@dataclass
class ProjectFile:
    """Everything the project page shows besides the timeline."""

    project: Project
    enterprise: Enterprise
    station: Station
    officer: Officer | None
    term: Assignment | None
    last_visit: date | None
    next_visit_due: date | None
    overdue: bool
    officer_choices: list[tuple[int, str]] = field(default_factory=list)


def project_file(
    session: Session, project: Project, *, today: date, interval_days: int
) -> ProjectFile:
    enterprise = session.get(Enterprise, project.enterprise_id)
    station = session.get(Station, project.station_id)
    assert enterprise is not None and station is not None
    row = session.exec(
        select(Assignment, Officer)
        .join(Officer, col(Officer.id) == Assignment.officer_id)
        .where(Assignment.project_id == project.id, col(Assignment.end_date).is_(None))
    ).first()
    term, officer = row if row else (None, None)
    last_visit = session.exec(
        select(func.max(Visit.visit_date)).where(Visit.project_id == project.id)
    ).one()
    due_from = last_visit or (term.start_date if term else None)
    next_due = due_from + timedelta(days=interval_days) if due_from else None
    overdue = project.archived_at is None and (next_due is None or next_due < today)
    choices = officer_choices(session, project.station_id)
    return ProjectFile(
        project, enterprise, station, officer, term, last_visit, next_due, overdue, choices
    )


def officer_choices(
    session: Session, station_id: int, *, leaving_out: int | None = None
) -> list[tuple[int, str]]:
    """A station's active officers to pick from, each with the active projects they hold now,
    so that whoever assigns sees who is already full: 王伟（612601，现管 5 个项目）."""
    held = (
        select(Assignment.officer_id, func.count().label("n"))
        .join(Project, col(Project.id) == Assignment.project_id)
        .where(col(Assignment.end_date).is_(None), col(Project.archived_at).is_(None))
        .group_by(col(Assignment.officer_id))
        .subquery()
    )
    rows = session.exec(
        select(Officer, func.coalesce(held.c.n, 0))
        .outerjoin(held, held.c.officer_id == Officer.id)
        .where(Officer.station_id == station_id, col(Officer.active), Officer.id != leaving_out)
        .order_by(col(Officer.badge_no))
    ).all()
    return [(pk(o), f"{o.name}（{o.badge_no}，现管 {n} 个项目）") for o, n in rows]
