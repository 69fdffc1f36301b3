"""A request's fields (诉求), declared once. `RequestBase` holds what a submitter, the staff who
log a call or a ledger row supply, with the table's lengths; the table (models.ServiceRequest)
inherits it. `RequestIn` is the one validated input of a request as it is received (the public
form, the staff's form, the demo), which `service.submit` takes; `RequestOut` is what the API
answers. `ServiceLevelBase` is a type's service levels, as the table and the admin's form have
them."""

from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, field_validator
from sqlmodel import Field, SQLModel
from sqlmodel.main import SQLModelConfig


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


# A mobile number: the submitter follows the request with its last 4 digits, and is called back.
MOBILE_PATTERN = r"^1[3-9]\d{9}$"


class RequestBase(SQLModel):
    """A request as it is stored: a ledger row of past requests may lack the submitter."""

    type: str = Field(max_length=8, title="类型")
    topic: str = Field(default=Topic.OTHER.value, max_length=8, title="事项类别")
    content: str = Field(max_length=4000, min_length=1, title="内容")
    submitter_name: str = Field(default="", max_length=64, title="姓名")
    submitter_phone: str = Field(default="", max_length=20, title="联系电话")
    # As the submitter wrote it (the public form's 所在企业（选填）).
    enterprise_name: str = Field(default="", max_length=128, title="所在企业")
    channel: str = Field(max_length=8, title="渠道")


class RequestIn(RequestBase):
    """A request as it is received, whoever typed it: a submitter's name and mobile number are
    required (they are called back and track it by the number's last 4 digits). The forms call
    the submitter's fields `name` and `phone`; both names are accepted."""

    model_config = SQLModelConfig(validate_by_name=True, validate_by_alias=True)

    type: RequestType = Field(title="类型")
    topic: Topic = Field(default=Topic.OTHER, title="事项类别")
    content: str = Field(min_length=1, max_length=2000, title="内容")
    submitter_name: str = Field(min_length=1, max_length=32, title="姓名", validation_alias="name")
    submitter_phone: str = Field(
        title="联系电话", validation_alias="phone", schema_extra={"pattern": MOBILE_PATTERN}
    )
    enterprise_name: str = Field(default="", max_length=64, title="所在企业")
    channel: Channel = Field(default=Channel.WEB, title="渠道")
    # The enterprise that submits it (a contact logged in), which may then follow it.
    enterprise_id: int | None = Field(default=None, title="企业")
    # The submitter agreed to an SMS when it is answered and when it is closed (the public form).
    sms_consent: bool = Field(default=False, title="办理进展短信通知我（仅含受理编号和查询链接）")

    @field_validator("topic", mode="before")
    @classmethod
    def _blank_is_other(cls, value: Any) -> Any:
        return value or Topic.OTHER


class RequestOut(BaseModel):
    """A request in the API's answer, without the submitter's name, phone or free text."""

    id: int
    tracking_no: str
    type: str
    topic: str
    channel: str
    status: str
    project_id: int | None
    enterprise_id: int | None
    station_id: int | None
    officer_id: int | None
    received_at: datetime
    respond_by: datetime
    close_by: datetime
    first_response_at: datetime | None
    closed_at: datetime | None
    satisfaction: str | None
    reopened: bool


class ServiceLevelBase(SQLModel):
    """A type's service levels: the first response in hours round the clock, closure in days."""

    response_hours: int = Field(ge=1, le=720, title="首次响应（小时）")
    close_days: int = Field(ge=1, le=365, title="办结（天）")
    working_days: bool = Field(default=False, title="按工作日计算办结期限")
