"""The loss-recovery ledger (挽回损失): append-only, exact to the fen."""

from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlmodel import Field

from liaison.clock import now
from liaison.db import UTCDateTime, enum_check, unique_where
from liaison.projects.models import on_visible_project
from liaison.recoveries.schemas import RecoveryBase, RecoverySource

if TYPE_CHECKING:
    from liaison.scope import Scope


class Recovery(RecoveryBase, table=True):
    """A ledger entry. Database triggers refuse UPDATE and DELETE: a mistake is corrected by a
    reversal (negative amount, `reverses_id` set), never more than what is left of the entry."""

    __noun__ = "挽回损失"  # what the audit log calls one

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=32, unique=True)  # 登记编号
    project_id: int = Field(foreign_key="project.id", index=True)
    dispute_id: int | None = Field(default=None, foreign_key="dispute.id")
    hazard_id: int | None = Field(default=None, foreign_key="hazard.id")
    officer_id: int = Field(foreign_key="officer.id", index=True)
    reverses_id: int | None = Field(default=None, foreign_key="recovery.id", index=True)
    submission_key: str | None = Field(default=None, max_length=64, unique=True)
    created_by_id: int | None = Field(default=None, foreign_key="user_account.id")
    created_at: datetime = Field(default_factory=now, sa_type=UTCDateTime)

    __table_args__ = (
        enum_check("source", RecoverySource),
        sa.CheckConstraint(
            "(reverses_id IS NULL AND amount_fen > 0)"
            " OR (reverses_id IS NOT NULL AND amount_fen < 0)",
            name="sign_matches_kind",
        ),
        # A mediated dispute books its agreement once.
        unique_where(
            "uq_recovery_dispute_entry",
            "dispute_id",
            "reverses_id IS NULL AND dispute_id IS NOT NULL",
        ),
    )

    @property
    def is_reversal(self) -> bool:
        return self.reverses_id is not None

    @classmethod
    def visible_to(cls, scope: "Scope") -> sa.ColumnElement[bool]:
        return on_visible_project(cls.project_id, scope)
