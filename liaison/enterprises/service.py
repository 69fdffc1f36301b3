"""Enterprises and their contacts: the only module that writes their tables (the ledger import
too comes through here; tests/test_writers.py holds every module to its own tables)."""

from collections.abc import Iterable

from sqlmodel import Session, col, select

from liaison.db import Fields, pk, put_all
from liaison.enterprises.models import Enterprise, EnterpriseContact
from liaison.enterprises.schemas import ContactIn, EnterpriseIn
from liaison.enterprises.uscc import normalise_uscc, uscc_error
from liaison.errors import FieldError


class EnterpriseError(FieldError):
    """A refused change to an enterprise or its contacts."""


def enterprise_by_uscc(session: Session, uscc: str) -> Enterprise | None:
    return session.exec(select(Enterprise).where(Enterprise.uscc == normalise_uscc(uscc))).first()


def save_enterprise(
    session: Session, enterprise: Enterprise | None, data: EnterpriseIn
) -> Enterprise:
    """Change `enterprise`, or (None) register a new one; the credit code must pass its check
    character (EnterpriseIn checked it as typed; a constructed input is checked again here)
    and be unique."""
    code = normalise_uscc(data.uscc)
    if error := uscc_error(code):
        raise EnterpriseError(error, "uscc")
    clash = enterprise_by_uscc(session, code)
    if clash is not None and (enterprise is None or clash.id != enterprise.id):
        raise EnterpriseError(f"统一社会信用代码 {code} 已属于 {clash.name}", "uscc")
    enterprise = enterprise or Enterprise(uscc=code, name=data.name)
    for key, value in data.model_dump().items():
        setattr(enterprise, key, value)
    enterprise.uscc = code
    session.add(enterprise)
    session.flush()
    return enterprise


def contacts(session: Session, enterprise_id: int) -> list[EnterpriseContact]:
    return list(
        session.exec(
            select(EnterpriseContact)
            .where(EnterpriseContact.enterprise_id == enterprise_id)
            .order_by(col(EnterpriseContact.is_primary).desc(), col(EnterpriseContact.id))
        ).all()
    )


def save_contact(
    session: Session, contact: EnterpriseContact | None, data: ContactIn
) -> EnterpriseContact:
    """Change `contact`, or (None) add one to enterprise `data.enterprise_id`. One primary
    contact per enterprise: making one primary demotes the others."""
    if contact is not None and contact.enterprise_id != data.enterprise_id:
        raise EnterpriseError("联系人不属于该企业", "contact")
    if session.get(Enterprise, data.enterprise_id) is None:
        raise EnterpriseError("企业不存在", "contact")
    contact = contact or EnterpriseContact(enterprise_id=data.enterprise_id, name=data.name)
    for key, value in data.model_dump().items():
        setattr(contact, key, value)
    session.add(contact)
    session.flush()
    if data.is_primary:
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
