"""On SQLite one transaction holds the only write lock: a ledger import holds it from its first
write to its commit. A public POST that waited for it waited on the event loop, so every other
request of the process stalled with it (15.8 s), and then failed with a 500 (issue 18, finding
12). Now the wait is a worker thread's, bounded, and ends in a 503 that says to try again; and
the web takes no import on SQLite larger than LIAISON_SQLITE_IMPORT_MAX_ROWS."""

import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import sqlalchemy as sa
from sqlmodel import func, select

from liaison.auth.roles import Role
from liaison.config import get_settings
from liaison.ledger.models import LedgerUpload
from liaison.org.models import Station
from liaison.pages import ledger as ledger_web
from tests.conftest import ON_POSTGRES
from tests.factories import csrf_token, login_as, post
from tests.ledger.books import workbook

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
sqlite_only = pytest.mark.skipif(
    ON_POSTGRES, reason="SQLite's single write lock; PostgreSQL writers lock rows, not the file"
)


@contextmanager
def write_lock_held(database_url: str) -> Iterator[None]:
    """SQLite's write lock, taken by another connection, as a running import holds it."""
    holder = sqlite3.connect(sa.make_url(database_url).database or "", isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        yield
    finally:
        holder.execute("ROLLBACK")
        holder.close()


def timed(call: Any) -> tuple[Any, float]:
    started = time.monotonic()
    result = call()
    return result, time.monotonic() - started


@sqlite_only
def test_a_write_waiting_for_the_lock_stalls_no_one_and_is_told_to_retry(client, database_url):
    token = csrf_token(client)
    track = {"csrf_token": token, "tracking_no": "YY20260101-0001", "last4": "0000"}
    answers: dict[str, Any] = {}

    def blocked_track() -> None:
        answers["track"] = timed(lambda: client.post("/track", data=track))

    with write_lock_held(database_url):
        waiting = threading.Thread(target=blocked_track)
        waiting.start()
        time.sleep(0.5)  # the POST is now waiting for the lock
        assert waiting.is_alive()
        # Meanwhile the process answers everyone else at once: health checks, public pages.
        for path in ("/healthz", "/track", "/r"):
            response, seconds = timed(lambda path=path: client.get(path))
            assert response.status_code == 200, path
            assert seconds < 1, f"{path} took {seconds:.1f} s"
        waiting.join(timeout=30)

    response, seconds = answers["track"]
    assert response.status_code == 503
    assert int(response.headers["Retry-After"]) > 0
    assert "系统繁忙，请稍后重试" in response.text
    assert seconds < 10  # a wait of a few seconds, not as long as the lock lasts
    # Once the lock is free, the same request goes through (an unknown number: not found).
    assert client.post("/track", data=track).status_code == 404


@sqlite_only
def test_the_api_says_busy_in_json(client, db, database_url):
    from liaison.auth import service as auth_service
    from tests.factories import make_user

    token = auth_service.create_api_token(db, make_user(db, Role.LEADER))
    db.commit()
    headers = {"Authorization": f"Bearer {token}"}
    with write_lock_held(database_url):
        response = client.get("/api/v1/me", headers=headers)
    # The API's rate counter is a write: it waits for the lock, then is refused.
    assert response.status_code == 503, response.text
    assert response.json() == {"detail": "系统繁忙，请稍后重试"}
    assert response.headers["Retry-After"]


def _upload(client: Any, data: bytes) -> Any:
    return post(
        client, "/ledger/check", files={"file": ("台账.xlsx", data, XLSX)}, follow_redirects=False
    )


def _rows(db: Any, model: Any) -> int:
    return int(db.exec(select(func.count()).select_from(model)).one())


@sqlite_only
def test_an_import_above_the_sqlite_limit_is_refused_and_writes_nothing(client, db, monkeypatch):
    monkeypatch.setattr(ledger_web, "run_in_background", False)
    monkeypatch.setenv("LIAISON_SQLITE_IMPORT_MAX_ROWS", "5")
    get_settings.cache_clear()
    login_as(client, db, Role.ADMIN)

    checked = _upload(client, workbook())  # 10 rows
    assert checked.status_code == 303
    page = client.get(checked.headers["location"])
    assert "超过本系统（SQLite 数据库）单次导入的上限 5 行" in page.text
    assert "PostgreSQL" in page.text
    assert "确认导入" not in page.text
    upload = db.exec(select(LedgerUpload)).one()
    assert upload.data == b""  # never importable, so not kept

    refused = post(client, checked.headers["location"] + "/import", follow_redirects=False)
    assert refused.status_code == 409
    assert _rows(db, Station) == 0


@pytest.mark.skipif(not ON_POSTGRES, reason="the limit is SQLite's; PostgreSQL takes any size")
def test_postgresql_imports_beyond_the_sqlite_limit(client, db, monkeypatch):
    monkeypatch.setattr(ledger_web, "run_in_background", False)
    monkeypatch.setenv("LIAISON_SQLITE_IMPORT_MAX_ROWS", "5")
    get_settings.cache_clear()
    login_as(client, db, Role.ADMIN)

    checked = _upload(client, workbook())
    imported = post(client, checked.headers["location"] + "/import")
    assert imported.status_code == 200
    assert _rows(db, Station) == 1


def test_no_route_does_its_work_on_the_event_loop():
    """Every route is a plain `def`, run in a worker thread: one that is `async` to read its
    form (liaison/forms.py: PostedForm does that) would wait for the database on the loop."""
    import inspect

    from fastapi.routing import APIRoute

    from liaison.app import API_ROUTERS, WEB_ROUTERS

    on_the_loop = [
        f"{', '.join(sorted(route.methods))} {route.path}"
        for router in API_ROUTERS + WEB_ROUTERS
        for route in router.routes
        if isinstance(route, APIRoute) and inspect.iscoroutinefunction(route.endpoint)
    ]
    assert on_the_loop == []
