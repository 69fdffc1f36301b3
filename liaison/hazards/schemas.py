"""A hazard as it is recorded, declared once: `HazardIn` is what the form and every other way of
recording a hazard validate, and what `service.log_hazard` takes. Its text lengths are the
table's own columns', so the input cannot admit what the database would refuse."""

from datetime import date
from typing import Annotated, Any

import sqlalchemy as sa
from pydantic import BaseModel, BeforeValidator, Field

from liaison.hazards.models import Hazard, HazardCategory, HazardLevel


def _length(column: str) -> int:
    length = getattr(sa.inspect(Hazard).columns[column].type, "length", None)
    assert isinstance(length, int), column
    return length


def _blank_is_none(value: Any) -> Any:
    return None if value == "" else value


class HazardIn(BaseModel):
    category: HazardCategory
    level: HazardLevel
    description: str = Field(min_length=1, max_length=_length("description"))
    location: str = Field(default="", max_length=_length("location"))
    found_on: date
    # None: the level's default number of days (settings), counted from found_on.
    deadline: Annotated[date | None, BeforeValidator(_blank_is_none)] = None
    responsible_party: str = Field(default="", max_length=_length("responsible_party"))
