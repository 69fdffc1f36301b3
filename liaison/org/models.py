"""The organisations and people that logins hang on: stations, officers, enterprises."""

from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from liaison.clock import now
from liaison.db import UTCDateTime
from liaison.pii import mask_phone

if TYPE_CHECKING:
    from liaison.scope import Scope


class Station(SQLModel, table=True):
    """A 派出所 or other unit of the bureau; every officer and project belongs to one."""

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=32, unique=True)
    name: str = Field(max_length=64)
    active: bool = True
    created_at: datetime = Field(default_factory=now, sa_type=UTCDateTime)

    def __str__(self) -> str:
        return f"{self.name}（{self.code}）"

    @classmethod
    def visible_to(cls, scope: "Scope") -> sa.ColumnElement[bool]:
        return sa.literal(scope.station_id is not None) & (cls.id == scope.station_id)


class Officer(SQLModel, table=True):
    """A police officer (民警) as a person; a login may link to one, but need not."""

    __audit_masked__ = {"phone": mask_phone}

    id: int | None = Field(default=None, primary_key=True)
    badge_no: str = Field(max_length=32, unique=True)
    name: str = Field(max_length=32)
    phone: str | None = Field(default=None, max_length=20)
    station_id: int = Field(foreign_key="station.id", index=True)
    active: bool = True
    created_at: datetime = Field(default_factory=now, sa_type=UTCDateTime)

    def __str__(self) -> str:
        return f"{self.name}（{self.badge_no}）"

    @classmethod
    def visible_to(cls, scope: "Scope") -> sa.ColumnElement[bool]:
        return sa.literal(scope.station_id is not None) & (cls.station_id == scope.station_id)
