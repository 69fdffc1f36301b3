"""A ledger file uploaded on the web: kept from its dry run to its confirmation, with the
import's progress, so any app process can show it."""

from datetime import datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from liaison.clock import now
from liaison.db import UTCDateTime, enum_check


class UploadStatus(StrEnum):
    CHECKED = "checked"  # dry run done: counts and problems in `result`
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class LedgerUpload(SQLModel, table=True):
    """The file itself is not audited (the rows it writes are, one audit row each)."""

    __tablename__ = "ledger_upload"
    __audit__ = False

    id: int | None = Field(default=None, primary_key=True)
    filename: str = Field(max_length=255)
    size: int
    sha256: str = Field(max_length=64)
    data: bytes = Field(sa_type=sa.LargeBinary)  # poll progress without it: select columns
    status: str = Field(default=UploadStatus.CHECKED.value, max_length=16)
    total: int = 0  # rows to go through
    done: int = 0  # rows gone through so far
    result: dict[str, Any] | None = Field(default=None, sa_type=sa.JSON)  # counts, problems
    created_by_id: int | None = Field(default=None, foreign_key="user_account.id")
    created_at: datetime = Field(default_factory=now, sa_type=UTCDateTime)
    finished_at: datetime | None = Field(default=None, sa_type=UTCDateTime)

    __table_args__ = (enum_check("status", UploadStatus),)
