"""The monthly brief for the leaders, on the 1st: the month just ended, in the words of the
printed brief (liaison/metrics/brief.py), with a link to its page."""

from datetime import date, datetime, timedelta
from urllib.parse import urlencode

from sqlmodel import Session, select

from liaison.clock import local
from liaison.config import Settings
from liaison.metrics import brief
from liaison.metrics import service as metrics
from liaison.notify.kinds import Kind
from liaison.notify.models import Reminder
from liaison.notify.service import Message
from liaison.reminders.duty import Users
from liaison.reminders.rules import Due

RECORD = "brief"


def month_ended(day: date) -> tuple[date, date]:
    """The month before `day`'s: its first and last days."""
    end = day.replace(day=1) - timedelta(days=1)
    return end.replace(day=1), end


def monthly_brief(session: Session, at: datetime, settings: Settings, leaders: Users) -> list[Due]:
    """On the 1st, the brief of the month just ended, unless made already: the figures are
    worked out only then, not at every scan of the day."""
    today = local(at).date()
    if today.day != 1 or not leaders:
        return []
    start, end = month_ended(today)
    month = f"{end:%Y-%m}"
    made = session.exec(
        select(Reminder.id).where(
            Reminder.kind == Kind.MONTHLY_BRIEF.value,
            Reminder.record == RECORD,
            Reminder.threshold == month,
        )
    ).first()
    if made is not None:
        return []
    m = metrics.compute(
        session, start, end, None, visit_interval_days=settings.visit_interval_days, at=at
    )
    summary = "；".join(brief.summary(m, "全区", brief.period_words(start, end, today))) + "。"
    query = urlencode({"period": "custom", "from": start.isoformat(), "to": end.isoformat()})
    message = Message(Kind.MONTHLY_BRIEF, brief.issue(end), f"/dashboard/brief?{query}", summary)
    return [Due(Kind.MONTHLY_BRIEF, RECORD, month, message, leaders)]
