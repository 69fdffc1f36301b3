"""Hazards (涉企隐患) and complex public-order areas (周边治安复杂区域), and their closed loop."""

from datetime import date, datetime
from enum import StrEnum
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from liaison.clock import now
from liaison.db import UTCDateTime, enum_check
from liaison.hazards.schemas import HazardBase, HazardCategory, HazardLevel
from liaison.projects.models import on_visible_project

if TYPE_CHECKING:
    from liaison.scope import Scope


class HazardStatus(StrEnum):
    OPEN = "待整改"
    RECTIFYING = "整改中"
    REVIEW = "待复查"
    CLOSED = "已销号"


class Hazard(HazardBase, table=True):
    """A hazard found at or around a key project. Overdue = not closed after its deadline."""

    __noun__ = "隐患"  # what the audit log calls one

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=32, unique=True)
    project_id: int = Field(foreign_key="project.id", index=True)
    found_by_id: int = Field(foreign_key="officer.id", index=True)
    status: str = Field(default=HazardStatus.OPEN.value, max_length=8)
    closed_on: date | None = None
    closed_by_id: int | None = Field(default=None, foreign_key="user_account.id")
    created_by_id: int | None = Field(default=None, foreign_key="user_account.id")
    created_at: datetime = Field(default_factory=now, sa_type=UTCDateTime)

    __table_args__ = (
        enum_check("category", HazardCategory),
        enum_check("level", HazardLevel),
        enum_check("status", HazardStatus),
        sa.CheckConstraint("deadline >= found_on", name="deadline_after_found"),
        sa.CheckConstraint("closed_on IS NULL OR closed_on >= found_on", name="closed_after_found"),
        sa.CheckConstraint(
            "(status = '已销号') = (closed_on IS NOT NULL)", name="closed_on_iff_closed"
        ),
        sa.Index("ix_hazard_status_deadline", "status", "deadline"),
        # The metrics select a period by found_on: a range scan (EXPLAIN: SEARCH hazard USING
        # INDEX ix_hazard_found_on), not a scan of every hazard.
        sa.Index("ix_hazard_found_on", "found_on"),
    )

    def __str__(self) -> str:
        return f"{self.code} {self.category}"

    @property
    def is_area(self) -> bool:
        return self.category == HazardCategory.COMPLEX_AREA.value

    @classmethod
    def visible_to(cls, scope: "Scope") -> sa.ColumnElement[bool]:
        """Whoever sees the project sees its hazards."""
        return on_visible_project(cls.project_id, scope)


class HazardEvent(SQLModel, table=True):
    """One step of the loop, with the comment that must go with it."""

    __noun__ = "隐患处理"  # what the audit log calls one

    __tablename__ = "hazard_event"

    id: int | None = Field(default=None, primary_key=True)
    hazard_id: int = Field(foreign_key="hazard.id", index=True)
    action: str = Field(max_length=16)
    from_status: str = Field(default="", max_length=8)
    to_status: str = Field(max_length=8)
    comment: str = Field(max_length=1000)
    # The officer who took the step, as the 处理记录 names them (a login may be none: the
    # import, or history entered without one).
    officer_id: int | None = Field(default=None, foreign_key="officer.id")
    by_user_id: int | None = Field(default=None, foreign_key="user_account.id")
    at: datetime = Field(default_factory=now, sa_type=UTCDateTime)
