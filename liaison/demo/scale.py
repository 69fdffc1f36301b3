"""A bigger province for benchmarks: the loaded demo copied N − 1 more times in SQL
(`INSERT … SELECT`, one statement per table and copy), every id shifted, every code suffixed,
so N = 100 gives 26,400 projects and a hundred times every record. Logins, enterprises and
attachments are not copied (copies' projects share the demo's enterprises).

With `years` Y > 1 every district also gets Y − 1 earlier years of case history: its source
year's (2023's) closed hazards, disputes, requests and ledger entries (with their events) again,
each layer 52 weeks further back, so that durations and weekdays stay as they were. The demo's
other years are copied once with their district, not layered; open cases stay in the present,
and visits are not layered. N = 100, Y = 17 gives about a million cases."""

from collections.abc import Callable
from datetime import date, datetime

import sqlalchemy as sa
from sqlmodel import Session, SQLModel

from liaison.clock import LOCAL_TZ
from liaison.db import UTCDateTime
from liaison.demo import YEAR

# Copied in this order (a table after those it refers to), with the columns made unique per copy.
TABLES = {
    "station": ["code"],
    "officer": ["badge_no"],
    "project": ["code"],
    "assignment": [],
    "visit": [],
    "hazard": ["code"],
    "hazard_event": [],
    "dispute": ["code"],
    "recovery": ["code"],
    "service_request": ["tracking_no"],
    "request_event": [],
}
# The case tables, layered by year; the others (and visits) exist once per copy.
CASES = ["hazard", "hazard_event", "dispute", "recovery", "service_request", "request_event"]
# Unique keys of one submission, and an enterprise's own requests (its contact would see each
# copy): a copy has none of them.
CLEARED = {("recovery", "submission_key"), ("service_request", "submission_key")}
CLEARED |= {("service_request", "enterprise_id"), ("service_request", "created_by_id")}
LAYER_DAYS = 364  # 52 weeks: an earlier year's case falls on the same weekday


def _closed(metadata: sa.MetaData, spans: dict[str, int]) -> dict[str, sa.ColumnElement[bool]]:
    """Per case table, which of the demo's rows an earlier year repeats: the source year's closed
    cases, their events, and its ledger entries whose case is repeated too."""
    t = metadata.tables
    first, last = date(YEAR, 1, 1), date(YEAR, 12, 31)
    since, until = (datetime(y, 1, 1, tzinfo=LOCAL_TZ) for y in (YEAR, YEAR + 1))
    received = t["service_request"].c.received_at
    closed = {
        "hazard": sa.and_(
            t["hazard"].c.status == "已销号", t["hazard"].c.found_on.between(first, last)
        ),
        "dispute": sa.and_(
            t["dispute"].c.status != "调解中", t["dispute"].c.received_on.between(first, last)
        ),
        "service_request": sa.and_(
            t["service_request"].c.status.in_(["已办结", "不予受理"]),
            received >= since,
            received < until,
        ),
    }
    hazards, disputes, requests = (
        sa.select(t[name].c.id).where(closed[name], t[name].c.id < spans[name])
        for name in ("hazard", "dispute", "service_request")
    )
    recovery = t["recovery"].c
    return closed | {
        "hazard_event": t["hazard_event"].c.hazard_id.in_(hazards),
        "recovery": sa.and_(
            recovery.recovered_on.between(first, last),
            sa.or_(recovery.dispute_id.is_(None), recovery.dispute_id.in_(disputes)),
            sa.or_(recovery.hazard_id.is_(None), recovery.hazard_id.in_(hazards)),
        ),
        "request_event": t["request_event"].c.request_id.in_(requests),
    }


def _earlier(column: sa.Column[object], days: int, dialect: str) -> sa.ColumnElement[object]:
    """A date or timestamp column `days` days earlier, in the engine's own date arithmetic."""
    if dialect == "sqlite":  # ISO text: shift the date part, keep the time of day as it is
        shifted = sa.func.date(sa.func.substr(column, 1, 10), f"-{days} days")
        return sa.case((column.is_(None), None), else_=shifted.concat(sa.func.substr(column, 11)))
    if isinstance(column.type, sa.Date):
        return sa.literal_column(f"{column.table.name}.{column.name} - {days}")
    return sa.literal_column(f"{column.table.name}.{column.name} - interval '{days} days'")


def _select(
    table: sa.Table, copy: int, year: int, copies: int, spans: dict[str, int], dialect: str
) -> sa.Select[tuple[object, ...]]:
    """Table's original rows as they are in copy `copy`, `year` years back: ids and references
    shifted by the copy's (and for cases the year's) offset in each table, codes suffixed,
    dates moved back, links to logins dropped."""
    layer = year * (copies + 1) + copy  # a case table's block of ids

    def offset(name: str) -> int:
        return (layer if name in CASES else copy) * spans[name]

    suffix = f"-{copy}" if year == 0 else f"-{copy}-{year}"
    columns = []
    for column in table.columns:
        target = next((fk.column.table.name for fk in column.foreign_keys), None)
        if column.name == "id":
            value = column + offset(table.name)
        elif (table.name, column.name) in CLEARED or target == "user_account":
            value = sa.null()  # no logins are copied
        elif target in TABLES:
            value = column + offset(target)
        elif column.name in TABLES[table.name]:
            value = column + suffix
        elif year and isinstance(column.type, sa.Date | sa.DateTime | UTCDateTime):
            value = _earlier(column, year * LAYER_DAYS, dialect)
        else:
            value = column
        columns.append(value.label(column.name))
    return sa.select(*columns).where(table.c.id < spans[table.name])


def replicate(
    session: Session,
    copies: int,
    years: int = 1,
    progress: Callable[[int], None] | None = None,
) -> None:
    """Add `copies` copies of what the database holds now (the demo) to it, and `years` − 1
    earlier years of closed cases to every district, the demo's own included."""
    metadata = SQLModel.metadata
    dialect = session.get_bind().dialect.name
    tables = [metadata.tables[name] for name in TABLES]
    spans = {
        t.name: int(session.execute(sa.select(sa.func.max(t.c.id))).scalar() or 0) + 1
        for t in tables
    }
    closed = _closed(metadata, spans)
    for copy in range(copies + 1):
        for year in range(years):
            for table in tables:
                if (copy == 0 and year == 0) or (year and table.name not in CASES):
                    continue  # the demo itself; a district's fixtures exist once
                select = _select(table, copy, year, copies, spans, dialect)
                if year:
                    select = select.where(closed[table.name])
                names = [c.name for c in table.columns]
                session.execute(sa.insert(table).from_select(names, select))
        if progress:
            progress(1)
    # The planner's statistics still describe the small district: without fresh ones PostgreSQL
    # picks nested loops over 26,400 projects (a project list took 41 s instead of 0.12 s).
    session.execute(sa.text("ANALYZE"))
    if dialect == "postgresql":
        for table in tables:
            session.execute(
                sa.text(
                    f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "  # noqa: S608
                    f"(SELECT max(id) FROM {table.name}))"
                )
            )
