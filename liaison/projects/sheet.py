"""The ledger's 重点项目 sheet: its columns, its rows for the export, the check of a file's rows
and the save through liaison.projects.service (the project, then its current officer)."""

from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from liaison import sheets
from liaison.clock import today
from liaison.enterprises.models import Enterprise
from liaison.enterprises.sheet import uscc
from liaison.money import FEN_PER_WAN
from liaison.org.models import Officer, Station
from liaison.projects import service
from liaison.projects.models import Assignment, Project, Stage
from liaison.projects.schemas import ProjectIn
from liaison.sheets import Checking, Column, Row, Rows, Sheet, Values, Writing

SHEET = "重点项目"
STATIONS, OFFICERS, ENTERPRISES = "派出所", "民警", "企业"


def on_project(model: Any, officer_id: Any) -> Any:
    """The query of a sheet of a project's records (隐患, 纠纷, 挽回损失): each record with its
    project's code and the badge of the officer `officer_id` names, in the records' code order."""
    return (
        select(model, Project.code, Officer.badge_no)
        .join(Project, col(Project.id) == model.project_id)
        .join(Officer, col(Officer.id) == officer_id)
        .order_by(col(model.code))
    )


def project_rows(session: Session, ids: Any = None) -> Rows:
    query = (
        select(Project, Enterprise.uscc, Station.code, Officer.badge_no)
        .add_columns(col(Assignment.start_date))
        .join(Enterprise, col(Enterprise.id) == Project.enterprise_id)
        .join(Station, col(Station.id) == Project.station_id)
        .outerjoin(
            Assignment,
            sa.and_(col(Assignment.project_id) == Project.id, col(Assignment.end_date).is_(None)),
        )
        .outerjoin(Officer, col(Officer.id) == Assignment.officer_id)
        .order_by(col(Project.code))
    )
    for p, enterprise, station, badge, start in sheets.stream(session, query, ids, Project.id):
        yield [
            p.code,
            p.name,
            enterprise,
            p.level,
            p.category,
            p.stage,
            sheets.fen_text(p.investment_fen, FEN_PER_WAN),
            station,
            badge or "",
            sheets.day_text(start) if badge else "",
        ]


def check_projects(c: Checking) -> None:
    """References resolved, each project's officer of its station; a changed officer is an
    update too."""
    officer_station = _officer_stations(c)
    current_badge = _current_badges(c)
    for row in c.rows[SHEET]:
        ok = c.need(PROJECTS, row, "station")
        ok &= c.need(PROJECTS, row, "enterprise")
        ok &= c.need(PROJECTS, row, "officer")
        v = row.values
        if ok and v["officer"] and officer_station.get(v["officer"]) != v["station"]:
            c.fail(PROJECTS, row, "officer", f"民警 {v['officer']} 不属于单位 {v['station']}")
            ok = False
        if not ok or c.valid(PROJECTS, row, ProjectIn, _project_in(v)) is None:
            continue
        record = c.found(PROJECTS, row)
        fields = _fields(c, row)
        sheets.diff(row, record, fields)
        current = current_badge.get(record.id) if record and record.id else None
        if row.action == "unchanged" and current != fields["_officer"]:
            row.action = "update"


def _officer_stations(c: Checking) -> dict[str, str]:
    """Each officer's station code by badge: as the file says, else as the database has it."""
    officer_station = {r.values["badge_no"]: r.values["station"] for r in c.rows[OFFICERS]}
    station_codes = {s.id: number for number, s in c.known[STATIONS].items()}
    for badge, officer in c.known[OFFICERS].items():
        officer_station.setdefault(badge, station_codes.get(officer.station_id, ""))
    return officer_station


def _current_badges(c: Checking) -> dict[int, str | None]:
    """The badge of each known project's current officer, by project id, in two queries."""
    terms = service.current_terms(c.session, [p.id for p in c.known[SHEET].values() if p.id])
    badge_of = {o.id: badge for badge, o in c.known[OFFICERS].items()}
    missing = {t.officer_id for t in terms.values()} - set(badge_of)
    for officer in c.session.exec(select(Officer).where(col(Officer.id).in_(missing))).all():
        badge_of[officer.id or 0] = officer.badge_no
    return {project_id: badge_of.get(t.officer_id) for project_id, t in terms.items()}


def _project_in(v: Values) -> Values:
    """What the row gives the project's one input; its references are checked apart (their
    ids may be of records the same file adds)."""
    return {
        "code": v["code"],
        "name": v["name"],
        "level": v["level"],
        "category": v["category"] or "",
        "stage": v["stage"] or Stage.BUILDING.value,
        "investment_fen": v["investment_fen"],
        "enterprise_id": 0,
        "station_id": 0,
    }


def _fields(c: Checking, row: Row) -> Values:
    v = row.values
    enterprise = c.referred(PROJECTS, row, "enterprise")
    station = c.referred(PROJECTS, row, "station")
    return {
        "name": v["name"],
        "level": v["level"],
        "category": v["category"] or "",
        "stage": v["stage"] or Stage.BUILDING.value,
        "investment_fen": v["investment_fen"],
        "enterprise_id": enterprise.id if enterprise else None,
        "station_id": station.id if station else None,
        "_enterprise": v["enterprise"],
        "_station": v["station"],
        "_officer": v["officer"] or None,
        "_assigned_on": v["assigned_on"],
    }


def save_projects(w: Writing, rows: list[Row]) -> None:
    changes = w.changes(
        PROJECTS,
        rows,
        enterprise_id=w.id_of(ENTERPRISES, "_enterprise"),
        station_id=w.id_of(STATIONS, "_station"),
    )
    projects = service.import_projects(w.session, changes)
    w.keep(PROJECTS, rows, projects)
    w.session.flush()
    current = service.current_terms(
        w.session, [row.record.id for row in rows if row.record is not None]
    )
    terms = []
    for row, project in zip(rows, projects, strict=True):
        badge = row.fields["_officer"]
        officer = w.find(OFFICERS, badge) if badge else None
        start = row.fields["_assigned_on"] or today()
        terms.append((project, current.get(project.id or 0), officer, start))
    service.import_officers_of(w.session, terms, by_user_id=w.by)


COLUMNS = [
    sheets.column(ProjectIn, "code", sheets.code(), help="唯一"),
    sheets.column(ProjectIn, "name"),
    Column(
        "统一社会信用代码",
        "enterprise",
        uscc,
        True,
        "须在「企业」表或系统中已有",
        refers=(ENTERPRISES,),
    ),
    sheets.column(ProjectIn, "level"),
    sheets.column(ProjectIn, "category"),
    sheets.column(ProjectIn, "stage"),
    sheets.column(ProjectIn, "investment_fen", sheets.wan, help="万元，最多 6 位小数"),
    Column("单位编码", "station", sheets.code(), True, sheets.STATION_HELP, refers=(STATIONS,)),
    Column(
        "项目警官警号",
        "officer",
        sheets.code(),
        help="空表示暂无项目警官（未覆盖）",
        refers=(OFFICERS,),
    ),
    Column("任命日期", "assigned_on", sheets.day, help=sheets.DATE_HELP),
]
PROJECTS = Sheet(
    SHEET, "项目", COLUMNS, "code", Project, project_rows, check_projects, save_projects
)
