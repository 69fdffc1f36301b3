"""A list page's rows as one ledger sheet: `?format=xlsx` on /projects, /hazards, /areas,
/disputes, /recoveries and /requests answers with every row the page lists for its filters (all
its pages, the login's scope applied) in the workbook's own format (PRODUCT.md, Contracts 1)."""

import io
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

from fastapi.responses import Response
from sqlmodel import Session

from liaison import clock
from liaison.audit.service import record_event
from liaison.ledger import exporter, schema
from liaison.pii import mask_phone

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PHONE_PARSERS = (schema.phone, schema.mobile)


def ids_of(query: Any, id_column: Any) -> Any:
    """The ids a list query selects, whatever else it selects: its joins and WHERE kept, its
    columns and order dropped, for `col(Model.id).in_(...)`."""
    return query.with_only_columns(id_column).order_by(None)


def record_export(session: Session, kind: str, filename: str) -> None:
    """Data taken out of the system is an audit event (SECURITY.md L1): who, when, which file."""
    session.commit()  # end the GET's read transaction: the event writes in a transaction of its own
    record_event(session, "export", object_type=kind, detail={"file": filename})
    session.commit()


def masked(spec: schema.Sheet, rows: Iterator[list[str]]) -> Iterator[list[str]]:
    """The rows with every phone column masked (138****1234)."""
    phones = [n for n, column in enumerate(spec.columns) if column.parse in PHONE_PARSERS]
    for row in rows:
        for n in phones:
            row[n] = mask_phone(row[n])
        yield row


def sheet_response(session: Session, spec: schema.Sheet, ids: Any) -> Response:
    """The rows of sheet `spec` among `ids` (see `ids_of`) as an .xlsx download named after the
    sheet and today's local date.

    Phone numbers are masked whoever asks, leaders and admins too: a list export travels (mail,
    USB sticks, chat groups). The full ledger export is the one that keeps them, so a list
    export of 诉求 does not import back as it is."""
    out = io.BytesIO()
    exporter.write_sheet(out, spec, masked(spec, exporter.ROWS[spec.name](session, ids)))
    filename = f"{spec.name}-{clock.local(clock.now()):%Y%m%d}.xlsx"
    record_export(session, "LedgerSheet", filename)
    return Response(
        out.getvalue(),
        media_type=XLSX,
        headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(filename)}"},
    )
