"""Hostile request bodies (SECURITY.md U1): too large (413 before the body is read, on every
route and each upload route's own limit), too many fields, deeply nested JSON, broken
multipart, and a body sent slowly to a real server. Each is refused with a 4xx page that
carries the security headers, and changes nothing."""

import os
import re
import socket
import threading
import time
from collections.abc import Iterator
from select import select as wait_readable

import httpx
import pytest
import uvicorn
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlmodel import func, select

from liaison import http
from liaison.app import API_ROUTERS, MAX_BODY, WEB_ROUTERS, create_app
from liaison.audit.models import AuditLog
from liaison.auth.roles import Role
from liaison.config import get_settings
from tests.factories import PASSWORD, csrf_token, make_user
from tests.routes import admitted, all_routes
from tests.security.world import World, build_world
from tests.test_http import assert_security_headers

MB = 1024 * 1024
SLOTS = get_settings().requests_in_flight  # what one process serves at once
FORM = "application/x-www-form-urlencoded"


def audit_rows(db) -> int:  # type: ignore[no-untyped-def]
    return db.exec(select(func.count()).select_from(AuditLog)).one()


def assert_refused(response, status: int, words: str) -> None:  # type: ignore[no-untyped-def]
    assert response.status_code == status, response.text[:300]
    assert words in response.text
    assert_security_headers(response)


def upload_routes() -> dict[str, int]:
    """The routes that take files, with the body each allows."""
    return {
        route.path: route.max_body_size
        for router in WEB_ROUTERS
        for route in router.routes
        if isinstance(route, APIRoute) and route.max_body_size
    }


def test_the_upload_routes_are_found():
    assert {"/r", "/projects/{project_id}/hazards", "/ledger/check"} <= set(upload_routes())
    assert all(limit > MAX_BODY for limit in upload_routes().values())


def padded_login(username: str, token: str, size: int) -> bytes:
    """A login form with the right password, made `size` bytes long by a field of padding."""
    form = f"csrf_token={token}&username={username}&password={PASSWORD}&pad="
    return form.encode() + b"x" * (size - len(form))


def chunks(body: bytes) -> Iterator[bytes]:
    """The body without a Content-Length, as a client streaming it would send it."""
    for start in range(0, len(body), MB):
        yield body[start : start + MB]


@pytest.mark.parametrize("declared", [True, False], ids=["content-length", "chunked"])
def test_a_body_over_the_limit_is_refused_before_it_is_read(client, db, declared):
    user = make_user(db, Role.LEADER)
    body = padded_login(user.username, csrf_token(client), MAX_BODY + 1)
    before = audit_rows(db)
    response = client.post(
        "/login",
        content=body if declared else chunks(body),
        headers={"Content-Type": FORM},
        follow_redirects=False,
    )
    assert_refused(response, 413, "提交的内容过大")
    assert "Content Too Large" not in response.text
    assert "liaison_session" not in response.headers.get("set-cookie", "")
    assert audit_rows(db) == before  # the login was never attempted


def test_a_body_just_under_the_limit_is_read(client, db):
    user = make_user(db, Role.LEADER)
    body = padded_login(user.username, csrf_token(client), MAX_BODY - 1024)
    response = client.post(
        "/login", content=body, headers={"Content-Type": FORM}, follow_redirects=False
    )
    # Starlette refuses a text field over 1 MB: read, and refused by the form parser.
    assert response.status_code in (303, 400) and response.status_code != 413


@pytest.fixture
def world(db) -> World:  # type: ignore[no-untyped-def]
    return build_world(db)


def upload_url(world: World, path: str) -> str:
    ids = {
        "project_id": world.own.project.id,
        "hazard_id": world.own.hazard.id,
        "project_code": world.own.project.code,
    }
    return re.sub(r"\{(\w+)\}", lambda m: str(ids[m.group(1)]), path)


def uploader(world: World, path: str, client: TestClient) -> None:
    """Log in as the project's officer where the route admits officers, else as a leader."""
    route = next(r for r in all_routes() if r.path == path and "POST" in r.methods)
    roles = admitted(route)
    if roles != set(Role):  # the public form needs no login
        world.login(client, Role.OFFICER if Role.OFFICER in roles else Role.LEADER)


@pytest.mark.parametrize("path", sorted(upload_routes()))
def test_each_upload_route_refuses_a_body_over_its_own_limit(client, world, path):
    uploader(world, path, client)
    url, limit = upload_url(world, path), upload_routes()[path]
    token = csrf_token(client)
    declared = {
        "Content-Type": "multipart/form-data; boundary=b",
        "X-CSRF-Token": token,
        "Content-Length": str(limit + 1),
    }
    before = audit_rows(world.db)
    over = client.post(url, content=b"--b\r\n", headers=declared)
    assert_refused(over, 413, "提交的内容过大")
    # Past the app's 2 MB, under the route's own limit: read, and judged on its content.
    photo = client.post(
        url,
        files=[("photos", ("现场.jpg", os.urandom(3 * MB), "image/jpeg"))],
        data={"csrf_token": token},
    )
    assert photo.status_code not in (413, 500)
    assert audit_rows(world.db) == before


def test_the_public_form_refuses_a_streamed_body_over_its_limit(client, db):
    limit = upload_routes()["/r"]
    body = b"--b\r\n" + b"x" * limit
    response = client.post(
        "/r",
        content=chunks(body),
        headers={
            "Content-Type": "multipart/form-data; boundary=b",
            "X-CSRF-Token": csrf_token(client),
        },
    )
    assert_refused(response, 413, "提交的内容过大")


@pytest.mark.parametrize("path", ["/login", "/track", "/r"])
def test_a_form_of_5000_fields_is_refused(client, db, path):
    token = csrf_token(client)
    body = f"csrf_token={token}&" + "&".join(f"f{i}=x" for i in range(5000))
    before = audit_rows(db)
    response = client.post(path, content=body, headers={"Content-Type": FORM})
    assert_refused(response, 400, "请求有误")
    assert "Too many fields" not in response.text  # Starlette's words, not ours
    assert audit_rows(db) == before


DEEP_JSON = b"[" * 10_000 + b"]" * 10_000


def api_routes() -> list[tuple[str, set[str]]]:
    return [(route.path, route.methods) for router in API_ROUTERS for route in router.routes]  # type: ignore[attr-defined]


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE"])
def test_the_api_refuses_bodies_and_writes_cleanly(client, db, method):
    """The API reads, but for marking a notification read: a method a route does not take is
    405, as JSON, naming what it takes, whatever the body is (10,000 nested arrays here); the
    one it takes, without a token, is refused before the body is read, and writes nothing."""
    failures = []
    before = audit_rows(db)
    for path, methods in api_routes():
        url = re.sub(r"\{\w+\}", "1", path)
        response = client.request(
            method, url, content=DEEP_JSON, headers={"Content-Type": "application/json"}
        )
        if method in methods:
            if response.status_code not in (401, 403) or "detail" not in response.json():
                failures.append(f"{method} {url} without a token: {response.status_code}")
        elif response.status_code != 405 or response.json() != {"detail": "不支持的请求方式"}:
            failures.append(f"{method} {url}: {response.status_code}")
        elif not set(response.headers.get("allow", "").replace(" ", "").split(",")) & methods:
            failures.append(f"{method} {url}: 405 without Allow naming {sorted(methods)}")
    assert not failures, "\n".join(failures)
    assert audit_rows(db) == before


def test_an_api_read_ignores_a_body(client, db):
    response = client.request(
        "GET", "/api/v1/me", content=DEEP_JSON, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 401  # no token: judged on that, the body never parsed


@pytest.mark.parametrize("path", ["/login", "/track", "/r"])
def test_deep_json_to_a_form_is_refused_cleanly(client, db, path):
    response = client.post(
        path,
        content=DEEP_JSON,
        headers={"Content-Type": "application/json", "X-CSRF-Token": csrf_token(client)},
    )
    assert 400 <= response.status_code < 500
    assert_security_headers(response)


BROKEN_MULTIPART = {
    "another boundary": (
        "multipart/form-data; boundary=abc",
        b'--xyz\r\nContent-Disposition: form-data; name="content"\r\n\r\nx\r\n--xyz--\r\n',
    ),
    "cut off in a file": (
        "multipart/form-data; boundary=abc",
        b'--abc\r\nContent-Disposition: form-data; name="photos"; filename="a.jpg"\r\n'
        b"Content-Type: image/jpeg\r\n\r\n\xff\xd8\xff\xe0",
    ),
    "no boundary in the header": (
        "multipart/form-data",
        b'--abc\r\nContent-Disposition: form-data; name="content"\r\n\r\nx\r\n--abc--\r\n',
    ),
    "noise": ("multipart/form-data; boundary=abc", os.urandom(4096)),
    "a part without a name": (
        "multipart/form-data; boundary=abc",
        b"--abc\r\nContent-Type: text/plain\r\n\r\nx\r\n--abc--\r\n",
    ),
}


@pytest.mark.parametrize("path", sorted(upload_routes()))
def test_broken_multipart_is_refused_and_saves_nothing(client, world, path):
    uploader(world, path, client)
    url, token = upload_url(world, path), csrf_token(client)
    before = audit_rows(world.db)
    failures = []
    for case, (content_type, body) in BROKEN_MULTIPART.items():
        response = client.post(
            url, content=body, headers={"Content-Type": content_type, "X-CSRF-Token": token}
        )
        if response.status_code not in (400, 422):
            failures.append(f"{case}: {response.status_code}")
        assert_security_headers(response)
    assert not failures, "\n".join(failures)
    assert audit_rows(world.db) == before


# ---- a body sent slowly, to a real server ----------------------------------------------


@pytest.fixture
def server(database_url, monkeypatch) -> Iterator[tuple[str, int]]:
    """The app under uvicorn in a thread, on a free loopback port, with a 0.5 s grace for
    bodies (20 s in production)."""
    monkeypatch.setattr(http, "BODY_GRACE_SECONDS", 0.5)
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    running = uvicorn.Server(uvicorn.Config(create_app(), log_level="warning", server_header=False))
    thread = threading.Thread(target=running.run, kwargs={"sockets": [listener]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not running.started and time.monotonic() < deadline:
        time.sleep(0.02)
    assert running.started
    yield listener.getsockname()
    running.should_exit = True
    thread.join(10)


HEAD = (
    b"POST /login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: " + FORM.encode() + b"\r\n"
    b"Content-Length: 1000\r\nCookie: liaison_csrf=t\r\nX-CSRF-Token: t\r\n\r\nusername="
)


def trickle(connection: socket.socket, pace: float) -> int:
    """Send the body a byte at a time until the server answers; how many bytes went."""
    sent, started = 0, time.monotonic()
    while time.monotonic() - started < 5:
        if wait_readable([connection], [], [], pace)[0]:
            break  # the server has answered (and hung up)
        connection.sendall(b"a")
        sent += 1
    return sent


@pytest.mark.parametrize("pace", [None, 0.1], ids=["stalled", "a byte every 0.1 s"])
def test_a_slow_body_is_cut_off(server, pace):
    with socket.create_connection(server, timeout=10) as connection:
        connection.sendall(HEAD)
        started = time.monotonic()
        sent = trickle(connection, pace) if pace else 0
        reply = b""
        while chunk := connection.recv(65536):  # until the server closes the connection
            reply += chunk
        seconds = time.monotonic() - started
    assert reply.startswith(b"HTTP/1.1 408 "), reply[:200]
    assert b"connection: close" in reply.lower()
    assert "提交超时".encode() in reply
    assert seconds < 3 and sent < 20


def test_a_body_trickling_steadily_is_cut_off_at_its_absolute_deadline(server, monkeypatch):
    """Issue 18, finding 2: a body kept just above the minimum rate would otherwise last for
    hours; however steadily it comes, it ends at BODY_MAX_SECONDS."""
    monkeypatch.setattr(http, "BODY_MAX_SECONDS", 1.5)
    monkeypatch.setattr(http, "BODY_MIN_RATE", 1)  # a byte every 0.1 s is ten times the rate
    with socket.create_connection(server, timeout=10) as connection:
        connection.sendall(HEAD)
        started = time.monotonic()
        sent = trickle(connection, 0.1)
        reply = b""
        while chunk := connection.recv(65536):
            reply += chunk
        seconds = time.monotonic() - started
    assert reply.startswith(b"HTTP/1.1 408 "), reply[:200]
    assert 1.4 < seconds < 3 and sent < 40


def test_slow_bodies_hold_no_request_slot(server, monkeypatch):
    """Issue 18, finding 2: more clients sending slowly than the process has request slots,
    and the health check still answers at once: a body is read before its request takes one."""
    monkeypatch.setattr(http, "BODY_GRACE_SECONDS", 30.0)
    slow = [socket.create_connection(server, timeout=10) for _ in range(SLOTS + 2)]
    try:
        for connection in slow:
            connection.sendall(HEAD)  # 1,000 bytes announced, a few sent, the rest to come
        time.sleep(0.3)
        host, port = server
        started = time.monotonic()
        health = httpx.get(f"http://{host}:{port}/healthz", timeout=5)
        assert health.status_code == 200
        assert time.monotonic() - started < 2
    finally:
        for connection in slow:
            connection.close()
