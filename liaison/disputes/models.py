"""Enterprise-related disputes (涉企矛盾纠纷): parties, mediation, the agreement, performance."""

from collections.abc import Callable
from datetime import date, datetime
from typing import TYPE_CHECKING, ClassVar

import sqlalchemy as sa
from sqlmodel import Field, SQLModel, col, select

from liaison.clock import now
from liaison.db import UTCDateTime, enum_check
from liaison.disputes.schemas import (
    AgreementBase,
    DisputeBase,
    DisputeStatus,
    DisputeType,
    PartyBase,
    PartyRole,
)
from liaison.disputes.schemas import Performance as Performance  # still imported from here
from liaison.pii import mask_id, mask_phone
from liaison.projects.models import on_visible_project

if TYPE_CHECKING:
    from liaison.scope import Scope


class Dispute(DisputeBase, AgreementBase, table=True):
    """A mediation case. On 调解成功 it carries the agreement and then its performance."""

    __noun__ = "纠纷"  # what the audit log calls one

    id: int | None = Field(default=None, primary_key=True)
    project_id: int = Field(foreign_key="project.id", index=True)
    handler_id: int = Field(foreign_key="officer.id", index=True)
    status: str = Field(default=DisputeStatus.MEDIATING.value, max_length=8)
    closed_on: date | None = None
    outcome_note: str = Field(
        default="", max_length=1000
    )  # why it failed, or the transfer's reason
    transferred_to: str = Field(default="", max_length=128)
    performance: str | None = Field(default=None, max_length=8)
    created_by_id: int | None = Field(default=None, foreign_key="user_account.id")
    created_at: datetime = Field(default_factory=now, sa_type=UTCDateTime)

    __table_args__ = (
        enum_check("type", DisputeType),
        enum_check("status", DisputeStatus),
        sa.CheckConstraint("amount_fen IS NULL OR amount_fen >= 0", name="amount_positive"),
        sa.CheckConstraint(
            "agreement_fen IS NULL OR agreement_fen >= 0", name="agreement_positive"
        ),
        sa.CheckConstraint(
            "closed_on IS NULL OR closed_on >= received_on", name="closed_after_received"
        ),
        sa.CheckConstraint(
            "(status = '调解中') = (closed_on IS NULL)", name="closed_on_iff_closed"
        ),
    )

    @classmethod
    def visible_to(cls, scope: "Scope") -> sa.ColumnElement[bool]:
        """Station staff see their projects' cases; enterprise contacts none, not even on
        their own projects: a case is often the enterprise's workers against it (a wage
        claim), with the applicants' names and the facts they told the police."""
        if scope.enterprise_id is not None:
            return sa.false()
        return on_visible_project(cls.project_id, scope)


class DisputeParty(PartyBase, table=True):
    __noun__ = "当事人"  # what the audit log calls one
    __tablename__ = "dispute_party"
    __audit_masked__: ClassVar[dict[str, Callable[[str], str]]] = {
        "phone": mask_phone,
        "id_number": mask_id,
    }

    id: int | None = Field(default=None, primary_key=True)
    dispute_id: int = Field(foreign_key="dispute.id", index=True)

    __table_args__ = (enum_check("role", PartyRole),)

    @classmethod
    def visible_to(cls, scope: "Scope") -> sa.ColumnElement[bool]:
        return col(cls.dispute_id).in_(select(Dispute.id).where(Dispute.visible_to(scope)))


class DisputeFollowUp(SQLModel, table=True):
    """A follow-up visit (回访) after the agreement."""

    __noun__ = "回访"  # what the audit log calls one

    __tablename__ = "dispute_follow_up"

    id: int | None = Field(default=None, primary_key=True)
    dispute_id: int = Field(foreign_key="dispute.id", index=True)
    visited_on: date
    summary: str = Field(max_length=2000)
    by_user_id: int | None = Field(default=None, foreign_key="user_account.id")
    created_at: datetime = Field(default_factory=now, sa_type=UTCDateTime)
