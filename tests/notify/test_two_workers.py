"""Production's shape: two `liaison worker` processes on one Redis queue and one PostgreSQL
database send each delivery once, and the delivery of a worker killed mid-send is sent by the
other once its claim has lapsed."""

import asyncio
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import psutil
import pytest
import redis
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope
from aiosmtpd.smtp import Session as SMTPSession
from huey import RedisHuey
from sqlmodel import Session

from liaison import jobs
from liaison.clock import now
from liaison.notify.models import Channel, Delivery, DeliveryState
from tests.conftest import ON_POSTGRES
from tests.notify.servers import deliveries, free_port

pytestmark = pytest.mark.skipif(
    not ON_POSTGRES, reason="several worker processes on one database: PostgreSQL's production"
)

JOBS_URL = "redis://127.0.0.1:6379/13"  # a Redis database of this test's own
HANG = "hangs@example.gov.cn"
MESSAGES = 50


class Mailbox:
    """An SMTP server keeping each mail; the first mail to HANG is held unanswered, as a mail
    server that stops responding would, until the test lets it go."""

    def __init__(self) -> None:
        self.port = free_port()
        self.received: list[str] = []
        self.held_from: tuple[str, int] | None = None  # the sender's address and port
        self.let_go = threading.Event()

    async def handle_DATA(self, server: SMTP, session: SMTPSession, envelope: Envelope) -> str:
        if HANG in envelope.rcpt_tos and self.held_from is None:
            self.held_from = session.peer
            while not self.let_go.is_set():
                await asyncio.sleep(0.05)
            return "451 too late"
        self.received.extend(envelope.rcpt_tos)
        return "250 OK"


@pytest.fixture
def mailbox() -> Iterator[Mailbox]:
    box = Mailbox()
    controller = Controller(box, hostname="127.0.0.1", port=box.port)
    controller.start()
    yield box
    box.let_go.set()
    controller.stop()


@pytest.fixture
def queue() -> Iterator[RedisHuey]:
    """The workers' queue, empty; the test puts tasks on it as the web processes would."""
    redis.Redis.from_url(JOBS_URL).flushdb()
    yield RedisHuey("liaison", url=JOBS_URL, results=False)
    redis.Redis.from_url(JOBS_URL).flushdb()


@pytest.fixture
def start_worker(database_url: str, mailbox: Mailbox) -> Iterator[Callable[[], subprocess.Popen]]:
    started: list[subprocess.Popen[bytes]] = []
    env = {
        **os.environ,
        "LIAISON_DATABASE_URL": database_url,
        "LIAISON_JOBS_URL": JOBS_URL,
        "LIAISON_SMTP_HOST": "127.0.0.1",
        "LIAISON_SMTP_PORT": str(mailbox.port),
    }

    def start() -> subprocess.Popen[bytes]:
        command = [str(Path(sys.executable).parent / "liaison"), "worker", "--workers", "2"]
        worker = subprocess.Popen(command, env=env, stderr=subprocess.DEVNULL)
        started.append(worker)
        return worker

    yield start
    for worker in started:
        if worker.poll() is None:
            worker.send_signal(signal.SIGTERM)
    for worker in started:
        assert worker.wait(timeout=60) in (0, -signal.SIGKILL)


def send_now(queue: RedisHuey) -> None:
    """What a commit that wrote deliveries queues (liaison/jobs.py)."""
    queue.storage.enqueue(jobs.huey.serialize_task(jobs.send_now.s()))


def email(db: Session, *addresses: str) -> None:
    for address in addresses:
        db.add(Delivery(channel=Channel.EMAIL.value, address=address, subject="测试", text="测试"))
    db.commit()


def wait_for(condition: Callable[[], Any], seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "not in time"
        time.sleep(0.1)


def holder(workers: list[subprocess.Popen[bytes]], port: int) -> subprocess.Popen[bytes]:
    """The worker whose connection comes from `port`."""
    for worker in workers:
        ports = {c.laddr.port for c in psutil.Process(worker.pid).net_connections(kind="tcp")}
        if port in ports:
            return worker
    raise AssertionError(f"no worker sends from port {port}")


def test_two_workers_send_each_message_once(db, mailbox, queue, start_worker):
    addresses = [f"officer{n}@example.gov.cn" for n in range(MESSAGES)]
    email(db, *addresses)
    start_worker(), start_worker()  # each sends what is due as it starts
    for _ in range(4):
        send_now(queue)  # and more senders race them for the same rows

    wait_for(lambda: len(mailbox.received) >= MESSAGES)
    time.sleep(2)  # time for a second copy, were one coming

    assert sorted(mailbox.received) == sorted(addresses)
    assert {(d.state, d.attempts) for d in deliveries(db)} == {(DeliveryState.SENT.value, 1)}


def test_a_killed_workers_delivery_is_sent_by_the_other_once_its_claim_lapses(
    db, mailbox, queue, start_worker
):
    workers = [start_worker(), start_worker()]
    wait_for(lambda: all(psutil.Process(w.pid).net_connections(kind="tcp") for w in workers))
    email(db, HANG)
    send_now(queue)
    wait_for(lambda: mailbox.held_from is not None, seconds=30)
    assert mailbox.held_from is not None
    killed = holder(workers, mailbox.held_from[1])
    killed.send_signal(signal.SIGKILL)  # mid-send, before the server answered
    killed.wait(timeout=10)
    (delivery,) = deliveries(db)
    assert (delivery.state, delivery.attempts) == (DeliveryState.PENDING.value, 1)
    assert delivery.claimed_until is not None and delivery.claimed_until > now()

    send_now(queue)  # the survivor leaves it alone while the dead worker's claim holds
    time.sleep(3)
    assert mailbox.received == []
    delivery.claimed_until = now() - timedelta(seconds=1)  # the lease has run out
    db.add(delivery)
    db.commit()
    send_now(queue)

    wait_for(lambda: mailbox.received)
    time.sleep(2)
    assert mailbox.received == [HANG]
    (delivery,) = deliveries(db)
    assert (delivery.state, delivery.attempts) == (DeliveryState.SENT.value, 2)
