"""The ledger's 诉求 sheet: its columns, its rows for the export, the check of a file's rows (a
rating as the desk's own rule allows it) and the save through liaison.desk.service."""

from typing import Any

from sqlmodel import Session, col, select

from liaison import sheets
from liaison.desk import models, service, sla
from liaison.desk.schemas import RequestBase, RequestIn
from liaison.projects.models import Project
from liaison.sheets import Checking, Column, Row, Rows, Sheet, Values, Writing

SHEET, PROJECTS = "诉求", "重点项目"


def request_rows(session: Session, ids: Any = None) -> Rows:
    query = (
        select(models.ServiceRequest, Project.code)
        .outerjoin(Project, col(Project.id) == models.ServiceRequest.project_id)
        .order_by(col(models.ServiceRequest.received_at), col(models.ServiceRequest.id))
    )
    for r, project in sheets.stream(session, query, ids, models.ServiceRequest.id):
        yield [
            r.tracking_no,
            r.type,
            r.topic,
            sheets.time_text(r.received_at),
            r.channel,
            project or "",
            r.content,
            r.submitter_name,
            r.submitter_phone,
            sheets.time_text(r.first_response_at),
            sheets.time_text(r.closed_at),
            r.status,
            r.satisfaction or "",
        ]


def check_requests(c: Checking) -> None:
    levels = sla.levels(c.session, c.settings)
    for row in c.rows[SHEET]:
        v = row.values
        ok = c.need(REQUESTS, row, "project")
        record = c.found(REQUESTS, row)
        for key, reason in _problems(v, record):
            c.fail(REQUESTS, row, key, reason)
            ok = False
        if not ok or v["received_at"] is None:
            continue
        sheets.diff(row, record, _fields(v, levels[models.RequestType(v["type"])]))
        if record is not None and row.action == "unchanged":
            project = c.referred(REQUESTS, row, "project")
            if record.project_id != (project.id if project else None):
                row.action = "update"


def _problems(v: Values, record: models.ServiceRequest | None) -> list[tuple[str, str]]:
    """What is wrong with a request's times, status and rating, as (column key, reason)."""
    problems = []
    received = v["received_at"]
    for key, label in (("first_response_at", "首次响应时间"), ("closed_at", "办结时间")):
        if received and v[key] and v[key] < received:
            problems.append((key, f"{label}不能早于提交时间"))
    closed = v["status"] in models.CLOSED_STATUSES
    if v["status"] and closed != (v["closed_at"] is not None):
        reason = "已办结、不予受理的诉求须填办结时间" if closed else "未办结的诉求不能有办结时间"
        problems.append(("closed_at", reason))
    if v["satisfaction"] and v["status"] != models.RequestStatus.CLOSED.value:
        problems.append(("satisfaction", "只有已办结的诉求可以有满意度"))
    current = record.satisfaction if record is not None else None
    for reason in service.rating_problems(current, v["satisfaction"] or None):
        problems.append(("satisfaction", reason))
    return problems


def _fields(v: Values, level: sla.Level) -> Values:
    phone = v["submitter_phone"] or ""
    return {
        "type": v["type"],
        "topic": v["topic"] or models.Topic.OTHER.value,
        "received_at": v["received_at"],
        "channel": v["channel"] or models.Channel.COUNTER.value,
        "content": v["content"],
        "submitter_name": v["submitter_name"] or "",
        "submitter_phone": phone,
        "phone_last4": phone[-4:],
        "first_response_at": v["first_response_at"],
        "closed_at": v["closed_at"],
        "status": v["status"],
        "satisfaction": v["satisfaction"] or None,
        "respond_by": sla.respond_deadline(level, v["received_at"]),
        "_close_level": level,
        "_project": v["project"] or None,
    }


def save_requests(w: Writing, rows: list[Row]) -> None:
    changes = w.changes(REQUESTS, rows)
    service.import_requests(
        w.session,
        [
            (
                record,
                fields,
                w.find(PROJECTS, row.fields["_project"]) if row.fields["_project"] else None,
                row.fields["_close_level"],
            )
            for (record, fields), row in zip(changes, rows, strict=True)
        ],
        by_user_id=w.by,
    )


COLUMNS = [
    Column("受理编号", "tracking_no", sheets.code(), True, "唯一"),
    sheets.column(RequestIn, "type"),
    sheets.column(RequestIn, "topic"),
    Column("提交时间", "received_at", sheets.moment, True, sheets.TIME_HELP),
    sheets.column(RequestIn, "channel"),
    Column(
        "项目编号",
        "project",
        sheets.code(),
        help="可不填；填写时须在「重点项目」表或系统中已有",
        refers=(PROJECTS,),
    ),
    # A past request as it is stored: its submitter may be missing, its phone a landline.
    sheets.column(RequestBase, "content"),
    sheets.column(RequestBase, "submitter_name"),
    sheets.column(RequestBase, "submitter_phone", sheets.phone),
    Column("首次响应时间", "first_response_at", sheets.moment, help=sheets.TIME_HELP),
    Column("办结时间", "closed_at", sheets.moment, help="状态为已办结、不予受理时必填"),
    sheets.enum_column("状态", "status", models.RequestStatus, True),
    sheets.enum_column("满意度", "satisfaction", models.Satisfaction),
]
REQUESTS = Sheet(
    SHEET,
    "诉求",
    COLUMNS,
    "tracking_no",
    models.ServiceRequest,
    request_rows,
    check_requests,
    save_requests,
)
