"""The ledger's 纠纷 sheet: its columns, its rows for the export, the check of a file's rows and
the save through liaison.disputes.service."""

from typing import Any

from sqlmodel import Session

from liaison import sheets
from liaison.disputes import service
from liaison.disputes.models import Dispute
from liaison.disputes.schemas import DisputeBase, DisputeIn, DisputeStatus
from liaison.projects.sheet import on_project
from liaison.sheets import Column, Rows, Values

SHEET, PROJECTS, OFFICERS = "纠纷", "重点项目", "民警"


def dispute_rows(session: Session, ids: Any = None) -> Rows:
    query = on_project(Dispute, Dispute.handler_id)
    for d, project, badge in sheets.stream(session, query, ids, Dispute.id):
        yield [
            d.code,
            project,
            d.type,
            sheets.day_text(d.received_on),
            sheets.fen_text(d.amount_fen),
            d.status,
            sheets.day_text(d.closed_on),
            badge,
            d.facts,
        ]


def _problems(v: Values) -> list[tuple[str, str]]:
    """What is wrong with a row's amount, dates and status, as (column key, reason)."""
    problems = service.received_problems(v["received_on"]) if v["received_on"] else []
    if v["amount_fen"] is not None and v["amount_fen"] < 0:
        problems.append(("amount_fen", "金额不能为负数"))
    if v["received_on"] and v["closed_on"] and v["closed_on"] < v["received_on"]:
        problems.append(("closed_on", "办结日期不能早于受理日期"))
    open_case = v["status"] == DisputeStatus.MEDIATING.value
    if v["status"] and open_case == (v["closed_on"] is not None):
        reason = "调解中的纠纷不能有办结日期" if open_case else "已办结的纠纷须填办结日期"
        problems.append(("closed_on", reason))
    return problems


# A row is a case as history has it: numbered, its facts perhaps blank (DisputeBase), where a
# form's case (DisputeIn) is numbered by the service and must state its facts.
COLUMNS = [
    sheets.column(DisputeBase, "code", sheets.code(), help="唯一"),
    Column("项目编号", "project", sheets.code(), True, sheets.PROJECT_HELP, refers=(PROJECTS,)),
    sheets.column(DisputeIn, "type"),
    sheets.column(DisputeIn, "received_on", help=sheets.DATE_HELP),
    sheets.column(DisputeIn, "amount_fen", sheets.yuan, help="元，最多两位小数"),
    sheets.enum_column("状态", "status", DisputeStatus, True),
    Column("办结日期", "closed_on", sheets.day, help="调解中以外的状态必填"),
    Column("承办人警号", "handler", sheets.code(), True, sheets.BADGE_HELP, refers=(OFFICERS,)),
    sheets.column(DisputeBase, "facts"),
]
DISPUTES = sheets.on_project_sheet(
    SHEET,
    COLUMNS,
    Dispute,
    dispute_rows,
    problems=_problems,
    copied=("type", "received_on", "amount_fen", "status", "closed_on", "facts"),
    officer="handler",
    save=service.import_disputes,
)
