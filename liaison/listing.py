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
from sqlmodel import col, or_

from liaison.clock import FIRST_DAY, LAST_DAY

# The largest number an INTEGER column holds on both engines: beyond it PostgreSQL refuses the
# query (liaison.http refuses such a number in any declared parameter too).
LARGEST_ID = 2**31 - 1


def _blank_means(default: Any) -> BeforeValidator:
    """A blank (or all-space) value reads as `default`."""
    return BeforeValidator(lambda v: default if isinstance(v, str) and not v.strip() else v)


def _iso_day(value: Any) -> Any:
    # Pydantic would read "0" as 1970-01-01 (a Unix time): a day is written YYYY-MM-DD.
    if isinstance(value, str) and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        raise ValueError("日期格式应为 YYYY-MM-DD")
    return value


Day = Annotated[date, BeforeValidator(_iso_day), Ge(FIRST_DAY), Le(LAST_DAY)]
Id = Annotated[int, Ge(1), Le(LARGEST_ID)]


def id_in(text: str) -> int | None:
    """The row id a form's free-form value spells (`o12`'s 12, say), or None when it is not
    one: ASCII digits only ("²".isdigit() is true and int("²") fails), and no larger than a
    column holds (PostgreSQL refuses the query otherwise)."""
    if not (text.isascii() and text.isdigit()) or len(text) > 10:
        return None
    number = int(text)
    return number if 1 <= number <= LARGEST_ID else None


def _or_blank(schema: dict[str, Any]) -> WithJsonSchema:
    """The OpenAPI document says so too: other programs may send the blank a browser sends."""
    return WithJsonSchema({"anyOf": [schema, {"type": "string", "pattern": r"^\s*$"}]})


OptionalDay = Annotated[
    Day | None,
    _blank_means(None),
    _or_blank({"type": "string", "format": "date"}),
]
OptionalId = Annotated[
    Id | None,
    _blank_means(None),
    _or_blank({"type": "integer", "minimum": 1, "maximum": LARGEST_ID}),
]
Flag = Annotated[bool, _blank_means(False), _or_blank({"type": "boolean"})]
PageNumber = Annotated[int, _blank_means(1), Ge(1), Le(LARGEST_ID)]
SearchText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=100)]


class ListFilter(BaseModel):
    """A list's filters. Fields are named as the code reads them (`station_id`) and aliased as
    the query string spells them (`station`); what a list does not declare is ignored."""

    model_config = ConfigDict(populate_by_name=True, extra="ignore")


def matching(query: Any, *conditions: tuple[Any, Any]) -> Any:
    """`query` narrowed to `column == value` for each (value, column) whose value is set."""
    for value, column in conditions:
        if value:
            query = query.where(column == value)
    return query


def searching(query: Any, text: str, *columns: Any) -> Any:
    """`query` narrowed to rows where one of `columns` contains `text` as typed (a `%` is a
    percent sign, not a wildcard); blank text narrows nothing."""
    term = text.strip()
    if not term:
        return query
    return query.where(or_(*(col(column).contains(term, autoescape=True) for column in columns)))
