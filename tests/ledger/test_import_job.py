"""A confirmed ledger import runs on the job engine, and an import left running by a worker that
died is queued again and done once."""

import time

import pytest
from sqlmodel import func, select

from liaison import jobs
from liaison.auth.roles import Role
from liaison.config import get_settings
from liaison.ledger import service
from liaison.ledger.models import LedgerUpload, UploadStatus
from liaison.projects.models import Project
from tests.factories import login_as, post
from tests.ledger.test_web import SAMPLE, counts_row, upload, upload_id


@pytest.fixture(autouse=True)
def _empty_queue():  # type: ignore[no-untyped-def]
    jobs.huey.flush()
    yield
    jobs.huey.flush()


def projects(db) -> int:  # type: ignore[no-untyped-def]
    return db.exec(select(func.count()).select_from(Project)).one()


def confirmed(client, db) -> int:  # type: ignore[no-untyped-def]
    login_as(client, db, Role.LEADER)
    number = upload_id(upload(client, SAMPLE.read_bytes()))
    assert (
        post(client, f"/ledger/uploads/{number}/import", follow_redirects=False).status_code == 303
    )
    return number


def queued_imports() -> list[tuple[int, ...]]:
    return [task.args for task in jobs.huey.pending() if task.name == "import_upload"]


def run_queued() -> None:
    """What a worker does: take each task off the queue and run it."""
    while (task := jobs.huey.dequeue()) is not None:
        jobs.huey.execute(task)


def test_a_confirmed_import_is_run_by_the_engine_and_its_progress_polled_to_the_end(client, db):
    with jobs.in_process(get_settings().model_copy(update={"worker_in_serve": True})):
        number = confirmed(client, db)
        deadline = time.monotonic() + 60
        while "hx-trigger" in (
            fragment := client.get(
                f"/ledger/uploads/{number}/progress", headers={"HX-Request": "true"}
            ).text
        ):
            assert time.monotonic() < deadline, "the import did not finish"
            time.sleep(0.2)
    assert "导入完成" in fragment and counts_row(fragment, "重点项目") == (150, 0, 0)
    assert projects(db) == 150


def test_an_import_whose_worker_died_is_queued_again_once_its_lease_lapses(client, db, travel):
    number = confirmed(client, db)
    assert queued_imports() == [(number,)]
    jobs.huey.flush()  # the worker took the task off the queue and died
    assert service.claim_import(number) is not None  # or died holding it

    jobs.resume_imports.call_local()
    assert queued_imports() == []  # its lease still holds: nobody else starts it
    service.run_import(number, get_settings())
    assert db.get(LedgerUpload, number).status == UploadStatus.RUNNING
    assert projects(db) == 0

    travel.advance(seconds=service.LEASE.total_seconds() + 1)
    jobs.resume_imports.call_local()
    assert queued_imports() == [(number,)]
    run_queued()

    db.expire_all()
    assert db.get(LedgerUpload, number).status == UploadStatus.DONE
    assert projects(db) == 150
    jobs.resume_imports.call_local()
    assert queued_imports() == []  # done: nothing left to resume


def test_an_import_queued_twice_is_done_once(client, db):
    number = confirmed(client, db)
    jobs.resume_imports.call_local()  # not yet claimed: queued again, as after a lost message
    assert queued_imports() == [(number,), (number,)]
    run_queued()
    assert projects(db) == 150
    db.expire_all()
    assert db.get(LedgerUpload, number).status == UploadStatus.DONE
