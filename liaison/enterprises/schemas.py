"""An enterprise's and its contacts' fields, declared once. `EnterpriseBase` and `ContactBase`
hold each field with its label, length and limits; the tables (models.Enterprise,
models.EnterpriseContact) inherit them, and `EnterpriseIn`, `ContactIn` are the one validated
input that the enterprise pages (and the demo) produce and `service.save_enterprise`,
`service.save_contact` take. The form's fields and the 企业 sheet's columns are read from these
declarations (liaison/fields.py)."""

from typing import Any

from pydantic import field_validator
from sqlmodel import Field, SQLModel

from liaison.enterprises.uscc import normalise_uscc, uscc_error

# A mobile number, or a landline with its area code (区号-号码), or none.
PHONE_PATTERN = r"^(1[3-9]\d{9}|0\d{2,3}-?\d{7,8})?$"


class EnterpriseBase(SQLModel):
    uscc: str = Field(max_length=18, unique=True, min_length=1, title="统一社会信用代码")
    name: str = Field(max_length=128, index=True, min_length=1, title="企业名称")
    industry: str = Field(default="", max_length=64, title="行业")
    town: str = Field(default="", max_length=64, title="乡镇街道")
    address: str = Field(default="", max_length=255, title="地址")


class EnterpriseIn(EnterpriseBase):
    """An enterprise as it is to be saved. Its credit code is read as people type it (lower
    case, full-width, spaces around) and must pass its check character; that it is nobody
    else's is the service's check. The industry is required of new input, though older
    records may lack it."""

    industry: str = Field(min_length=1, max_length=64, title="行业")

    @field_validator("uscc", mode="before")
    @classmethod
    def _normalised(cls, value: Any) -> Any:
        return normalise_uscc(value) if isinstance(value, str) else value

    @field_validator("uscc")
    @classmethod
    def _checked(cls, value: str) -> str:
        if error := uscc_error(value):
            raise ValueError(error)
        return value


class ContactBase(SQLModel):
    name: str = Field(max_length=32, min_length=1, title="姓名")
    title: str = Field(default="", max_length=32, title="职务")
    phone: str = Field(
        default="", max_length=20, title="电话", schema_extra={"pattern": PHONE_PATTERN}
    )
    is_primary: bool = Field(default=False, title="设为主要联系人")


class ContactIn(ContactBase):
    """A contact as they are to be saved, at the enterprise `enterprise_id` (a contact never
    moves to another enterprise: on an edit it must be the contact's own)."""

    enterprise_id: int = Field(title="企业")
