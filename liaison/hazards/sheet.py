"""The ledger's 隐患 sheet: its columns, its rows for the export, the check of a file's rows
(the dates by the service's own rule) and the save through liaison.hazards.service."""

from typing import Any

from sqlmodel import Session

from liaison import sheets
from liaison.hazards import service
from liaison.hazards.models import Hazard, HazardStatus
from liaison.hazards.schemas import HazardBase, HazardIn
from liaison.projects.sheet import on_project
from liaison.sheets import Column, Rows, Values

SHEET, PROJECTS, OFFICERS = "隐患", "重点项目", "民警"


def hazard_rows(session: Session, ids: Any = None) -> Rows:
    query = on_project(Hazard, Hazard.found_by_id)
    for h, project, badge in sheets.stream(session, query, ids, Hazard.id):
        yield [
            h.code,
            project,
            h.category,
            h.level,
            h.description,
            sheets.day_text(h.found_on),
            badge,
            sheets.day_text(h.deadline),
            h.status,
            sheets.day_text(h.closed_on),
        ]


def _problems(v: Values) -> list[tuple[str, str]]:
    """What is wrong with a row's dates and status, as (column key, reason)."""
    problems = service.found_problems(v["found_on"], v["deadline"]) if v["found_on"] else []
    if v["found_on"] and v["closed_on"] and v["closed_on"] < v["found_on"]:
        problems.append(("closed_on", "销号日期不能早于发现日期"))
    closed = v["status"] == HazardStatus.CLOSED.value
    if v["status"] and closed != (v["closed_on"] is not None):
        reason = "状态为已销号时须填销号日期" if closed else "未销号的隐患不能有销号日期"
        problems.append(("closed_on", reason))
    return problems


COLUMNS = [
    Column("隐患编号", "code", sheets.code(), True, "唯一"),
    Column("项目编号", "project", sheets.code(), True, sheets.PROJECT_HELP, refers=(PROJECTS,)),
    sheets.column(HazardIn, "category"),
    sheets.column(HazardIn, "level"),
    sheets.column(HazardIn, "description"),
    sheets.column(HazardIn, "found_on", help=sheets.DATE_HELP),
    Column("发现人警号", "finder", sheets.code(), True, sheets.BADGE_HELP, refers=(OFFICERS,)),
    # The form may leave the deadline to the level's default; a ledger row states the one the
    # hazard has, as the record (HazardBase) always does.
    sheets.column(HazardBase, "deadline", help=sheets.DATE_HELP),
    sheets.enum_column("状态", "status", HazardStatus, True),
    Column("销号日期", "closed_on", sheets.day, help="状态为已销号时必填"),
]
HAZARDS = sheets.on_project_sheet(
    SHEET,
    COLUMNS,
    Hazard,
    hazard_rows,
    problems=_problems,
    copied=("category", "level", "description", "found_on", "deadline", "status", "closed_on"),
    officer="finder",
    save=service.import_hazards,
)
