"""The ledger's 企业 sheet: its columns, its rows for the export, the check of a file's rows and
the save through liaison.enterprises.service. Also how a cell holding a credit code is read,
which the 重点项目 sheet uses too."""

from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from liaison import fields, sheets
from liaison.enterprises import service
from liaison.enterprises.models import Enterprise, EnterpriseContact
from liaison.enterprises.schemas import ContactIn, EnterpriseIn
from liaison.enterprises.uscc import uscc_error
from liaison.sheets import Checking, Column, Row, Rows, Sheet, Writing

SHEET = "企业"


@sheets.coded
def uscc(value: Any) -> str:
    result = sheets.narrow(sheets.as_text(value)).upper()
    problem = uscc_error(result)
    if problem:
        raise sheets.CellError(problem)
    return result


def enterprise_rows(session: Session, ids: Any = None) -> Rows:
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
    for e, contact in sheets.stream(session, query, ids, Enterprise.id):
        yield [
            e.uscc,
            e.name,
            e.industry,
            e.town,
            e.address,
            contact.name if contact else "",
            contact.phone if contact else "",
        ]


def check_enterprises(c: Checking) -> None:
    """Each row's enterprise, and its primary contact: a changed contact is an update too."""
    ids = [e.id for e in c.known[SHEET].values()]
    primaries = {
        contact.enterprise_id: contact
        for contact in c.session.exec(
            select(EnterpriseContact).where(
                col(EnterpriseContact.enterprise_id).in_(ids), col(EnterpriseContact.is_primary)
            )
        ).all()
    }
    for row in c.rows[SHEET]:
        record = c.found(ENTERPRISES, row)
        v = row.values
        fields = {
            "name": v["name"],
            "industry": v["industry"] or "",
            "town": v["town"] or "",
            "address": v["address"] or "",
        }
        sheets.diff(row, record, fields)
        contact = primaries.get(record.id or 0) if record else None
        wanted = (v["contact"] or "", v["contact_phone"] or "")
        row.fields["_contact"] = wanted
        row.fields["_contact_record"] = contact
        current = (contact.name, contact.phone) if contact else ("", "")
        if row.action == "unchanged" and current != wanted:
            row.action = "update"


def save_enterprises(w: Writing, rows: list[Row]) -> None:
    enterprises = service.import_enterprises(w.session, w.changes(ENTERPRISES, rows))
    w.keep(ENTERPRISES, rows, enterprises)
    w.session.flush()
    for row, enterprise in zip(rows, enterprises, strict=True):
        service.import_primary_contact(
            w.session, enterprise, row.fields["_contact_record"], *row.fields["_contact"]
        )


# The primary contact's two columns are another record's fields (ContactIn's name and phone)
# under the sheet's own headers and keys, so they are made here, of ContactIn's length.
COLUMNS = [
    sheets.column(EnterpriseIn, "uscc", uscc, help="18 位，按 GB 32100 校验"),
    sheets.column(EnterpriseIn, "name"),
    sheets.column(EnterpriseIn, "industry"),
    sheets.column(EnterpriseIn, "town"),
    sheets.column(EnterpriseIn, "address"),
    Column("联系人", "contact", sheets.text(fields.max_length(ContactIn, "name") or 32)),
    Column("联系电话", "contact_phone", sheets.phone),
]
ENTERPRISES = Sheet(
    SHEET,
    "企业",
    COLUMNS,
    "uscc",
    Enterprise,
    enterprise_rows,
    check_enterprises,
    save_enterprises,
)
