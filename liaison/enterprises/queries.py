"""The enterprise list's filters, and finding an enterprise as a person names it: by its credit
code, or by its name, typed in part (the project form's enterprise field suggests them as it is
typed)."""

import sqlalchemy as sa
from sqlmodel import Session, col, select

from liaison.enterprises.models import Enterprise
from liaison.enterprises.uscc import normalise_uscc
from liaison.listing import ListFilter


class EnterpriseFilter(ListFilter):
    q: str = ""  # part of the name or the credit code
    town: str = ""
    industry: str = ""


CHOICES = 10  # suggestions shown at once: enough to pick from, few enough to read on a phone


def enterprise_choices(session: Session, typed: str) -> list[Enterprise]:
    """The enterprises whose name contains what is typed or whose credit code starts with it,
    the closest first (a name that starts with it, then the shorter name)."""
    text = typed.strip()
    if not text:
        return []
    code = normalise_uscc(text)
    query = (
        select(Enterprise)
        .where(
            sa.or_(
                col(Enterprise.name).contains(text, autoescape=True),
                col(Enterprise.uscc).startswith(code, autoescape=True),
            )
        )
        .order_by(
            sa.case((col(Enterprise.name).startswith(text, autoescape=True), 0), else_=1),
            sa.func.length(Enterprise.name),
            col(Enterprise.name),
        )
        .limit(CHOICES)
    )
    return list(session.exec(query).all())


def enterprise_named(session: Session, typed: str) -> Enterprise | None:
    """The one enterprise that what was typed names: its credit code, or its full name when no
    other enterprise bears it."""
    text = typed.strip()
    by_code = session.exec(
        select(Enterprise).where(Enterprise.uscc == normalise_uscc(text))
    ).first()
    if by_code is not None or not text:
        return by_code
    named = session.exec(select(Enterprise).where(Enterprise.name == text).limit(2)).all()
    return named[0] if len(named) == 1 else None
