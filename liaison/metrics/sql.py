"""The few SQL expressions that SQLite and PostgreSQL spell differently: the local month of a
date or of a UTC timestamp, and the hours between two timestamps."""

from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.compiler import compiles

# Asia/Shanghai has kept UTC+8 all year since 1991: a fixed offset is exact for our data.
OFFSET_HOURS = 8


class date_month(sa.sql.functions.FunctionElement[str]):
    """`YYYY-MM` of a date column."""

    type = sa.String()
    inherit_cache = True


class timestamp_month(sa.sql.functions.FunctionElement[str]):
    """`YYYY-MM` of a UTC timestamp, seen in Asia/Shanghai."""

    type = sa.String()
    inherit_cache = True


# How each engine spells them; `{column}` stands for the compiled argument.
MONTH_SQL = {
    (date_month, "sqlite"): "strftime('%Y-%m', {column})",
    (timestamp_month, "sqlite"): f"strftime('%Y-%m', {{column}}, '+{OFFSET_HOURS} hours')",
    (date_month, "postgresql"): "to_char({column}, 'YYYY-MM')",
    (timestamp_month, "postgresql"): "to_char({column} AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM')",
}


def _spelled(template: str) -> Callable[..., str]:
    def compile_month(element: Any, compiler: Any, **kw: Any) -> str:
        return template.format(column=compiler.process(element.clauses, **kw))

    return compile_month


for (_element, _dialect), _template in MONTH_SQL.items():
    compiles(_element, _dialect)(_spelled(_template))


def _sqlite_seconds(moment: Any) -> Any:
    """Seconds since the epoch, to the millisecond: whole seconds from %s plus the fraction
    of %f (julianday's doubles would lose the last digits of a sum of hours)."""
    whole = sa.cast(sa.func.strftime("%s", moment), sa.Integer)
    fraction = sa.func.strftime("%f", moment) - sa.func.strftime("%S", moment)
    return whole + fraction


def hours_between(start: Any, end: Any, dialect: Dialect) -> sa.ColumnElement[Any]:
    """(end − start) in hours, as a float."""
    if dialect.name == "sqlite":
        return (_sqlite_seconds(end) - _sqlite_seconds(start)) / 3600.0
    return sa.extract("epoch", end - start) / 3600.0
