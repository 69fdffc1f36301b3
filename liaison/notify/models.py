"""The notifications, their deliveries on outside channels, the reminders already made, and each
user's channel settings."""

from collections.abc import Callable
from datetime import datetime, time
from enum import StrEnum
from typing import ClassVar

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from liaison.clock import now
from liaison.db import UTCDateTime, enum_check
from liaison.pii import mask_phone


class _Labelled(StrEnum):
    """A word other programs see, with the Chinese a person reads (LABELS)."""

    @property
    def label(self) -> str:
        return LABELS[self.value]


class Channel(_Labelled):
    EMAIL = "email"
    SMS = "sms"
    WECOM = "wecom"  # 企业微信 group robot
    DINGTALK = "dingtalk"  # 钉钉 group robot


class DeliveryState(_Labelled):
    PENDING = "pending"  # waiting to be sent (or to be retried, from next_at)
    SENT = "sent"
    FAILED = "failed"  # given up after the last attempt; the administrator may retry it


LABELS = {
    "email": "邮件",
    "sms": "短信",
    "wecom": "企业微信群",
    "dingtalk": "钉钉群",
    "pending": "待发送",
    "sent": "已发送",
    "failed": "发送失败",
}
# What a person chooses per kind; the group robots are a station's, set by the administrator.
PERSONAL_CHANNELS = (Channel.EMAIL, Channel.SMS)


class Notification(SQLModel, table=True):
    """One thing one staff user is told, in the app. A message derived from an audited change,
    so not audited itself (the audit log would hold every one twice)."""

    __audit__ = False

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user_account.id")
    kind: str = Field(max_length=40)
    title: str = Field(max_length=200)
    body: str = Field(default="", max_length=500)
    url: str = Field(max_length=200)
    created_at: datetime = Field(default_factory=now, sa_type=UTCDateTime)
    read_at: datetime | None = Field(default=None, sa_type=UTCDateTime)

    __table_args__ = (
        sa.Index("ix_notification_user_unread", "user_id", "read_at"),
        sa.Index("ix_notification_user_created", "user_id", "created_at"),
    )


class Delivery(SQLModel, table=True):
    """A message waiting for, or done with, an outside channel: the outbox the job engine sends
    from after the commit. A notification's copy by mail or SMS, a station group's robot
    message, or an SMS to the person who sent a request (no notification: they have no login).
    The text is what is sent, already masked; `address` is the mail address, the phone or the
    station whose robot posts it."""

    __audit__ = False

    id: int | None = Field(default=None, primary_key=True)
    notification_id: int | None = Field(default=None, foreign_key="notification.id", index=True)
    channel: str = Field(max_length=16)
    address: str = Field(max_length=200)
    subject: str = Field(default="", max_length=200)
    text: str = Field(max_length=1000)
    state: str = Field(default=DeliveryState.PENDING.value, max_length=16)
    attempts: int = 0
    # When it may next be tried: quiet hours and the retry backoff move it on.
    next_at: datetime = Field(default_factory=now, sa_type=UTCDateTime)
    # Held by a sender until then; a sender killed mid-send leaves it to be taken again after.
    claimed_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_error: str = Field(default="", max_length=500)
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(default_factory=now, sa_type=UTCDateTime)

    __table_args__ = (
        enum_check("channel", Channel),
        enum_check("state", DeliveryState),
        sa.Index("ix_delivery_due", "state", "next_at"),
    )


class Reminder(SQLModel, table=True):
    """That the reminder of `kind` for `record` at `threshold` has been made: the database's
    unique key makes it exactly once, whichever process scans first."""

    __audit__ = False

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=40)
    record: str = Field(max_length=60)  # "request:12", "hazard:7", "user:3" (a digest)
    threshold: str = Field(max_length=40)  # "due", "breached", "7d", "2026-12-07", "chief"...
    created_at: datetime = Field(default_factory=now, sa_type=UTCDateTime)

    __table_args__ = (sa.UniqueConstraint("kind", "record", "threshold", name="uq_reminder_once"),)


class NotifySettings(SQLModel, table=True):
    """A user's own addresses for notifications and their quiet hours (Asia/Shanghai)."""

    __tablename__ = "notify_settings"
    __noun__ = "通知设置"
    __audit_masked__: ClassVar[dict[str, Callable[[str], str]]] = {"phone": mask_phone}

    user_id: int = Field(foreign_key="user_account.id", primary_key=True)
    email: str = Field(default="", max_length=120)
    phone: str = Field(default="", max_length=20)
    quiet: bool = True
    quiet_from: time = time(22, 0)
    quiet_until: time = time(7, 0)


class Preference(SQLModel, table=True):
    """The outside channels a user chose for one kind; in-app is always on. No row: the kind's
    default (liaison/notify/service.py DEFAULT_CHANNELS)."""

    __noun__ = "通知偏好"

    user_id: int = Field(foreign_key="user_account.id", primary_key=True)
    kind: str = Field(max_length=40, primary_key=True)
    channels: str = Field(default="", max_length=60)  # "email,sms"


class DutyRobot(SQLModel, table=True):
    """A station's duty group robot (企业微信 or 钉钉 webhook), which is told of the station's
    breaches, escalations and major hazards; the row without a station is the bureau's duty
    desk's. Set by the system administrator."""

    __tablename__ = "duty_robot"
    __noun__ = "值班群机器人"
    __audit_exclude__ = frozenset({"secret"})
    # A robot's URL carries its key (企业微信 ?key=, 钉钉 ?access_token=): the log keeps the
    # address, not the key.
    __audit_masked__: ClassVar[dict[str, Callable[[str], str]]] = {
        "url": lambda url: url.partition("?")[0] + ("?***" if "?" in url else "")
    }

    id: int | None = Field(default=None, primary_key=True)
    station_id: int | None = Field(default=None, foreign_key="station.id", unique=True)
    channel: str = Field(max_length=16)
    url: str = Field(max_length=300)
    secret: str = Field(default="", max_length=120)  # 钉钉's signing secret (加签)

    __table_args__ = (sa.CheckConstraint("channel IN ('wecom', 'dingtalk')", name="channel_robot"),)
