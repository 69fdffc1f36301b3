"""Enterprise-related disputes (涉企矛盾纠纷): parties, mediation, the agreement, performance."""

from datetime import date, datetime
from enum import StrEnum
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlmodel import Field, SQLModel, col, select

from liaison.clock import now
from liaison.db import UTCDateTime, enum_check
from liaison.pii import mask_id, mask_phone
from liaison.projects.models import Project

if TYPE_CHECKING:
    from liaison.scope import Scope


class DisputeType(StrEnum):
    LABOUR = "劳资纠纷"
    CONTRACT = "合同纠纷"
    LAND = "征地拆迁"
    OBSTRUCTION = "阻工扰工"
    NEIGHBOUR = "邻里纠纷"
    OTHER = "其他"


class DisputeStatus(StrEnum):
    MEDIATING = "调解中"
    RESOLVED = "调解成功"
    FAILED = "调解失败"
    TRANSFERRED = "已移交"


class Performance(StrEnum):
    PERFORMING = "履行中"
    PERFORMED = "已履行"
    DEFAULTED = "未履行"


class PartyRole(StrEnum):
    APPLICANT = "申请人"
    RESPONDENT = "被申请人"


class Dispute(SQLModel, table=True):
    """A mediation case. On 调解成功 it carries the agreement and then its performance."""

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=32, unique=True)
    project_id: int = Field(foreign_key="project.id", index=True)
    type: str = Field(max_length=8)
    amount_fen: int | None = Field(default=None, sa_type=sa.BigInteger)  # amount involved
    facts: str = Field(max_length=4000)
    # Indexed: the metrics and the list select a period by the day of receipt (a range scan).
    received_on: date = Field(index=True)
    handler_id: int = Field(foreign_key="officer.id", index=True)
    status: str = Field(default=DisputeStatus.MEDIATING.value, max_length=8)
    closed_on: date | None = None
    outcome_note: str = Field(
        default="", max_length=1000
    )  # why it failed, or the transfer's reason
    transferred_to: str = Field(default="", max_length=128)
    obligations: str = Field(default="", max_length=4000)
    agreement_fen: int | None = Field(default=None, sa_type=sa.BigInteger)
    performance_method: str = Field(default="", max_length=255)
    perform_by: date | None = None
    judicial_confirmation: bool = False
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
        return col(cls.project_id).in_(select(Project.id).where(Project.visible_to(scope)))


class DisputeParty(SQLModel, table=True):
    __tablename__ = "dispute_party"
    __audit_masked__ = {"phone": mask_phone, "id_number": mask_id}

    id: int | None = Field(default=None, primary_key=True)
    dispute_id: int = Field(foreign_key="dispute.id", index=True)
    role: str = Field(max_length=8)
    name: str = Field(max_length=64)
    phone: str = Field(default="", max_length=20)
    id_number: str = Field(default="", max_length=18)

    __table_args__ = (enum_check("role", PartyRole),)

    @classmethod
    def visible_to(cls, scope: "Scope") -> sa.ColumnElement[bool]:
        return col(cls.dispute_id).in_(select(Dispute.id).where(Dispute.visible_to(scope)))


class DisputeFollowUp(SQLModel, table=True):
    """A follow-up visit (回访) after the agreement."""

    __tablename__ = "dispute_follow_up"

    id: int | None = Field(default=None, primary_key=True)
    dispute_id: int = Field(foreign_key="dispute.id", index=True)
    visited_on: date
    summary: str = Field(max_length=2000)
    by_user_id: int | None = Field(default=None, foreign_key="user_account.id")
    created_at: datetime = Field(default_factory=now, sa_type=UTCDateTime)
