"""Making the reminders: those not made yet are claimed a batch at a time
(notify.claim_reminders: the database's unique key decides between two scanners) and told, in
short transactions, so a scan never holds SQLite's write lock for long; in one order, so two
scanners on PostgreSQL wait for each other instead of deadlocking."""

from collections.abc import Iterable

import sqlalchemy as sa
from sqlmodel import Session, col

from liaison.db import get_engine
from liaison.notify.models import Delivery, DutyRobot, Reminder
from liaison.notify.service import Message, claim_reminders, notify_all
from liaison.pii import mask_numbers
from liaison.reminders.rules import Due

BATCH = 500  # reminders made per transaction
LOOKUP = 5000  # records looked up per query (SQLite takes 32,766 parameters at the most)


def unmade(session: Session, dues: list[Due]) -> list[Due]:
    """The reminders not made yet: one query per LOOKUP records, so that a scan that finds
    nothing new writes nothing."""
    records = sorted({d.record for d in dues})
    made: set[tuple[str, str, str]] = set()
    for start in range(0, len(records), LOOKUP):
        rows = session.execute(
            sa.select(col(Reminder.kind), col(Reminder.record), col(Reminder.threshold)).where(
                col(Reminder.kind).in_({d.kind.value for d in dues}),
                col(Reminder.record).in_(records[start : start + LOOKUP]),
            )
        ).all()
        made.update((kind, record, threshold) for kind, record, threshold in rows)
    return [d for d in dues if d.key not in made]


def tell(dues: Iterable[Due]) -> int:
    """Claim and tell each reminder: how many this process made."""
    ordered = sorted(dues, key=lambda d: d.key)
    made = 0
    for start in range(0, len(ordered), BATCH):
        batch = ordered[start : start + BATCH]
        with Session(get_engine()) as session:
            claimed = claim_reminders(session, [(d.kind, d.record, d.threshold) for d in batch])
            told = [d for d in batch if d.key in claimed]
            notify_all(session, [(d.users, d.message) for d in told])
            for due in told:
                if due.robot is not None:
                    post_to_group(session, due.robot, due.message)
            session.commit()
        made += len(told)
    return made


def post_to_group(session: Session, robot: DutyRobot, message: Message) -> Delivery:
    """A message to a duty group's robot (no notification: the group has no login), sent after
    the commit like every delivery, masked like every notification."""
    title = mask_numbers(message.title)[:200]
    text = "\n".join(p for p in (title, mask_numbers(message.body), message.url) if p)
    delivery = Delivery(
        channel=robot.channel, address=f"robot:{robot.id}", subject=title, text=text[:1000]
    )
    session.add(delivery)
    session.info["deliveries"] = True  # liaison/jobs.py sends them after the commit
    return delivery
