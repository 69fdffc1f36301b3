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
