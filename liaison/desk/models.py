"""The request desk (接诉即办): requests from enterprises and the public, and their timeline."""

from collections.abc import Callable
from datetime import date, datetime
from typing import TYPE_CHECKING, ClassVar

import sqlalchemy as sa
from sqlmodel import Field, SQLModel, col, select

from liaison.clock import now
from liaison.db import UTCDateTime, enum_check
from liaison.desk.schemas import (
    Channel,
    RequestBase,
    RequestStatus,
    RequestType,
    ServiceLevelBase,
    Topic,
)
from liaison.desk.schemas import Satisfaction as Satisfaction  # re-exported for its importers
from liaison.pii import mask_name, mask_numbers, mask_phone
from liaison.projects.models import Project

if TYPE_CHECKING:
    from liaison.scope import Scope


# A request in one of these needs nothing more from the desk (unless a rating reopens it).
CLOSED_STATUSES = frozenset({RequestStatus.CLOSED.value, RequestStatus.DECLINED.value})


class ServiceRequest(RequestBase, table=True):
    """A request (诉求). With a project it goes to that project's officer; without, to the duty
    desk (值班). The submitter follows it by tracking number and the last 4 digits of the phone."""

    __noun__ = "诉求"  # what the audit log calls one

    __tablename__ = "service_request"
    __audit_masked__: ClassVar[dict[str, Callable[[str], str]]] = {
        "submitter_name": mask_name,
        "submitter_phone": mask_phone,
        "content": mask_numbers,
        "outcome": mask_numbers,
    }

    id: int | None = Field(default=None, primary_key=True)
    tracking_no: str = Field(max_length=32, unique=True)
    phone_last4: str = Field(default="", max_length=4)
    # The enterprise that submitted it (a contact logged in), which may follow it; a request
    # sent from a project's poster may be about that enterprise and is not shown to it.
    enterprise_id: int | None = Field(default=None, foreign_key="enterprise.id", index=True)
    project_id: int | None = Field(default=None, foreign_key="project.id", index=True)
    status: str = Field(default=RequestStatus.NEW.value, max_length=8)
    officer_id: int | None = Field(default=None, foreign_key="officer.id", index=True)
    station_id: int | None = Field(default=None, foreign_key="station.id", index=True)
    # Indexed: the metrics count a period by the moment of receipt (a range scan).
    received_at: datetime = Field(default_factory=now, sa_type=UTCDateTime, index=True)
    # Service-level deadlines, fixed at receipt (and the closure one again at a reopening), so
    # lists sort and metrics count by them in SQL.
    respond_by: datetime = Field(sa_type=UTCDateTime)
    close_by: datetime = Field(sa_type=UTCDateTime)
    first_response_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    closed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    outcome: str = Field(default="", max_length=2000)  # the closing summary, or why it was declined
    satisfaction: str | None = Field(default=None, max_length=8)
    reopened: bool = False
    # The submitter agreed, on the form, to an SMS when it is answered and when it is closed.
    sms_consent: bool = False
    submission_key: str | None = Field(default=None, max_length=64, unique=True)
    created_by_id: int | None = Field(default=None, foreign_key="user_account.id")
    # When the submitter's personal data was removed, past its retention period (PIPL 19, 47).
    deidentified_at: datetime | None = Field(default=None, sa_type=UTCDateTime)

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
        """Station staff: their station's requests (the duty desk's are the bureau's, until
        transferred); contacts: their enterprise's."""
        if scope.station_id is not None:
            return sa.or_(
                col(cls.station_id) == scope.station_id,
                col(cls.project_id).in_(
                    select(Project.id).where(Project.station_id == scope.station_id)
                ),
            )
        if scope.enterprise_id is not None:
            return col(cls.enterprise_id) == scope.enterprise_id
        return sa.false()


class RequestEvent(SQLModel, table=True):
    """One line of a request's timeline: a status change, a public reply, an internal note."""

    __noun__ = "诉求处理"  # what the audit log calls one

    __tablename__ = "request_event"
    __audit_masked__ = {"body": mask_numbers}

    id: int | None = Field(default=None, primary_key=True)
    request_id: int = Field(foreign_key="service_request.id", index=True)
    # accept, decline, reply, note, transfer, close, rate, reopen, contact_reply (补充说明)
    kind: str = Field(max_length=16)
    public: bool = False
    body: str = Field(default="", max_length=4000)
    from_status: str = Field(default="", max_length=8)
    to_status: str = Field(default="", max_length=8)
    by_user_id: int | None = Field(default=None, foreign_key="user_account.id")
    at: datetime = Field(default_factory=now, sa_type=UTCDateTime)


class ServiceLevel(ServiceLevelBase, table=True):
    """The desk's service levels for one type of request, set by an admin; a type without a row
    uses the defaults of the settings. The first response is counted in hours round the clock
    (the desk is staffed 24 hours); closure in calendar days or in working days."""

    __noun__ = "服务时限"  # what the audit log calls one

    __tablename__ = "service_level"

    type: str = Field(primary_key=True, max_length=8)

    __table_args__ = (
        enum_check("type", RequestType),
        sa.CheckConstraint("response_hours BETWEEN 1 AND 720", name="response_hours_range"),
        sa.CheckConstraint("close_days BETWEEN 1 AND 365", name="close_days_range"),
    )


class CalendarDay(SQLModel, table=True):
    """An admin's correction to the working-day calendar: a day that is a working day (a
    make-up day, 调休) or is not (a holiday), where the chinese-calendar package is wrong or
    does not know the year yet."""

    __noun__ = "工作日调整"  # what the audit log calls one

    __tablename__ = "calendar_day"

    day: date = Field(primary_key=True)
    workday: bool
    note: str = Field(default="", max_length=64)
