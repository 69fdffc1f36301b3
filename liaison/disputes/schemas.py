"""A mediation case's fields, declared once. `DisputeBase` holds the case as it is opened,
`PartyBase` a party to it and `AgreementBase` the agreement of a case mediated successfully,
each field with its label, length and limits; the tables (models.Dispute, models.DisputeParty)
inherit them. `DisputeIn` (with its `PartyIn`s) is the one validated input that the form page
produces and `service.open_case` takes, `AgreementIn` what `service.resolve` takes, and
`DisputeOut` what the API answers. The form's fields and the 纠纷 sheet's columns are read from
these declarations (liaison/fields.py, liaison/sheets.py `column`)."""

from datetime import date
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from pydantic import field_validator
from sqlmodel import Field, SQLModel

from liaison.fields import blank_is_none
from liaison.projects.schemas import RecordOut


class DisputeType(StrEnum):
    LABOUR = "劳资纠纷"
    CONTRACT = "合同纠纷"
    LAND = "征地拆迁"
    OBSTRUCTION = "阻工扰工"
    NEIGHBOUR = "邻里纠纷"
    OTHER = "其他"


class DisputeStatus(StrEnum):
    MEDIATING = "调解中"
    RESOLVED = "调解成功"
    FAILED = "调解失败"
    TRANSFERRED = "已移交"


class Performance(StrEnum):
    PERFORMING = "履行中"
    PERFORMED = "已履行"
    DEFAULTED = "未履行"


class PartyRole(StrEnum):
    APPLICANT = "申请人"
    RESPONDENT = "被申请人"


class DisputeBase(SQLModel):
    """A case as it is opened. The ledger gives every case its number and may leave the facts
    blank (its 纠纷 sheet reads those two columns as declared here); a form does neither
    (`DisputeIn`)."""

    code: str = Field(max_length=32, unique=True, title="纠纷编号")
    type: str = Field(max_length=8, title="类型")
    amount_fen: int | None = Field(
        default=None,
        ge=0,
        sa_type=sa.BigInteger,
        title="涉及金额(元)",  # kept in fen, shown and typed in yuan
    )
    facts: str = Field(default="", max_length=4000, title="概要")
    # Indexed: the metrics and the list select a period by the day of receipt (a range scan).
    received_on: date = Field(index=True, title="受理日期")


class AgreementBase(SQLModel):
    """The agreement of a case mediated successfully (调解成功), blank until then."""

    obligations: str = Field(default="", max_length=4000, title="协议内容（各方义务）")
    agreement_fen: int | None = Field(
        default=None, ge=0, sa_type=sa.BigInteger, title="协议金额（元）"
    )
    performance_method: str = Field(default="", max_length=255, title="履行方式")
    perform_by: date | None = Field(default=None, title="履行期限")
    judicial_confirmation: bool = Field(default=False, title="当事人申请司法确认")


class PartyBase(SQLModel):
    role: str = Field(max_length=8, title="身份")
    name: str = Field(max_length=64, title="姓名或名称")
    phone: str = Field(
        default="", max_length=20, title="电话", schema_extra={"pattern": r"^([0-9]{7,12})?$"}
    )
    # 18 characters when given; whether it is a valid number is the service's check (pii).
    id_number: str = Field(default="", max_length=18, title="身份证号")


class PartyIn(PartyBase):
    """A party as it is entered."""

    role: PartyRole = Field(title="身份")
    name: str = Field(min_length=1, max_length=64, title="姓名或名称")

    @field_validator("id_number", mode="before")
    @classmethod
    def _upper(cls, value: Any) -> Any:
        return value.strip().upper() if isinstance(value, str) else value


class DisputeIn(DisputeBase):
    """A case as it is opened, whoever typed it. The project and the handling officer are the
    service's arguments: the page has them from its address and its user."""

    code: str = Field(default="", max_length=32, title="纠纷编号")  # blank: numbered by its day
    type: DisputeType = Field(title="类型")
    facts: str = Field(min_length=1, max_length=4000, title="概要")
    parties: list[PartyIn] = Field(default_factory=list, title="当事人")

    _blank_is_none = field_validator("amount_fen", mode="before")(blank_is_none)


class AgreementIn(AgreementBase):
    """An agreement as it is recorded by `service.resolve`."""

    obligations: str = Field(min_length=1, max_length=4000, title="协议内容（各方义务）")
    book_recovery: bool = Field(default=False, title="协议金额计入挽回损失（纠纷化解）")
    # Where it stands when entered: history may know it is already performed.
    performance: Performance = Field(default=Performance.PERFORMING, title="履行情况")

    _blank_is_none = field_validator("agreement_fen", "perform_by", mode="before")(blank_is_none)


class DisputeOut(RecordOut):
    """A case in the API's answer; its parties' personal data stays out."""

    type: str
    status: str
    amount_fen: int | None
    received_on: date
    closed_on: date | None
    agreement_fen: int | None
    performance: str | None
