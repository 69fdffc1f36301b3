"""The job engine's wiring: its schedules, the consumer inside `liaison serve`, and the sending
queued by the commit that wrote deliveries."""

import threading
from datetime import datetime

from fastapi.testclient import TestClient
from sqlmodel import Session

from liaison import jobs
from liaison.app import create_app
from liaison.config import get_settings
from liaison.db import get_engine
from liaison.notify.kinds import Kind
from liaison.notify.models import Channel
from liaison.notify.service import Message
from tests.notify.servers import notify_committed, recipient


def periodic_at(moment: datetime) -> set[str]:
    return {task.name for task in jobs.huey.read_periodic(moment)}


def test_the_schedules_are_registered_each_at_its_tick():
    assert periodic_at(datetime(2026, 12, 8, 9, 0)) == {
        "send_due",
        "scan",
        "checkpoint",
        "resume_imports",
    }
    assert periodic_at(datetime(2026, 12, 8, 9, 5)) == {"send_due", "scan", "resume_imports"}
    assert periodic_at(datetime(2026, 12, 8, 9, 7)) == {"send_due"}


def consumer_threads() -> set[str]:
    return {t.name for t in threading.enumerate()} & {"Scheduler", "Worker-1", "Worker-2"}


def test_the_app_runs_a_consumer_while_it_serves_and_stops_it_on_shutdown(
    database_url, monkeypatch
):
    monkeypatch.setenv("LIAISON_WORKER_IN_SERVE", "true")  # what a plain `liaison serve` has
    get_settings.cache_clear()
    assert consumer_threads() == set()
    with TestClient(create_app()):
        assert consumer_threads() == {"Scheduler", "Worker-1", "Worker-2"}
    assert consumer_threads() == set()


def test_no_consumer_runs_in_serve_when_workers_run_beside_it(database_url, monkeypatch):
    monkeypatch.setenv("LIAISON_WORKER_IN_SERVE", "false")
    get_settings.cache_clear()
    with TestClient(create_app()):
        assert consumer_threads() == set()


def pending() -> list[str]:
    return [task.name for task in jobs.huey.pending()]


def test_a_commit_that_wrote_deliveries_queues_their_sending(db: Session):
    jobs.huey.flush()
    user = recipient(db, Channel.EMAIL)
    assert pending() == []
    notify_committed([user], Message(Kind.REQUEST_ROUTED, "诉求", "/requests/1"))
    assert pending() == ["send_now"]
    with Session(get_engine()) as session:  # a commit without deliveries queues nothing
        session.commit()
    assert pending() == ["send_now"]
    jobs.huey.flush()
