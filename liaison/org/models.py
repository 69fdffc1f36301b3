"""The organisations and people that logins hang on: stations, officers, enterprises."""

from collections.abc import Callable
from datetime import date, datetime
from typing import TYPE_CHECKING, ClassVar

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from liaison.clock import now
from liaison.db import UTCDateTime
from liaison.org.schemas import OfficerBase, StationBase
from liaison.pii import mask_phone

if TYPE_CHECKING:
    from liaison.scope import Scope


class Station(StationBase, table=True):
    """A 派出所 or other unit of the bureau; every officer and project belongs to one."""

    __noun__ = "派出所"  # what the audit log calls one

    id: int | None = Field(default=None, primary_key=True)
    created_at: datetime = Field(default_factory=now, sa_type=UTCDateTime)

    def __str__(self) -> str:
        return f"{self.name}（{self.code}）"

    @classmethod
    def visible_to(cls, scope: "Scope") -> sa.ColumnElement[bool]:
        return sa.literal(scope.station_id is not None) & (cls.id == scope.station_id)


class Officer(OfficerBase, table=True):
    """A police officer (民警) as a person; a login may link to one, but need not."""

    __noun__ = "民警"  # what the audit log calls one

    __audit_masked__: ClassVar[dict[str, Callable[[str], str]]] = {"phone": mask_phone}

    id: int | None = Field(default=None, primary_key=True)
    station_id: int = Field(foreign_key="station.id", index=True)
    created_at: datetime = Field(default_factory=now, sa_type=UTCDateTime)

    def __str__(self) -> str:
        return f"{self.name}（{self.badge_no}）"

    @classmethod
    def visible_to(cls, scope: "Scope") -> sa.ColumnElement[bool]:
        return sa.literal(scope.station_id is not None) & (cls.station_id == scope.station_id)


class Absence(SQLModel, table=True):
    """An officer away (leave, training) from `starts_on` to `ends_on`, both days included:
    meanwhile their projects' requests and reminders go to each project's backup officer."""

    __noun__ = "民警外出"  # what the audit log calls one

    id: int | None = Field(default=None, primary_key=True)
    officer_id: int = Field(foreign_key="officer.id", index=True)
    starts_on: date
    ends_on: date
    reason: str = Field(default="", max_length=100)
    created_by_id: int | None = Field(default=None, foreign_key="user_account.id")
    created_at: datetime = Field(default_factory=now, sa_type=UTCDateTime)

    __table_args__ = (sa.CheckConstraint("ends_on >= starts_on", name="dates_ordered"),)
