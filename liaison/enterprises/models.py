"""Enterprises (企业) and the people at them whom the bureau deals with."""

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, ClassVar

import sqlalchemy as sa
from sqlmodel import Field, col, select

from liaison.clock import now
from liaison.db import UTCDateTime
from liaison.enterprises.schemas import ContactBase, EnterpriseBase
from liaison.pii import mask_phone

if TYPE_CHECKING:
    from liaison.scope import Scope


class Enterprise(EnterpriseBase, table=True):
    """An enterprise, keyed by its unified social credit code (always text: 18 characters)."""

    __noun__ = "企业"  # what the audit log calls one

    id: int | None = Field(default=None, primary_key=True)
    created_at: datetime = Field(default_factory=now, sa_type=UTCDateTime)

    __table_args__ = (sa.CheckConstraint("length(uscc) = 18", name="uscc_length"),)

    def __str__(self) -> str:
        return self.name

    @classmethod
    def visible_to(cls, scope: "Scope") -> sa.ColumnElement[bool]:
        # Station staff serve enterprises district-wide; a contact sees only their own.
        if scope.station_id is not None:
            return sa.true()
        return sa.literal(scope.enterprise_id is not None) & (col(cls.id) == scope.enterprise_id)


class EnterpriseContact(ContactBase, table=True):
    """A person at an enterprise (联系人); the primary one is the ledger's 联系人/联系电话."""

    __noun__ = "企业联系人"  # what the audit log calls one

    __tablename__ = "enterprise_contact"
    __audit_masked__: ClassVar[dict[str, Callable[[str], str]]] = {"phone": mask_phone}

    id: int | None = Field(default=None, primary_key=True)
    enterprise_id: int = Field(foreign_key="enterprise.id", index=True)
    user_id: int | None = Field(default=None, foreign_key="user_account.id", unique=True)
    created_at: datetime = Field(default_factory=now, sa_type=UTCDateTime)

    def __str__(self) -> str:
        return self.name

    @classmethod
    def visible_to(cls, scope: "Scope") -> sa.ColumnElement[bool]:
        return col(cls.enterprise_id).in_(select(Enterprise.id).where(Enterprise.visible_to(scope)))
