"""Reminders, escalations, the morning digests and the monthly brief: what the job engine's scan
(liaison/jobs.py, every five minutes) makes, each exactly once for its kind, record and
threshold however many processes scan.

A scan reads every record with a clock on it in one query per domain (deadlines.py), looks up
who is on duty for all of them at once (duty.py), works out what each calls for now (rules.py,
brief.py), leaves out what was made already, and claims and tells the rest (telling.py). A
scan that finds nothing new writes nothing.
"""

from datetime import datetime

from sqlmodel import Session

from liaison.clock import local, now
from liaison.config import Settings
from liaison.db import get_engine, reading
from liaison.reminders import deadlines, rules, telling
from liaison.reminders.brief import monthly_brief
from liaison.reminders.duty import Duty, officer_logins
from liaison.reminders.rules import Due


def scan(settings: Settings, at: datetime | None = None) -> int:
    """Make what is due `at` (now): how many reminders this scan made."""
    moment = at or now()
    with Session(reading(get_engine())) as session:
        due = telling.unmade(session, gather(session, moment, settings))
    return telling.tell(due)


def gather(session: Session, at: datetime, settings: Settings) -> list[Due]:
    """Every reminder the records call for `at`, made already or not, with someone to tell."""
    tracked = [
        *deadlines.requests(session, at, settings),
        *deadlines.hazards(session, at),
        *deadlines.disputes(session, at),
        *deadlines.visits(session, at, settings),
    ]
    duty = Duty(session, (t.route for t in tracked), local(at).date())
    due = list(rules.reminders(tracked, duty, at, settings))
    if local(at).hour >= settings.digest_hour:
        due += rules.digests(tracked, duty, officer_logins(session), at)
        due += monthly_brief(session, at, settings, duty.leaders)
    return [d for d in due if d.users or d.robot is not None]
