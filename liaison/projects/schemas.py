"""A key project's fields, declared once. `ProjectBase` holds each field with its label, length
and limits; the table (models.Project) inherits it, `ProjectIn` is the one validated input that
the form page and the ledger's 重点项目 sheet produce and `service.save_project` takes, and
`ProjectOut` is what the API answers, as `RecordOut` begins its answer of a project's records.
The form's fields and the sheet's columns are read from these declarations (liaison/fields.py)."""

import re
from datetime import date
from enum import StrEnum

import sqlalchemy as sa
from pydantic import BaseModel, field_validator
from sqlmodel import Field, SQLModel


class Level(StrEnum):
    """项目级别. Values are the Chinese words of PRODUCT.md, as the ledger and UI use them."""

    NATIONAL = "国家级"
    PROVINCIAL = "省级"
    CITY = "市级"
    DISTRICT = "区级"


class Stage(StrEnum):
    """建设阶段."""

    PLANNING = "前期"
    BUILDING = "在建"
    OPERATING = "投运"


# A project's code travels in URLs (its QR form is /r/<code>), so no character that a URL
# would have to escape: letters, digits, - _ and . only.
CODE_PATTERN = r"[A-Za-z0-9._-]+"


class ProjectBase(SQLModel):
    code: str = Field(max_length=32, unique=True, min_length=1, title="项目编号")
    name: str = Field(max_length=128, index=True, min_length=1, title="项目名称")
    level: str = Field(max_length=8, title="项目级别")
    category: str = Field(default="", max_length=32, title="项目类别")
    stage: str = Field(default=Stage.BUILDING.value, max_length=8, title="建设阶段")
    investment_fen: int | None = Field(
        default=None,
        ge=0,
        sa_type=sa.BigInteger,
        title="总投资(万元)",  # kept in fen, shown and typed in 万元
    )
    site_security_contact: str = Field(default="", max_length=32, title="现场安保负责人")
    site_security_phone: str = Field(
        default="", max_length=20, title="安保负责人电话", schema_extra={"pattern": r"^[0-9\-]*$"}
    )
    workforce: int | None = Field(default=None, ge=0, le=1_000_000, title="用工人数")
    key_risks: str = Field(default="", max_length=2000, title="主要风险点")
    notes: str = Field(default="", max_length=4000, title="备注")


class ProjectIn(ProjectBase):
    """A project as it is to be saved, whoever typed it. The enterprise and the station are
    given by id; that they exist and may be used is the service's check."""

    level: Level = Field(title="项目级别")
    stage: Stage = Field(default=Stage.BUILDING, title="建设阶段")
    enterprise_id: int = Field(title="企业")
    station_id: int = Field(title="所属单位")

    @field_validator("code")
    @classmethod
    def _code_fits_a_url(cls, code: str) -> str:
        if code and not re.fullmatch(CODE_PATTERN, code):
            raise ValueError("只能由字母、数字和 - _ . 组成")
        return code


class ProjectOut(BaseModel):
    """A project in the API's answer: its own fields with the names of what it refers to."""

    id: int
    code: str
    name: str
    enterprise: str
    level: str
    stage: str
    category: str
    investment_fen: int | None
    station: str
    officer_badge: str | None
    officer_name: str | None
    last_visit: date | None
    next_visit_due: date | None
    visit_overdue: bool
    archived: bool


class RecordOut(BaseModel):
    """A project's record (a hazard, a case, a ledger entry) in the API's answer begins with its
    id, its code and its project."""

    id: int
    code: str
    project_id: int
