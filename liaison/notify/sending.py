"""Sending the outbox: each due delivery is claimed by one sender, sent outside any
transaction, and marked sent, or tried again later with a growing wait, or given up on.

A claim is a compare-and-set on the row (still pending, due, and not held by a live claim), so
two workers never send one delivery; the claim holds for LEASE, after which a sender killed
mid-send leaves it to the next one. Each claim counts as an attempt, so a delivery that kills
its senders is given up on too. A sender that dies after the channel accepted a message but
before marking it sent leaves it to be sent again: delivery is at least once, as every
channel's own retries are.
"""

import logging
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session, col, select

from liaison.clock import now
from liaison.config import Settings
from liaison.db import get_engine
from liaison.notify import channels
from liaison.notify.models import Delivery, DeliveryState, DutyRobot
from liaison.pii import mask_numbers, mask_phone

log = logging.getLogger("liaison")
LEASE = timedelta(minutes=5)
BATCH = 200  # deliveries one call sends at the most; the next tick takes the rest


def send_due(settings: Settings, *, at: datetime | None = None) -> int:
    """Send what is due `at` (now): how many were sent."""
    moment = at or now()
    with Session(get_engine()) as session:
        due = session.exec(
            select(Delivery.id)
            .where(
                Delivery.state == DeliveryState.PENDING.value,
                Delivery.next_at <= moment,
                sa.or_(col(Delivery.claimed_until).is_(None), col(Delivery.claimed_until) < moment),
            )
            .order_by(col(Delivery.next_at))
            .limit(BATCH)
        ).all()
    return sum(_send_one(int(i), settings, moment) for i in due if i is not None)


def _claim(session: Session, delivery_id: int, moment: datetime) -> bool:
    """Take the delivery if it is still due and free. The lease runs from the claim, not from
    the batch's start: a batch slowed by channels that time out must not hand out claims that
    have already run out."""
    lease_until = max(moment, now()) + LEASE
    claimed = session.execute(
        sa.update(Delivery)
        .where(
            col(Delivery.id) == delivery_id,
            col(Delivery.state) == DeliveryState.PENDING.value,
            col(Delivery.next_at) <= moment,
            sa.or_(col(Delivery.claimed_until).is_(None), col(Delivery.claimed_until) < moment),
        )
        .values(claimed_until=lease_until, attempts=col(Delivery.attempts) + 1)
    )
    session.commit()
    return bool(claimed.rowcount)  # type: ignore[attr-defined]


def _send_one(delivery_id: int, settings: Settings, moment: datetime) -> bool:
    with Session(get_engine(), expire_on_commit=False) as session:
        if not _claim(session, delivery_id, moment):
            return False  # another sender has it, or had it
        delivery = session.get(Delivery, delivery_id)
        assert delivery is not None
        robot = _robot(session, delivery)
        session.commit()  # nothing held open while the channel answers
        error = _attempt(delivery, settings, robot)
        if error:
            _failed(session, delivery, error, settings)
            return False
        _sent(session, delivery)
        return True


def _attempt(delivery: Delivery, settings: Settings, robot: DutyRobot | None) -> str:
    """Hand the delivery to its channel: "" once it took it, else why not."""
    try:
        channels.send(delivery, settings, robot)
    except channels.DeliveryError as exc:
        return str(exc)
    except Exception:  # a fault of ours: logged, retried like a refusal, the batch goes on
        log.exception("delivery %s: unexpected error", delivery.id)
        return "内部错误 (internal error)"
    return ""


def _sent(session: Session, delivery: Delivery) -> None:
    delivery.state, delivery.sent_at = DeliveryState.SENT.value, now()
    delivery.claimed_until, delivery.last_error = None, ""
    if delivery.notification_id is None and delivery.channel == channels.Channel.SMS:
        delivery.address = mask_phone(delivery.address)  # a requester's phone: sent, forgotten
    session.add(delivery)
    session.commit()


def _robot(session: Session, delivery: Delivery) -> DutyRobot | None:
    """The duty group robot a robot's delivery names ("robot:3"), if it still exists."""
    if delivery.channel not in (channels.Channel.WECOM, channels.Channel.DINGTALK):
        return None
    robot_id = delivery.address.removeprefix("robot:")
    return session.get(DutyRobot, int(robot_id)) if robot_id.isdigit() else None


def _failed(session: Session, delivery: Delivery, error: str, settings: Settings) -> None:
    """Try again after 1, 2, 4... minutes, until the last attempt. The error is masked: a
    gateway may quote the number it refused."""
    delivery.last_error, delivery.claimed_until = mask_numbers(error)[:500], None
    if delivery.attempts >= settings.delivery_attempts:
        delivery.state = DeliveryState.FAILED.value
    else:
        delivery.next_at = now() + timedelta(minutes=2 ** (delivery.attempts - 1))
    session.add(delivery)
    session.commit()


def retry(session: Session, delivery: Delivery) -> None:
    """The system administrator's retry of a failed delivery: due now, with its attempts anew."""
    delivery.state, delivery.attempts = DeliveryState.PENDING.value, 0
    delivery.next_at, delivery.claimed_until = now(), None
    session.add(delivery)
    session.info["deliveries"] = True
