"""A ledger sheet written to a workbook, and a list page's rows as one: `?format=xlsx` on
/projects, /hazards, /areas, /disputes, /recoveries and /requests answers with every row the page
lists for its filters (all its pages, the login's scope applied) in the workbook's own format
(PRODUCT.md, Contracts 1)."""

import io
from collections.abc import Iterable, Iterator
from typing import Any
from urllib.parse import quote

from fastapi.responses import Response
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.comments import Comment
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from sqlmodel import Session

from liaison import clock, sheets, spreadsheet
from liaison.audit.service import record_event
from liaison.pii import mask_numbers, mask_phone

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PHONE_PARSERS = (sheets.phone, sheets.mobile)


def ids_of(query: Any, id_column: Any) -> Any:
    """The ids a list query selects, whatever else it selects: its joins and WHERE kept, its
    columns and order dropped, for `col(Model.id).in_(...)`."""
    return query.with_only_columns(id_column).order_by(None)


def record_export(session: Session, kind: str, filename: str) -> None:
    """Data taken out of the system is an audit event (SECURITY.md L1): who, when, which file."""
    session.commit()  # end the GET's read transaction: the event writes in a transaction of its own
    record_event(session, "export", object_type=kind, detail={"file": filename})
    session.commit()


def masked(spec: sheets.Sheet, rows: Iterator[list[str]]) -> Iterator[list[str]]:
    """The rows with every phone column masked (138****1234), and the phone and ID numbers
    typed into every text column (a request's content, a dispute's facts) too."""
    phones = [n for n, column in enumerate(spec.columns) if column.parse in PHONE_PARSERS]
    texts = [n for n, column in enumerate(spec.columns) if column.cell == "text"]
    for row in rows:
        for n in phones:
            row[n] = mask_phone(row[n])
        for n in texts:
            row[n] = mask_numbers(row[n])
        yield row


def sheet_response(session: Session, spec: sheets.Sheet, ids: Any) -> Response:
    """The rows of sheet `spec` among `ids` (see `ids_of`) as an .xlsx download named after the
    sheet and today's local date.

    Phone numbers are masked whoever asks, leaders and admins too: a list export travels (mail,
    USB sticks, chat groups). The full ledger export is the one that keeps them, so a list
    export of 诉求 does not import back as it is."""
    out = io.BytesIO()
    write_sheet(out, spec, masked(spec, spec.rows(session, ids)))
    filename = f"{spec.name}-{clock.local(clock.now()):%Y%m%d}.xlsx"
    record_export(session, "LedgerSheet", filename)
    return Response(
        out.getvalue(),
        media_type=XLSX,
        headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(filename)}"},
    )


HEADER_FONT = Font(bold=True)
HEADER_FILL = PatternFill("solid", fgColor="DDE7F5")


def _header(sheet: Any, columns: Iterable[sheets.Column], explain: bool) -> list[Any]:
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
    book: Workbook, spec: sheets.Sheet, rows: Iterable[list[str]], explain: bool = False
) -> None:
    """Add sheet `spec` holding `rows` to a write-only workbook: the contract's headers (with a
    comment on each when `explain`), a frozen header row, widths, and drop-down lists."""
    sheet = book.create_sheet(spec.name)
    sheet.freeze_panes = "A2"
    for n, column in enumerate(spec.columns, start=1):
        letter = get_column_letter(n)
        sheet.column_dimensions[letter].width = max(12, len(column.header) * 2 + 4)
        if column.cell == "code":  # what is typed into the template stays text, zeros kept
            sheet.column_dimensions[letter].number_format = spreadsheet.TEXT_FORMAT
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
    kinds = [column.cell for column in spec.columns]
    for row in rows:
        sheet.append(spreadsheet.typed_row(sheet, row, kinds))


def write_sheet(out: Any, spec: sheets.Sheet, rows: Iterable[list[str]]) -> None:
    """A workbook of the one sheet `spec` holding `rows` (a list page's export, its rows chosen
    and prepared by the caller)."""
    book = Workbook(write_only=True)
    append_sheet(book, spec, rows)
    book.save(out)
