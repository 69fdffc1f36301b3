"""The job engine: huey runs the schedules, the sending and the ledger imports, in `liaison
worker` processes or, on one machine, inside `liaison serve` (docs/jobs.md says why huey and
not another).

Huey is only the runner. What must not be lost or done twice lives in the database: deliveries
are an outbox written with the change that causes them (liaison/notify/service.py), claimed one
at a time by whichever worker comes first, and taken again when a worker dies holding one
(liaison/notify/sending.py); each reminder, digest and brief is made once by a unique key
(notify.service.remind_once); a ledger import is claimed by a lease on its upload's row
(liaison/ledger/service.py). So every worker may run every schedule, and a message huey
loses (a worker killed mid-task, a Redis restart) is made good by the next tick.
"""

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from huey import Huey, MemoryHuey, RedisHuey, SqliteHuey, crontab
from huey.consumer import Consumer
from sqlalchemy import event
from sqlmodel import Session

from liaison import reminders
from liaison.audit import checkpoint as audit_checkpoint
from liaison.config import Settings, get_settings
from liaison.ledger import service as ledger_service
from liaison.notify import sending

# The ticks of the schedules: deliveries due are sent each minute, the scans and the ledger
# imports' recovery run each five, the audit checkpoint is looked at each hour.
SEND_EVERY = crontab(minute="*")
SCAN_EVERY = crontab(minute="*/5")
CHECKPOINT_EVERY = crontab(minute="0")
# On stopping, a worker finishes the task in hand for this long at the most (an SMTP server's
# answer, an import's commit); what it leaves is taken again by the claims above.
STOP_SECONDS = 30


def engine_for(settings: Settings) -> Huey:
    """The queue the settings name: Redis for several machines, an in-memory one for the
    tests (`memory://`), else a SQLite file beside the app."""
    if settings.jobs_url.startswith("redis://"):
        return RedisHuey("liaison", url=settings.jobs_url, results=False)
    if settings.jobs_url == "memory://":
        return MemoryHuey("liaison", results=False)
    return SqliteHuey("liaison", filename=str(settings.jobs_file), results=False)


huey = engine_for(get_settings())


@huey.periodic_task(SEND_EVERY, retries=0)
def send_due() -> int:
    """Send the deliveries that are due; those that fail wait for their next attempt."""
    return sending.send_due(get_settings())


@huey.task(retries=0)
def send_now() -> int:
    """The same, queued at once after a commit that wrote deliveries, not at the next tick."""
    return send_due.call_local()


@huey.periodic_task(SCAN_EVERY, retries=0)
def scan() -> None:
    """Deadline reminders, escalations, the morning digests and the monthly brief."""
    reminders.scan(get_settings())


@huey.periodic_task(CHECKPOINT_EVERY, retries=0)
def checkpoint() -> None:
    """The audit chain's head noted outside the database, when the newest note is old enough."""
    audit_checkpoint.keep_recent()


@huey.task(retries=0)
def import_upload(upload_id: int) -> None:
    """A confirmed ledger upload's import, queued as the confirmation commits."""
    ledger_service.run_import(upload_id, get_settings())


@huey.periodic_task(SCAN_EVERY, retries=0)
def resume_imports() -> None:
    """Queue again the imports no live worker holds: one that died or restarted mid-import."""
    for upload_id in ledger_service.abandoned_imports():
        import_upload(upload_id)


def _queue_after_commit(session: Session) -> None:
    if session.info.pop("deliveries", False):
        send_now()
    for upload_id in session.info.pop("ledger_imports", ()):
        import_upload(upload_id)


def listen() -> None:
    """After a commit that wrote deliveries or confirmed an import, queue the work at once."""
    if not event.contains(Session, "after_commit", _queue_after_commit):
        event.listen(Session, "after_commit", _queue_after_commit)


class _InProcess(Consumer):
    """A consumer that leaves the process's signals to its host (uvicorn)."""

    def _set_signal_handlers(self) -> None:
        pass


@contextmanager
def in_process(settings: Settings) -> Iterator[None]:
    """While the block runs, this process runs the jobs too: the one-machine mode."""
    if not settings.worker_in_serve:
        yield
        return
    consumer = _InProcess(huey, workers=2, worker_type="thread", shutdown_timeout=STOP_SECONDS)
    consumer.start()
    try:
        yield
    finally:
        consumer.stop(graceful=True)


def run_worker(workers: int, **options: Any) -> None:
    """`liaison worker`: run the jobs until told to stop. SIGTERM (systemd's stop) lets the
    tasks in hand finish first, for STOP_SECONDS at the most; Ctrl-C stops at once."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    consumer = Consumer(
        huey,
        workers=workers,
        worker_type="thread",
        shutdown_timeout=STOP_SECONDS,
        graceful_signal="TERM",
        **options,
    )
    consumer.run()
