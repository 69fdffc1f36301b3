"""Security headers, error pages that never leak internals, and production settings."""

import gc

import pytest
from fastapi import APIRouter, Depends
from fastapi.testclient import TestClient
from pydantic import ValidationError

from liaison.app import create_app
from liaison.auth.deps import public
from liaison.auth.roles import Role
from liaison.config import Settings
from tests.conftest import use_production
from tests.factories import login_as


def assert_security_headers(response):
    csp = response.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in csp and "object-src 'none'" in csp
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "same-origin"
    assert "server" not in response.headers


@pytest.mark.parametrize("path", ["/login", "/healthz", "/no-such-page", "/static/css/app.css"])
def test_every_response_carries_the_security_headers(client, path):
    assert_security_headers(client.get(path))


def test_pages_are_not_cached(client, db):
    login_as(client, db, Role.LEADER)
    assert client.get("/home").headers["cache-control"] == "no-store"


def test_404_page_is_chinese_and_plain(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert "页面不存在" in response.text and "Traceback" not in response.text


def test_403_page_explains_in_chinese(client, db):
    login_as(client, db, Role.OFFICER)
    response = client.get("/admin/users")
    assert response.status_code == 403 and "没有权限" in response.text


def test_500_page_shows_a_request_id_and_no_internals(database_url):
    app = create_app()
    boom = APIRouter()

    @boom.get("/boom", dependencies=[Depends(public)])
    def explode() -> None:
        raise RuntimeError("secret detail /home/app/liaison/db.py sqlalchemy")

    app.include_router(boom)
    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.get("/boom")
    assert response.status_code == 500
    assert "系统出错了" in response.text
    for leak in ("Traceback", "secret detail", "sqlalchemy", "/home/"):
        assert leak not in response.text
    assert response.headers["x-request-id"] in response.text
    assert_security_headers(response)


def test_api_docs_are_served_in_development(client):
    assert client.get("/openapi.json").status_code == 200
    assert client.get("/docs").status_code == 200


def test_production_serves_no_docs_and_sets_secure_cookies(database_url, monkeypatch):
    use_production(monkeypatch)
    with TestClient(create_app(), base_url="https://testserver") as client:
        page = client.get("/login")
        for path in ("/openapi.json", "/docs", "/redoc"):
            assert client.get(path).status_code == 404
        cookie = page.headers["set-cookie"]
        assert cookie.startswith("__Host-liaison_csrf=") and "Secure" in cookie
        assert "max-age" in page.headers["strict-transport-security"]


@pytest.mark.parametrize(
    "overrides",
    [{}, {"secret_key": "too-short"}, {"secret_key": "y" * 48, "docs_enabled": True}],
)
def test_production_refuses_an_insecure_configuration(overrides):
    with pytest.raises(ValidationError) as refused:
        Settings(env="production", **overrides)
    assert "生产环境配置不安全" in str(refused.value)


def test_the_database_is_configured_for_its_engine(db):
    import sqlalchemy as sa

    dialect = db.get_bind().dialect
    if dialect.name == "postgresql":
        assert dialect.driver == "psycopg"
        return
    assert db.exec(sa.text("PRAGMA foreign_keys")).one()[0] == 1
    assert db.exec(sa.text("PRAGMA journal_mode")).one()[0] == "wal"
    assert db.exec(sa.text("PRAGMA busy_timeout")).one()[0] > 0


def test_a_client_hanging_up_mid_body_is_no_server_error(database_url, caplog):
    """A phone that loses signal while sending the form: no 500, no traceback in the log."""
    import asyncio
    from concurrent.futures import ThreadPoolExecutor

    from liaison.app import create_app

    app = create_app()
    sent: list[dict] = []

    async def receive() -> dict:
        return {"type": "http.disconnect"}

    async def send(message: dict) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "method": "POST",
        "path": "/r",
        "raw_path": b"/r",
        "query_string": b"",
        "headers": [(b"content-type", b"application/x-www-form-urlencoded")],
        "client": ("192.0.2.1", 1),
        "server": ("testserver", 80),
        "scheme": "http",
        "http_version": "1.1",
        "root_path": "",
    }
    with caplog.at_level("INFO", logger="liaison"), ThreadPoolExecutor(1) as pool:
        # A thread of its own: the browser tests' Playwright keeps a loop running in this one.
        pool.submit(asyncio.run, app(scope, receive, send)).result()
    status = next(m["status"] for m in sent if m["type"] == "http.response.start")
    assert status != 500
    assert "Traceback" not in caplog.text and "unhandled error" not in caplog.text


def test_the_started_app_hides_its_start_up_objects_from_the_garbage_collector():
    """A full collection then scans only what requests make (docs/performance.md: the slow
    request in every ten at province size was such a collection)."""
    gc.unfreeze()
    with TestClient(create_app()):
        assert gc.get_freeze_count() > 10_000
