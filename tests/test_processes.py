"""Two app processes against one database, as behind a proxy in production: a session, a
lockout and a rate limit made through one are honoured by the other, because all three live in
the database and nothing of them in a process's memory."""

import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator

import httpx
import pytest

from liaison.auth import service as auth_service
from liaison.auth.roles import Role
from tests.factories import PASSWORD, make_user


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def two_apps(database_url: str) -> Iterator[list[str]]:
    env = {
        **os.environ,
        "LIAISON_DATABASE_URL": database_url,
        "LIAISON_API_REQUESTS_PER_MINUTE": "3",
    }
    processes, bases = [], []
    for _ in range(2):
        port = _free_port()
        command = [sys.executable, "-m", "liaison.cli", "serve", "--port", str(port)]
        processes.append(
            subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        )
        bases.append(f"http://127.0.0.1:{port}")
    try:
        for base, process in zip(bases, processes, strict=True):
            deadline = time.monotonic() + 30
            while True:
                if process.poll() is not None:
                    pytest.fail(process.stderr.read().decode() if process.stderr else "exited")
                try:
                    if httpx.get(base + "/healthz").status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                assert time.monotonic() < deadline, "the app process did not start"
                time.sleep(0.1)
        yield bases
    finally:
        for process in processes:
            process.terminate()
            process.wait(timeout=10)


def _log_in(client: httpx.Client, base: str, username: str, password: str) -> httpx.Response:
    page = client.get(base + "/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token
    return client.post(
        base + "/login",
        data={"csrf_token": token.group(1), "username": username, "password": password},
        headers={"Origin": base},
    )


def test_session_lockout_and_rate_limit_hold_across_processes(two_apps, db):
    first, second = two_apps
    officer = make_user(db, Role.OFFICER)

    with httpx.Client() as browser:
        assert _log_in(browser, first, officer.username, PASSWORD).status_code == 303
        cookie = browser.cookies.get("liaison_session")
        assert cookie
        # The same cookie, sent to the other process: the session is the database's.
        home = httpx.get(second + "/home", cookies={"liaison_session": cookie})
        assert home.status_code == 200 and "工作台" in home.text

    victim = make_user(db, Role.CHIEF)
    with httpx.Client() as attacker:
        for _ in range(5):
            assert _log_in(attacker, first, victim.username, "wrong-password").status_code == 401
    with httpx.Client() as owner:
        # Locked in the first process, so refused by the second, even with the right password.
        assert _log_in(owner, second, victim.username, PASSWORD).status_code == 401

    token = auth_service.create_api_token(db, make_user(db, Role.LEADER))
    db.commit()
    headers = {"Authorization": f"Bearer {token}"}
    answers = [httpx.get(base + "/api/v1/me", headers=headers).status_code for base in two_apps * 2]
    assert answers == [200, 200, 200, 429]  # three a minute, counted across both


def test_a_busy_process_never_waits_on_its_own_pool(database_url, monkeypatch, db):
    """Twelve dashboards at once on a pool of two connections: each request holds one
    connection (the chief's scope) and needs a second (the metrics' read session), so without
    the in-flight limit all would wait for the pool's time-out and fail."""
    from concurrent.futures import ThreadPoolExecutor

    from fastapi.testclient import TestClient

    from liaison.app import create_app
    from tests.conftest import use_database
    from tests.factories import login_as, make_officer

    use_database(monkeypatch, database_url, db_pool_size="2", db_max_overflow="0")
    with TestClient(create_app()) as client:
        login_as(client, db, Role.CHIEF, officer=make_officer(db))  # their scope is a query
        with ThreadPoolExecutor(12) as pool:
            started = time.monotonic()
            codes = list(pool.map(lambda _: client.get("/dashboard").status_code, range(12)))
    assert codes == [200] * 12
    assert time.monotonic() - started < 20  # well inside the pool's 30 s time-out
