"""Enterprises and their contacts: the only module that writes their tables (the ledger import
too comes through here; tests/test_writers.py holds every module to its own tables)."""

from collections.abc import Iterable
from dataclasses import dataclass

from sqlmodel import Session, col, select

from liaison.db import Fields, pk, put_all
from liaison.enterprises.models import Enterprise, EnterpriseContact
from liaison.enterprises.uscc import normalise_uscc, uscc_error
from liaison.errors import FieldError


class EnterpriseError(FieldError):
    """A refused change to an enterprise or its contacts."""


@dataclass
class EnterpriseData:
    uscc: str
    name: str
    industry: str = ""
    town: str = ""
    address: str = ""


def enterprise_by_uscc(session: Session, uscc: str) -> Enterprise | None:
    return session.exec(select(Enterprise).where(Enterprise.uscc == normalise_uscc(uscc))).first()


def save_enterprise(session: Session, enterprise: Enterprise, data: EnterpriseData) -> Enterprise:
    """Create or edit; the credit code must pass its check character and be unique."""
    code = normalise_uscc(data.uscc)
    if error := uscc_error(code):
        raise EnterpriseError(error, "uscc")
    clash = enterprise_by_uscc(session, code)
    if clash is not None and clash.id != enterprise.id:
        raise EnterpriseError(f"统一社会信用代码 {code} 已属于 {clash.name}", "uscc")
    enterprise.uscc, enterprise.name = code, data.name
    enterprise.industry, enterprise.town, enterprise.address = (
        data.industry,
        data.town,
        data.address,
    )
    session.add(enterprise)
    session.flush()
    return enterprise


def create_enterprise(session: Session, *, uscc: str, name: str, **fields: str) -> Enterprise:
    return save_enterprise(
        session, Enterprise(uscc="", name=""), EnterpriseData(uscc, name, **fields)
    )


def contacts(session: Session, enterprise_id: int) -> list[EnterpriseContact]:
    return list(
        session.exec(
            select(EnterpriseContact)
            .where(EnterpriseContact.enterprise_id == enterprise_id)
            .order_by(col(EnterpriseContact.is_primary).desc(), col(EnterpriseContact.id))
        ).all()
    )


def save_contact(
    session: Session,
    contact: EnterpriseContact | None,
    *,
    enterprise_id: int | None = None,
    name: str,
    title: str,
    phone: str,
    is_primary: bool,
) -> EnterpriseContact:
    """Change `contact`, or (None) add one to enterprise `enterprise_id`. One primary contact
    per enterprise: making one primary demotes the others."""
    contact = contact or EnterpriseContact(enterprise_id=enterprise_id or 0, name=name)
    contact.name, contact.title, contact.phone, contact.is_primary = name, title, phone, is_primary
    session.add(contact)
    session.flush()
    if is_primary:
        for other in contacts(session, contact.enterprise_id):
            if other.id != contact.id and other.is_primary:
                other.is_primary = False
                session.add(other)
        session.flush()
    return contact


def link_account(session: Session, contact: EnterpriseContact, user_id: int) -> None:
    """The contact now logs in as `user_id` (an enterprise login opened for them)."""
    contact.user_id = user_id
    session.add(contact)
    session.flush()


def delete_contact(session: Session, contact: EnterpriseContact) -> None:
    if contact.user_id is not None:
        raise EnterpriseError("该联系人已开通账号，请先在用户管理中停用账号", "contact")
    session.delete(contact)
    session.flush()


def import_enterprises(
    session: Session, rows: Iterable[tuple[Enterprise | None, Fields]]
) -> list[Enterprise]:
    """Enterprises as a checked ledger has them (their credit codes passed `uscc_error`)."""
    return put_all(session, Enterprise, rows)


def import_primary_contact(
    session: Session,
    enterprise: Enterprise,
    contact: EnterpriseContact | None,
    name: str,
    phone: str,
) -> None:
    """The ledger's contact becomes the enterprise's primary one: the one it has, renamed, or a
    new one when the file names somebody and the enterprise had nobody."""
    if contact is None and not (name or phone):
        return
    contact = contact or EnterpriseContact(enterprise_id=pk(enterprise), name="", is_primary=True)
    contact.name, contact.phone = name, phone
    session.add(contact)
