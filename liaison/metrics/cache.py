"""The metrics JSON kept in memory while its figures have not changed (issue 10: a year at
province size takes hundreds of milliseconds to compute; unchanged, one index read finds it).

A cached result is never stale, because its key holds everything the figures depend on:

- **The data, through the audit log.** Every change of business data writes its audit row in
  the same transaction (liaison/audit/service.py), and audit rows are inserted under the
  chain's lock, held until commit (liaison/audit/chain.py): ids are given in commit order, so
  the newest audit row marks the state of every table the figures read, in every process and
  on every database reader. The mark is read first, before the figures (a change committed in
  between makes the result newer than its mark, never older), and from the same session as the
  figures: a read replica answers both. It is the newest row's id and chain hash, and the
  database URL, so that another database that happens to reach the same id is not mistaken for
  this one. Events that change no business data (logins, reveals, exports) move the mark too:
  they only cost a recompute, never a stale figure. (`liaison demo --scale`'s bulk copy
  bypasses the flush hook, so it records one event of its own.)
- **The clock, to the day.** `compute` reads `now` in two places, both as the local date: the
  day overdue hazards are judged on (`Period.judged`, the earlier of the period's end and
  today) and the day projects are judged overdue for a visit. Nothing else in it depends on
  the time (requests are closed or in time by their own timestamps), so the key holds today's
  date in Asia/Shanghai: at midnight every entry stops matching.
- **The question**: the period, the station and the visit interval; or, for the dashboard's
  officer table, the period and the station.

Bounded (the least recently used entry goes first) and per process: each process computes once
per change of the mark. Results are shared between requests: callers read them, never change
them."""

import threading
from collections import OrderedDict
from collections.abc import Callable
from datetime import date
from typing import Any, TypeVar, cast

from sqlmodel import Session, col, select

from liaison.audit.models import AuditLog
from liaison.clock import local, now
from liaison.metrics import service
from liaison.org.models import Station

MAX_ENTRIES = 64

T = TypeVar("T")
_entries: OrderedDict[tuple[Any, ...], Any] = OrderedDict()
_lock = threading.Lock()


def change_mark(session: Session) -> tuple[str, int, str | None]:
    """Where the database's history stands: its URL and its newest audit row (one index read)."""
    newest = session.exec(
        select(AuditLog.id, AuditLog.row_hash).order_by(col(AuditLog.id).desc()).limit(1)
    ).first()
    number, chained = newest if newest else (0, None)
    return (str(session.get_bind().engine.url), int(number or 0), chained)


def _remembered(session: Session, question: tuple[Any, ...], work: Callable[[], T]) -> T:
    """`work()`'s answer to `question`, from memory while the database's mark is unchanged."""
    key = (change_mark(session), *question)
    with _lock:
        if key in _entries:
            _entries.move_to_end(key)
            return cast(T, _entries[key])
    result = work()
    with _lock:
        _entries[key] = result
        while len(_entries) > MAX_ENTRIES:
            _entries.popitem(last=False)
    return result


def compute(
    session: Session, start: date, end: date, station: Station | None, *, visit_interval_days: int
) -> dict[str, Any]:
    """`service.compute` as of now, from memory when nothing it depends on has changed since."""
    at = now()
    station_id = station.id if station else None
    return _remembered(
        session,
        ("compute", local(at).date(), start, end, station_id, visit_interval_days),
        lambda: service.compute(
            session, start, end, station, visit_interval_days=visit_interval_days, at=at
        ),
    )


def by_officer(session: Session, p: service.Period, station_id: int | None) -> list[Any]:
    """`service.by_officer` (the dashboard's officer table) likewise; it reads no clock."""
    return _remembered(
        session,
        ("by_officer", p.start, p.end, station_id),
        lambda: service.by_officer(session, p, station_id),
    )


def clear() -> None:
    """Forget every result (benchmarks measure the computation with it)."""
    with _lock:
        _entries.clear()
