"""Reliable sending: retried with a growing wait, given up on and retried by hand, each sent
once by whichever sender claims it first, nothing for a change that rolled back, and quiet
hours holding back all but the urgent."""

import threading
from collections import Counter
from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
from sqlmodel import Session, func, select

from liaison.clock import LOCAL_TZ, now
from liaison.config import Settings
from liaison.db import get_engine
from liaison.notify import sending, service
from liaison.notify.kinds import Kind
from liaison.notify.models import Channel, Delivery, DeliveryState, Notification
from liaison.notify.service import Message
from tests.conftest import Clock
from tests.notify.servers import (
    Recorder,
    deliveries,
    notify_committed,
    recipient,
    sending_settings,
    serving_http,
)

ROUTED = Message(Kind.REQUEST_ROUTED, "工地门口车辆乱停", "/requests/12")
BREACHED = Message(Kind.RESPONSE_BREACHED, "工地门口车辆乱停", "/requests/12")


@pytest.fixture
def gateway() -> Iterator[Recorder]:
    with serving_http() as recorder:
        yield recorder


def sms_settings(gateway: Recorder, **changes: object) -> Settings:
    return sending_settings(sms_url=f"{gateway.url}/sms", sms_account="a", sms_key="k", **changes)


def assert_about(moment: datetime, expected: datetime) -> None:
    assert abs(moment - expected) < timedelta(seconds=5), (moment, expected)


def test_refused_sms_waits_a_minute_then_two_then_is_sent(
    db: Session, gateway: Recorder, travel: Clock
) -> None:
    gateway.answers(500, "Internal Server Error")
    notify_committed([recipient(db, Channel.SMS)], ROUTED)

    assert sending.send_due(sms_settings(gateway)) == 0
    (delivery,) = deliveries(db)
    assert (delivery.state, delivery.attempts) == (DeliveryState.PENDING, 1)
    assert delivery.last_error == "短信网关：HTTP 500"
    assert_about(delivery.next_at, now() + timedelta(minutes=1))
    assert sending.send_due(sms_settings(gateway)) == 0  # not due again yet
    assert len(gateway.received) == 1

    travel.advance(seconds=61)
    sending.send_due(sms_settings(gateway))
    (delivery,) = deliveries(db)
    assert delivery.attempts == 2
    assert_about(delivery.next_at, now() + timedelta(minutes=2))

    gateway.answers(200, {"code": 0})
    travel.advance(seconds=121)
    assert sending.send_due(sms_settings(gateway)) == 1
    (delivery,) = deliveries(db)
    assert (delivery.state, delivery.attempts, delivery.last_error) == ("sent", 3, "")
    assert len(gateway.received) == 3


def test_delivery_is_given_up_after_its_attempts_and_sent_when_retried(
    db: Session, gateway: Recorder, travel: Clock
) -> None:
    gateway.answers(500, "")
    notify_committed([recipient(db, Channel.SMS)], ROUTED)
    settings = sms_settings(gateway, delivery_attempts=3)

    for _ in range(4):
        sending.send_due(settings)
        travel.advance(hours=1)

    (delivery,) = deliveries(db)
    assert (delivery.state, delivery.attempts) == (DeliveryState.FAILED, 3)
    assert len(gateway.received) == 3  # a failed delivery is not tried again by itself

    with Session(get_engine()) as session:
        failed = session.get(Delivery, delivery.id)
        assert failed is not None
        sending.retry(session, failed)
        session.commit()
    (delivery,) = deliveries(db)
    assert (delivery.state, delivery.attempts) == (DeliveryState.PENDING, 0)

    gateway.answers(200, {"code": 0})
    assert sending.send_due(settings) == 1
    assert deliveries(db)[0].state == DeliveryState.SENT


def test_delivery_held_by_a_dead_sender_is_sent_once_its_lease_runs_out(
    db: Session, gateway: Recorder, travel: Clock
) -> None:
    notify_committed([recipient(db, Channel.SMS)], ROUTED)
    (held,) = deliveries(db)
    held.attempts, held.claimed_until = 1, now() + sending.LEASE  # claimed, then killed
    db.add(held)
    db.commit()

    assert sending.send_due(sms_settings(gateway)) == 0
    assert gateway.received == []

    travel.advance(seconds=sending.LEASE.total_seconds() + 1)
    assert sending.send_due(sms_settings(gateway)) == 1
    (delivery,) = deliveries(db)
    assert (delivery.state, delivery.attempts, delivery.claimed_until) == ("sent", 2, None)
    assert len(gateway.received) == 1


def test_two_senders_at_once_send_each_delivery_once(db: Session, gateway: Recorder) -> None:
    users = [recipient(db, Channel.SMS, phone=f"1391234{n:04d}") for n in range(6)]
    notify_committed(users, ROUTED)
    gateway.delay = 0.05  # both senders are still at work when the other looks for due ones
    settings = sms_settings(gateway)
    start = threading.Barrier(2)
    sent: list[int] = []

    def sender() -> None:
        start.wait()
        sent.append(sending.send_due(settings))

    threads = [threading.Thread(target=sender) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sum(sent) == 6
    assert Counter(r.body["mobile"] for r in gateway.received) == Counter(
        f"1391234{n:04d}" for n in range(6)
    )
    assert {d.state for d in deliveries(db)} == {DeliveryState.SENT}
    assert {d.attempts for d in deliveries(db)} == {1}


def test_change_rolled_back_leaves_no_notification_and_sends_nothing(
    db: Session, gateway: Recorder
) -> None:
    user = recipient(db, Channel.SMS)
    with Session(get_engine()) as session:
        service.notify(session, [user.id or 0], ROUTED)
        session.flush()
        session.rollback()  # the change that caused it failed

    assert db.exec(select(func.count()).select_from(Notification)).one() == 0
    assert deliveries(db) == []
    assert sending.send_due(sms_settings(gateway)) == 0
    assert gateway.received == []


def test_quiet_hours_hold_a_message_until_morning(
    db: Session, gateway: Recorder, travel: Clock
) -> None:
    travel.to(datetime(2026, 12, 8, 23, 0, tzinfo=LOCAL_TZ))
    notify_committed([recipient(db, Channel.SMS, quiet=True)], ROUTED)

    (delivery,) = deliveries(db)
    assert delivery.next_at == datetime(2026, 12, 9, 7, 0, tzinfo=LOCAL_TZ)
    assert sending.send_due(sms_settings(gateway)) == 0
    travel.to(datetime(2026, 12, 9, 6, 59, tzinfo=LOCAL_TZ))
    assert sending.send_due(sms_settings(gateway)) == 0
    assert gateway.received == []

    travel.to(datetime(2026, 12, 9, 7, 0, 1, tzinfo=LOCAL_TZ))
    assert sending.send_due(sms_settings(gateway)) == 1


def test_quiet_hours_let_a_breach_through_at_once(
    db: Session, gateway: Recorder, travel: Clock
) -> None:
    travel.to(datetime(2026, 12, 8, 23, 0, tzinfo=LOCAL_TZ))
    notify_committed(
        [recipient(db, Channel.SMS, kind=Kind.RESPONSE_BREACHED, quiet=True)], BREACHED
    )

    assert sending.send_due(sms_settings(gateway)) == 1
    assert gateway.received[0].body["content"].startswith("【项目警官】诉求已超过响应时限")
