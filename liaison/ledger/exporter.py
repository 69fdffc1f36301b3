"""Exporting the ledger in the import's own format: the whole workbook (export → import into an
empty database reproduces the data), one sheet for a list page's filtered rows, or the empty
template with a comment on each header and drop-down lists for the enumerated columns. Written
as a stream (openpyxl write-only), so memory does not grow with the data."""

import csv
import io
import zipfile
from collections.abc import Iterable, Iterator
from typing import Any

import sqlalchemy as sa
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.comments import Comment
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from liaison import spreadsheet
from liaison.clock import local
from liaison.desk.models import ServiceRequest
from liaison.disputes.models import Dispute
from liaison.enterprises.models import Enterprise, EnterpriseContact
from liaison.hazards.models import Hazard
from liaison.ledger import schema
from liaison.money import FEN_PER_WAN
from liaison.org.models import Officer, Station
from liaison.projects.models import Assignment, Project
from liaison.recoveries.models import Recovery

Rows = Iterator[list[str]]
BATCH = 1000


def _day(value: Any) -> str:
    return f"{value:%Y-%m-%d}" if value else ""


def _time(value: Any) -> str:
    return f"{local(value):%Y-%m-%d %H:%M}" if value else ""


def _stream(session: Session, query: Any) -> Iterator[Any]:
    """Rows in batches from the database, never the whole table in memory."""
    yield from session.exec(query.execution_options(yield_per=BATCH))


def _where(query: Any, ids: Any, column: Any) -> Any:
    return query if ids is None else query.where(col(column).in_(ids))


def stations(session: Session, ids: Any = None) -> Rows:
    query = _where(select(Station).order_by(col(Station.code)), ids, Station.id)
    for station in _stream(session, query):
        yield [station.code, station.name]


def officers(session: Session, ids: Any = None) -> Rows:
    query = select(Officer, Station.code).join(Station, col(Station.id) == Officer.station_id)
    query = _where(query.order_by(col(Officer.badge_no)), ids, Officer.id)
    for officer, station in _stream(session, query):
        yield [officer.badge_no, officer.name, station, officer.phone]


def enterprises(session: Session, ids: Any = None) -> Rows:
    query = (
        select(Enterprise, EnterpriseContact)
        .outerjoin(
            EnterpriseContact,
            sa.and_(
                col(EnterpriseContact.enterprise_id) == Enterprise.id,
                col(EnterpriseContact.is_primary),
            ),
        )
        .order_by(col(Enterprise.uscc))
    )
    for e, contact in _stream(session, _where(query, ids, Enterprise.id)):
        yield [
            e.uscc,
            e.name,
            e.industry,
            e.town,
            e.address,
            contact.name if contact else "",
            contact.phone if contact else "",
        ]


def projects(session: Session, ids: Any = None) -> Rows:
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
    for p, uscc, station, badge, start in _stream(session, _where(query, ids, Project.id)):
        yield [
            p.code,
            p.name,
            uscc,
            p.level,
            p.category,
            p.stage,
            schema.fen_text(p.investment_fen, FEN_PER_WAN),
            station,
            badge or "",
            _day(start) if badge else "",
        ]


def hazards(session: Session, ids: Any = None) -> Rows:
    query = (
        select(Hazard, Project.code, Officer.badge_no)
        .join(Project, col(Project.id) == Hazard.project_id)
        .join(Officer, col(Officer.id) == Hazard.found_by_id)
        .order_by(col(Hazard.code))
    )
    for h, project, badge in _stream(session, _where(query, ids, Hazard.id)):
        yield [
            h.code,
            project,
            h.category,
            h.level,
            h.description,
            _day(h.found_on),
            badge,
            _day(h.deadline),
            h.status,
            _day(h.closed_on),
        ]


def disputes(session: Session, ids: Any = None) -> Rows:
    query = (
        select(Dispute, Project.code, Officer.badge_no)
        .join(Project, col(Project.id) == Dispute.project_id)
        .join(Officer, col(Officer.id) == Dispute.handler_id)
        .order_by(col(Dispute.code))
    )
    for d, project, badge in _stream(session, _where(query, ids, Dispute.id)):
        yield [
            d.code,
            project,
            d.type,
            _day(d.received_on),
            schema.fen_text(d.amount_fen),
            d.status,
            _day(d.closed_on),
            badge,
            d.facts,
        ]


def recoveries(session: Session, ids: Any = None) -> Rows:
    reversed_entry = aliased(Recovery)
    query = (
        select(Recovery, Project.code, Officer.badge_no, reversed_entry.code)
        .add_columns(col(Dispute.code))
        .join(Project, col(Project.id) == Recovery.project_id)
        .join(Officer, col(Officer.id) == Recovery.officer_id)
        .outerjoin(reversed_entry, col(reversed_entry.id) == Recovery.reverses_id)
        .outerjoin(Dispute, col(Dispute.id) == Recovery.dispute_id)
        .add_columns(col(Hazard.code))
        .outerjoin(Hazard, col(Hazard.id) == Recovery.hazard_id)
        .order_by(col(Recovery.reverses_id).is_not(None), col(Recovery.code))
    )
    for r, project, badge, reverses, dispute, hazard in _stream(
        session, _where(query, ids, Recovery.id)
    ):
        yield [
            r.code,
            project,
            schema.fen_text(r.amount_fen),
            _day(r.recovered_on),
            r.source,
            reverses or dispute or hazard or r.case_number,
            badge,
            r.note,
        ]


def requests(session: Session, ids: Any = None) -> Rows:
    query = (
        select(ServiceRequest, Project.code)
        .outerjoin(Project, col(Project.id) == ServiceRequest.project_id)
        .order_by(col(ServiceRequest.received_at), col(ServiceRequest.id))
    )
    for r, project in _stream(session, _where(query, ids, ServiceRequest.id)):
        yield [
            r.tracking_no,
            r.type,
            r.topic,
            _time(r.received_at),
            r.channel,
            project or "",
            r.content,
            r.submitter_name,
            r.submitter_phone,
            _time(r.first_response_at),
            _time(r.closed_at),
            r.status,
            r.satisfaction or "",
        ]


ROWS = {
    "派出所": stations,
    "民警": officers,
    "企业": enterprises,
    "重点项目": projects,
    "隐患": hazards,
    "纠纷": disputes,
    "挽回损失": recoveries,
    "诉求": requests,
}

HEADER_FONT = Font(bold=True)
HEADER_FILL = PatternFill("solid", fgColor="DDE7F5")


def _header(sheet: Any, columns: Iterable[schema.Column], explain: bool) -> list[Any]:
    cells = []
    for column in columns:
        cell = WriteOnlyCell(sheet, value=column.header)
        cell.font, cell.fill = HEADER_FONT, HEADER_FILL
        if explain:
            note = ("必填。" if column.required else "选填。") + column.help
            cell.comment = Comment(note.strip("。") + "。", "Liaison")
        cells.append(cell)
    return cells


def append_sheet(
    book: Workbook, spec: schema.Sheet, rows: Iterable[list[str]], explain: bool = False
) -> None:
    """Add sheet `spec` holding `rows` to a write-only workbook: the contract's headers (with a
    comment on each when `explain`), a frozen header row, widths, and drop-down lists."""
    sheet = book.create_sheet(spec.name)
    sheet.freeze_panes = "A2"
    for n, column in enumerate(spec.columns, start=1):
        letter = get_column_letter(n)
        sheet.column_dimensions[letter].width = max(12, len(column.header) * 2 + 4)
        if column.choices:
            choices = DataValidation(
                type="list",
                formula1='"' + ",".join(column.choices) + '"',
                allow_blank=not column.required,
                showErrorMessage=True,
                errorTitle="不是可选值",
                error="请从下拉列表中选择",
            )
            choices.add(f"{letter}2:{letter}100000")
            sheet.data_validations.append(choices)
    sheet.append(_header(sheet, spec.columns, explain=explain))
    for row in rows:
        sheet.append(spreadsheet.xlsx_row(sheet, row))


def write_workbook(
    session: Session | None, out: Any, sheets: Iterable[schema.Sheet] = schema.SHEETS, **only: Any
) -> None:
    """The workbook to `out` (a path or a binary file): with `session`, the data (each sheet's
    rows limited to the ids in `only[sheet name]` when given); without, the empty template."""
    book = Workbook(write_only=True)
    for spec in sheets:
        rows = ROWS[spec.name](session, only.get(spec.name)) if session is not None else []
        append_sheet(book, spec, rows, explain=session is None)
    book.save(out)


def write_csv_zip(session: Session, out: Any) -> None:
    """One UTF-8 (with BOM, so Excel opens it right) CSV per sheet, in a zip."""
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for spec in schema.SHEETS:
            buffer = io.StringIO()
            writer = csv.writer(buffer)
            writer.writerow([c.header for c in spec.columns])
            writer.writerows(map(spreadsheet.csv_field, row) for row in ROWS[spec.name](session))
            archive.writestr(f"{spec.name}.csv", "\ufeff" + buffer.getvalue())


def write_sheet(out: Any, spec: schema.Sheet, rows: Iterable[list[str]]) -> None:
    """A workbook of the one sheet `spec` holding `rows` (a list page's export, its rows chosen
    and prepared by the caller)."""
    book = Workbook(write_only=True)
    append_sheet(book, spec, rows)
    book.save(out)
