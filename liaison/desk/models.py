"""The request desk (接诉即办): requests from enterprises and the public, and their timeline."""

from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlmodel import Field, SQLModel, col, select

from liaison.clock import now
from liaison.db import UTCDateTime, enum_check
from liaison.projects.models import Project

if TYPE_CHECKING:
    from liaison.auth.permissions import Scope


class RequestType(StrEnum):
    CONSULTATION = "咨询"
    COMPLAINT = "投诉"
    SUGGESTION = "建议"
    HELP = "求助"


class Topic(StrEnum):
    PUBLIC_ORDER = "治安秩序"
    DISPUTE = "矛盾纠纷"
    DOCUMENTS = "证件办理"
    BUSINESS = "涉企服务"
    OTHER = "其他"


class Channel(StrEnum):
    QR = "二维码"
    WEB = "网页"
    PHONE = "电话"
    COUNTER = "窗口"


class RequestStatus(StrEnum):
    NEW = "待受理"
    ACCEPTED = "已受理"
    IN_PROGRESS = "办理中"
    ANSWERED = "已答复"
    CLOSED = "已办结"
    DECLINED = "不予受理"


class Satisfaction(StrEnum):
    SATISFIED = "满意"
    FAIRLY = "基本满意"
    UNSATISFIED = "不满意"


class ServiceRequest(SQLModel, table=True):
    """A request (诉求). With a project it goes to that project's officer; without, to the duty
    desk (值班). The submitter follows it by tracking number and the last 4 digits of the phone."""

    __tablename__ = "service_request"

    id: int | None = Field(default=None, primary_key=True)
    tracking_no: str = Field(max_length=32, unique=True)
    type: str = Field(max_length=8)
    topic: str = Field(default=Topic.OTHER.value, max_length=8)
    content: str = Field(max_length=4000)
    submitter_name: str = Field(default="", max_length=64)
    submitter_phone: str = Field(default="", max_length=20)
    phone_last4: str = Field(default="", max_length=4)
    enterprise_id: int | None = Field(default=None, foreign_key="enterprise.id", index=True)
    project_id: int | None = Field(default=None, foreign_key="project.id", index=True)
    channel: str = Field(max_length=8)
    status: str = Field(default=RequestStatus.NEW.value, max_length=8)
    officer_id: int | None = Field(default=None, foreign_key="officer.id", index=True)
    station_id: int | None = Field(default=None, foreign_key="station.id", index=True)
    received_at: datetime = Field(default_factory=now, sa_type=UTCDateTime, index=True)
    first_response_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    closed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    outcome: str = Field(default="", max_length=2000)  # the closing summary, or why it was declined
    satisfaction: str | None = Field(default=None, max_length=8)
    reopened: bool = False
    submission_key: str | None = Field(default=None, max_length=64, unique=True)
    created_by_id: int | None = Field(default=None, foreign_key="user_account.id")

    __table_args__ = (
        enum_check("type", RequestType),
        enum_check("topic", Topic),
        enum_check("channel", Channel),
        enum_check("status", RequestStatus),
        sa.CheckConstraint(
            "satisfaction IS NULL OR satisfaction IN ('满意', '基本满意', '不满意')",
            name="satisfaction_known",
        ),
    )

    @classmethod
    def visible_to(cls, scope: "Scope") -> sa.ColumnElement[bool]:
        """Station staff: their station's requests and the duty desk's; contacts: their own."""
        if scope.station_id is not None:
            return sa.or_(
                col(cls.station_id) == scope.station_id,
                col(cls.station_id).is_(None),
                col(cls.project_id).in_(
                    select(Project.id).where(Project.station_id == scope.station_id)
                ),
            )
        if scope.enterprise_id is not None:
            return col(cls.enterprise_id) == scope.enterprise_id
        return sa.false()


class RequestEvent(SQLModel, table=True):
    """One line of a request's timeline: a status change, a public reply, an internal note."""

    __tablename__ = "request_event"

    id: int | None = Field(default=None, primary_key=True)
    request_id: int = Field(foreign_key="service_request.id", index=True)
    kind: str = Field(max_length=16)  # accept, decline, reply, note, transfer, close, rate, reopen
    public: bool = False
    body: str = Field(default="", max_length=4000)
    from_status: str = Field(default="", max_length=8)
    to_status: str = Field(default="", max_length=8)
    by_user_id: int | None = Field(default=None, foreign_key="user_account.id")
    at: datetime = Field(default_factory=now, sa_type=UTCDateTime)
