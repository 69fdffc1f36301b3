"""Files attached to records (photos, PDFs), kept in the database so one backup holds all."""

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from liaison.clock import now
from liaison.db import UTCDateTime


class FileFacts(SQLModel):
    """What the checks found out about a file (liaison/attachments/service.py `check`), as an
    attachment and a pending upload both keep it."""

    filename: str = Field(max_length=255)
    content_type: str = Field(max_length=64)
    size: int
    sha256: str = Field(max_length=64)
    width: int | None = None
    height: int | None = None


class Attachment(FileFacts, table=True):
    """What is known about a file; its bytes live in `AttachmentBlob`, so lists never load them.
    `owner_type` names the kind of record ("hazard", …) and `tag` what the file shows
    ("before", "after", "evidence")."""

    __noun__ = "附件"  # what the audit log calls one

    id: int | None = Field(default=None, primary_key=True)
    owner_type: str = Field(max_length=32)
    owner_id: int
    tag: str = Field(default="", max_length=16)
    uploaded_by_id: int | None = Field(default=None, foreign_key="user_account.id")
    created_at: datetime = Field(default_factory=now, sa_type=UTCDateTime)

    __table_args__ = (sa.Index("ix_attachment_owner", "owner_type", "owner_id"),)


class AttachmentBlob(SQLModel, table=True):
    """The bytes of an attachment: the original as uploaded, and for images a display copy
    re-encoded without EXIF or GPS data."""

    __noun__ = "附件内容"  # what the audit log calls one

    __tablename__ = "attachment_blob"
    __audit__ = False  # the Attachment row is audited; bytes do not belong in the log

    attachment_id: int = Field(foreign_key="attachment.id", primary_key=True)
    variant: str = Field(max_length=16, primary_key=True)  # "original" | "display"
    data: bytes = Field(sa_type=sa.LargeBinary)


class PendingUpload(FileFacts, table=True):
    """A file chosen on a form that was refused, kept (already checked) so the corrected form
    attaches it without choosing it again. Owned by the login that sent it (`user_id`) or, on
    the public form, by the browser (`browser`: a hash of its CSRF cookie); held for one form
    (`form`) until it is attached, dropped or `expires_at` passes."""

    __tablename__ = "pending_upload"
    __audit__ = False  # transient: the attachment it becomes is audited

    id: int | None = Field(default=None, primary_key=True)
    token: str = Field(max_length=64, unique=True)
    form: str = Field(max_length=64)
    user_id: int | None = Field(default=None, foreign_key="user_account.id")
    browser: str = Field(default="", max_length=64)
    data: bytes = Field(sa_type=sa.LargeBinary)
    display: bytes | None = Field(default=None, sa_type=sa.LargeBinary)
    created_at: datetime = Field(default_factory=now, sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime, index=True)
