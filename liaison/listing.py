"""What every list shares: its filters as a browser sends them.

A filter form sends every control, so an untouched select or date arrives as `station=` or
`since=`. Here a blank value means "not set", never an error. Each list declares its filters
once, as a `ListFilter` model read from the query string (`Annotated[XFilter, Query()]`); the
same model serves the page, its xlsx export and the JSON API, so the three cannot drift."""

import re
from datetime import date
from typing import Annotated, Any

from annotated_types import Ge, Le
from pydantic import BaseModel, BeforeValidator, ConfigDict, StringConstraints, WithJsonSchema

from liaison.clock import FIRST_DAY, LAST_DAY

# The largest id both engines store in an integer column: beyond it PostgreSQL refuses the query.
LARGEST_ID = 2**31 - 1


def _blank_is_unset(value: Any) -> Any:
    return None if isinstance(value, str) and not value.strip() else value


def _blank_is_false(value: Any) -> Any:
    return False if isinstance(value, str) and not value.strip() else value


def _blank_is_first(value: Any) -> Any:
    return 1 if isinstance(value, str) and not value.strip() else value


def _iso_day(value: Any) -> Any:
    # Pydantic would read "0" as 1970-01-01 (a Unix time): a day is written YYYY-MM-DD.
    if isinstance(value, str) and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        raise ValueError("日期格式应为 YYYY-MM-DD")
    return value


Day = Annotated[date, BeforeValidator(_iso_day), Ge(FIRST_DAY), Le(LAST_DAY)]
Id = Annotated[int, Ge(1), Le(LARGEST_ID)]


def _or_blank(schema: dict[str, Any]) -> WithJsonSchema:
    """The OpenAPI document says so too: other programs may send the blank a browser sends."""
    return WithJsonSchema({"anyOf": [schema, {"type": "string", "maxLength": 0}]})


OptionalDay = Annotated[
    Day | None,
    BeforeValidator(_blank_is_unset),
    _or_blank({"type": "string", "format": "date"}),
]
OptionalId = Annotated[
    Id | None,
    BeforeValidator(_blank_is_unset),
    _or_blank({"type": "integer", "minimum": 1, "maximum": LARGEST_ID}),
]
Flag = Annotated[bool, BeforeValidator(_blank_is_false), _or_blank({"type": "boolean"})]
PageNumber = Annotated[int, BeforeValidator(_blank_is_first), Ge(1), Le(LARGEST_ID)]
SearchText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=100)]


class ListFilter(BaseModel):
    """A list's filters. Fields are named as the code reads them (`station_id`) and aliased as
    the query string spells them (`station`); what a list does not declare is ignored."""

    model_config = ConfigDict(populate_by_name=True, extra="ignore")
