"""Service levels: when a request must be answered and closed, counted in hours, calendar days
or working days of the Chinese calendar (public holidays and make-up working days, 调休), and
how much time is left."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum

import chinese_calendar
from sqlmodel import Session, col, select

from liaison.clock import LOCAL_TZ, local
from liaison.config import Settings
from liaison.desk.models import (
    CLOSED_STATUSES,
    CalendarDay,
    RequestType,
    ServiceLevel,
    ServiceRequest,
)


@dataclass(frozen=True)
class Level:
    type: RequestType
    response_hours: int
    close_days: int
    working_days: bool


def levels(session: Session, settings: Settings) -> dict[RequestType, Level]:
    """Every type's service level: the admin's row, or the settings' defaults."""
    rows = {row.type: row for row in session.exec(select(ServiceLevel)).all()}
    result = {}
    for kind in RequestType:
        row = rows.get(kind.value)
        result[kind] = (
            Level(kind, row.response_hours, row.close_days, row.working_days)
            if row
            else Level(kind, settings.desk_response_hours, settings.desk_close_days, False)
        )
    return result


def is_workday(day: date, overrides: dict[date, bool]) -> bool:
    """The admin's word first, then the package; for a year it does not know yet, Monday to
    Friday (until an admin enters that year's holidays)."""
    if day in overrides:
        return overrides[day]
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError:
        return day.weekday() < 5


def add_working_days(start: date, days: int, overrides: dict[date, bool]) -> date:
    """The `days`-th working day after `start` (the day of receipt itself does not count)."""
    day, counted = start, 0
    while counted < days:
        day += timedelta(days=1)
        counted += is_workday(day, overrides)
    return day


def _overrides(session: Session, start: date, days: int) -> dict[date, bool]:
    # Long holidays (Spring Festival, National Day) stretch a span of working days; three
    # times the span plus a month always covers it.
    end = start + timedelta(days=days * 3 + 31)
    rows = session.exec(
        select(CalendarDay).where(col(CalendarDay.day) > start, col(CalendarDay.day) <= end)
    ).all()
    return {row.day: row.workday for row in rows}


def close_deadline(session: Session, level: Level, start: datetime) -> datetime:
    """By when a request received (or reopened) at `start` must be closed: `close_days` later,
    or at the end of the `close_days`-th working day after the day it came in."""
    if not level.working_days:
        return start + timedelta(days=level.close_days)
    first = local(start).date()
    last = add_working_days(first, level.close_days, _overrides(session, first, level.close_days))
    return datetime.combine(last + timedelta(days=1), time(), LOCAL_TZ) - timedelta(seconds=1)


def respond_deadline(level: Level, start: datetime) -> datetime:
    return start + timedelta(hours=level.response_hours)


class Urgency(StrEnum):
    BREACHED = "已超时"
    DUE_SOON = "即将超时"
    ON_TRACK = "正常"
    DONE = "已结束"

    @property
    def tone(self) -> str:
        """The CSS class a page marks it with."""
        return {Urgency.BREACHED: "bad", Urgency.DUE_SOON: "warn"}.get(self, "")


@dataclass(frozen=True)
class Clock:
    """What a request waits for now (a first response or closure), by when, and how it stands."""

    waiting_for: str
    due_at: datetime | None
    urgency: Urgency
    left: timedelta | None


def warning(settings: Settings, responded: bool) -> timedelta:
    """How long before its deadline a request shows as due soon."""
    hours = settings.desk_warn_close_hours if responded else settings.desk_warn_response_hours
    return timedelta(hours=hours)


def clock(request: ServiceRequest, at: datetime, settings: Settings) -> Clock:
    """The same rule as `queries.due_at` and `queries.urgency_counts`, for one request."""
    if request.status in CLOSED_STATUSES:
        return Clock("", None, Urgency.DONE, None)
    responded = request.first_response_at is not None
    waiting, due = ("办结", request.close_by) if responded else ("首次响应", request.respond_by)
    left = due - at
    if left < timedelta(0):
        urgency = Urgency.BREACHED
    elif left < warning(settings, responded):
        urgency = Urgency.DUE_SOON
    else:
        urgency = Urgency.ON_TRACK
    return Clock(waiting, due, urgency, left)
