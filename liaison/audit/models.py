"""The audit log: one row for every change of data and every security event."""

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from liaison.clock import now
from liaison.db import UTCDateTime


class AuditLog(SQLModel, table=True):
    """Append-only: triggers in the database refuse UPDATE and DELETE."""

    __tablename__ = "audit_log"
    __audit__ = False

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=now, sa_type=UTCDateTime, index=True)
    actor_id: int | None = Field(default=None, index=True)  # no FK: the log outlives users
    actor_name: str = Field(default="", max_length=64)
    client_ip: str | None = Field(default=None, max_length=64)
    action: str = Field(max_length=32)
    object_type: str = Field(default="", max_length=64)
    object_id: str | None = Field(default=None, max_length=64)
    before: dict[str, Any] | None = Field(default=None, sa_type=sa.JSON)
    after: dict[str, Any] | None = Field(default=None, sa_type=sa.JSON)
    # The checksum chain: each row's hash covers its own fields and the previous row's hash,
    # so changing or removing a row breaks every hash after it (`liaison audit verify`).
    prev_hash: str | None = Field(default=None, max_length=64)
    row_hash: str | None = Field(default=None, max_length=64)

    __table_args__ = (sa.Index("ix_audit_log_object", "object_type", "object_id"),)
