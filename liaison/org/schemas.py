"""A station's and an officer's fields, declared once. `StationBase` and `OfficerBase` hold each
field with its label, length and limits; the tables (models.Station, models.Officer) inherit
them, and `StationIn`, `OfficerIn` are the one validated input that the admin's pages, the
ledger's 派出所 and 民警 sheets and the CLI produce and `service.save_station`,
`service.save_officer` take. The forms' fields and the sheets' columns are read from these
declarations (liaison/fields.py)."""

from typing import Any

from sqlmodel import Field, SQLModel

STATION_CODE_PATTERN = r"^[A-Za-z0-9_\-]+$"
BADGE_PATTERN = r"^[A-Za-z0-9]+$"
MOBILE_PATTERN = r"^(1[3-9]\d{9})?$"  # 11 digits, or none


def _key(title: str, pattern: str) -> Any:
    """The code a station or an officer is known by (to the ledger, the CLI, the other records):
    unique, required, up to 32 characters of `pattern`."""
    return Field(
        max_length=32, unique=True, min_length=1, title=title, schema_extra={"pattern": pattern}
    )


class StationBase(SQLModel):
    code: str = _key("单位编码", STATION_CODE_PATTERN)
    name: str = Field(max_length=64, min_length=1, title="单位名称")
    active: bool = Field(default=True, title="启用")


class StationIn(StationBase):
    """A station as it is to be saved, whoever typed it; that its code is nobody else's is the
    service's check."""


class OfficerBase(SQLModel):
    badge_no: str = _key("警号", BADGE_PATTERN)
    name: str = Field(max_length=32, min_length=1, title="姓名")
    phone: str | None = Field(
        default=None, max_length=20, title="手机号", schema_extra={"pattern": MOBILE_PATTERN}
    )
    active: bool = Field(default=True, title="在岗")


class OfficerIn(OfficerBase):
    """An officer as they are to be saved. The station is named by its code, as every person
    who types one names it (the form's choice, the ledger's 单位编码, the CLI's --station);
    that it exists, and that the officer may leave the one they are at, is the service's
    check."""

    station_code: str = Field(min_length=1, max_length=32, title="所属单位")
