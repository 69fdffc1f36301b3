"""A hazard's fields, declared once. `HazardBase` holds each field a person or a ledger row
supplies, with its label, length and limits; the table (models.Hazard) inherits it, `HazardIn`
is the one validated input that the form page (and the demo, the tests) produce and
`service.log_hazard` takes, and `HazardOut` is what the API answers. The form's fields and the
隐患 sheet's columns are read from these declarations (liaison/fields.py). A complex area
(周边治安复杂区域) is a hazard of that category: the same fields."""

from datetime import date
from enum import StrEnum

from pydantic import field_validator
from sqlmodel import Field, SQLModel

from liaison.fields import blank_is_none
from liaison.projects.schemas import RecordOut


class HazardCategory(StrEnum):
    FIRE = "消防安全"
    PUBLIC_ORDER = "治安防范"
    TRAFFIC = "交通安全"
    WORK_SAFETY = "生产安全"
    ENVIRONMENT = "环境保护"
    COMPLEX_AREA = "周边治安复杂区域"
    OTHER = "其他"


class HazardLevel(StrEnum):
    GENERAL = "一般"
    SERIOUS = "较大"
    MAJOR = "重大"  # under bureau supervision (挂牌督办) until signed off


class HazardBase(SQLModel):
    category: str = Field(max_length=16, title="类别")
    level: str = Field(max_length=8, title="等级")
    description: str = Field(max_length=2000, min_length=1, title="描述")
    location: str = Field(default="", max_length=255, title="位置")
    found_on: date = Field(title="发现日期")
    # Every hazard has one; the ledger states it, the form may leave it to the level's default.
    deadline: date = Field(title="整改期限")
    responsible_party: str = Field(default="", max_length=128, title="整改责任方")


class HazardIn(HazardBase):
    """A hazard as it is to be recorded, whoever typed it. The project and the finder are the
    service's arguments, the code, status and history the service's own."""

    category: HazardCategory = Field(title="类别")
    level: HazardLevel = Field(title="等级")
    # None: the level's default number of days (settings), counted from found_on. The record
    # always has one (HazardBase); only the input may leave it out, hence the wider type.
    deadline: date | None = Field(default=None, title="整改期限")  # type: ignore[assignment]

    _blank_is_none = field_validator("deadline", mode="before")(blank_is_none)


class HazardOut(RecordOut):
    """A hazard (or complex area) in the API's answer, with the names of what it refers to."""

    project: str
    station: str
    category: str
    level: str
    status: str
    description: str
    found_on: date
    found_by: str
    deadline: date
    closed_on: date | None
    overdue: bool
