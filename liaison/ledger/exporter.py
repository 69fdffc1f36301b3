"""Exporting the ledger in the import's own format: the whole workbook (export → import into an
empty database reproduces the data), one sheet for a list page's filtered rows, or the empty
template with a comment on each header and drop-down lists for the enumerated columns. Written
as a stream (openpyxl write-only), so memory does not grow with the data."""

import csv
import io
import zipfile
from collections.abc import Iterable
from typing import Any

from openpyxl import Workbook
from sqlmodel import Session

from liaison import downloads, sheets, spreadsheet
from liaison.ledger import schema


def write_workbook(
    session: Session | None, out: Any, specs: Iterable[sheets.Sheet] = schema.SHEETS, **only: Any
) -> None:
    """The workbook to `out` (a path or a binary file): with `session`, the data (each sheet's
    rows limited to the ids in `only[sheet name]` when given); without, the empty template."""
    book = Workbook(write_only=True)
    for spec in specs:
        rows = spec.rows(session, only.get(spec.name)) if session is not None else []
        downloads.append_sheet(book, spec, rows, explain=session is None)
    book.save(out)


def write_csv_zip(session: Session, out: Any) -> None:
    """One UTF-8 (with BOM, so Excel opens it right) CSV per sheet, in a zip."""
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for spec in schema.SHEETS:
            buffer = io.StringIO()
            writer = csv.writer(buffer)
            writer.writerow([c.header for c in spec.columns])
            writer.writerows(map(spreadsheet.csv_field, row) for row in spec.rows(session, None))
            archive.writestr(f"{spec.name}.csv", "\ufeff" + buffer.getvalue())
