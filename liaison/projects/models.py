"""Key projects (重点项目), their liaison officers over time, and visits."""

from collections.abc import Callable
from datetime import date, datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any, ClassVar

import sqlalchemy as sa
from sqlmodel import Field, SQLModel, col, select

from liaison.clock import now
from liaison.db import UTCDateTime, enum_check, unique_where
from liaison.pii import mask_phone
from liaison.projects.schemas import Level, ProjectBase, Stage

if TYPE_CHECKING:
    from liaison.scope import Scope


class VisitKind(StrEnum):
    VISIT = "走访"
    PATROL = "巡查"
    OUTREACH = "宣传"
    MEETING = "座谈"


CATEGORIES = [
    "工业制造",
    "基础设施",
    "城市更新",
    "商贸服务",
    "科技研发",
    "文旅康养",
    "社会民生",
    "其他",
]


class Project(ProjectBase, table=True):
    """A key project and its file (档案). Archived projects keep their history but count nowhere."""

    __noun__ = "重点项目"  # what the audit log calls one

    __audit_masked__: ClassVar[dict[str, Callable[[str], str]]] = {
        "site_security_phone": mask_phone
    }
    id: int | None = Field(default=None, primary_key=True)
    enterprise_id: int = Field(foreign_key="enterprise.id", index=True)
    station_id: int = Field(foreign_key="station.id", index=True)
    # The B角 (一项目双警长): an officer of the same station who takes the project's requests,
    # reminders and escalations while its officer is away. Coverage still counts the officer.
    backup_officer_id: int | None = Field(default=None, foreign_key="officer.id")
    archived_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(default_factory=now, sa_type=UTCDateTime)

    __table_args__ = (
        enum_check("level", Level),
        enum_check("stage", Stage),
        sa.CheckConstraint(
            "investment_fen IS NULL OR investment_fen >= 0", name="investment_positive"
        ),
        sa.CheckConstraint("workforce IS NULL OR workforce >= 0", name="workforce_positive"),
    )

    def __str__(self) -> str:
        return f"{self.name}（{self.code}）"

    @property
    def active(self) -> bool:
        return self.archived_at is None

    @classmethod
    def visible_to(cls, scope: "Scope") -> sa.ColumnElement[bool]:
        if scope.station_id is not None:
            return col(cls.station_id) == scope.station_id
        if scope.enterprise_id is not None:
            return col(cls.enterprise_id) == scope.enterprise_id
        return sa.false()


def on_visible_project(project_id: Any, scope: "Scope") -> sa.ColumnElement[bool]:
    """The records (hazards, cases, ledger entries) whose `project_id` column names a project
    the scope sees."""
    return col(project_id).in_(select(Project.id).where(Project.visible_to(scope)))


class Assignment(SQLModel, table=True):
    """One officer's term as a project's liaison officer. `end_date` empty = current; the
    database allows one current term per project."""

    __noun__ = "项目警官任命"  # what the audit log calls one

    id: int | None = Field(default=None, primary_key=True)
    project_id: int = Field(foreign_key="project.id", index=True)
    officer_id: int = Field(foreign_key="officer.id", index=True)
    start_date: date
    end_date: date | None = None
    reason: str = Field(default="", max_length=255)
    assigned_by_id: int | None = Field(default=None, foreign_key="user_account.id")
    end_reason: str = Field(default="", max_length=255)
    ended_by_id: int | None = Field(default=None, foreign_key="user_account.id")
    created_at: datetime = Field(default_factory=now, sa_type=UTCDateTime)

    __table_args__ = (
        unique_where("uq_assignment_current_project", "project_id", "end_date IS NULL"),
        sa.CheckConstraint("end_date IS NULL OR end_date >= start_date", name="dates_ordered"),
    )


class Visit(SQLModel, table=True):
    """A visit to a project by its officer (走访/巡查/宣传/座谈)."""

    __noun__ = "走访"  # what the audit log calls one

    id: int | None = Field(default=None, primary_key=True)
    project_id: int = Field(foreign_key="project.id")
    officer_id: int = Field(foreign_key="officer.id", index=True)
    visit_date: date
    kind: str = Field(max_length=8)
    summary: str = Field(max_length=2000)
    created_by_id: int | None = Field(default=None, foreign_key="user_account.id")
    created_at: datetime = Field(default_factory=now, sa_type=UTCDateTime)

    __table_args__ = (
        enum_check("kind", VisitKind),
        sa.Index("ix_visit_project_date", "project_id", "visit_date"),
    )
