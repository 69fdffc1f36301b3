"""Whose address a request is: the socket's, or behind a trusted proxy the nearest address it
forwarded; a header from anyone else is ignored, so no one picks their own address to slip
past the per-address limits."""

import pytest
from fastapi.testclient import TestClient
from starlette.requests import Request

from liaison.auth.deps import client_ip
from liaison.auth.roles import Role
from liaison.config import Settings, get_settings
from tests.factories import PASSWORD, make_user, post


def request(peer: str, forwarded: str | None = None) -> Request:
    headers = [(b"x-forwarded-for", forwarded.encode())] if forwarded is not None else []
    return Request({"type": "http", "client": (peer, 5000), "headers": headers})


@pytest.fixture
def proxies(monkeypatch):  # type: ignore[no-untyped-def]
    def trust(value: str) -> None:
        monkeypatch.setenv("LIAISON_TRUSTED_PROXIES", value)
        get_settings.cache_clear()

    yield trust
    get_settings.cache_clear()


def test_without_trusted_proxies_the_header_is_ignored(proxies):
    proxies("")
    assert client_ip(request("198.51.100.7", "203.0.113.9")) == "198.51.100.7"


def test_behind_a_trusted_proxy_the_nearest_untrusted_hop_is_the_client(proxies):
    proxies("10.0.0.0/8, 127.0.0.1")
    assert client_ip(request("10.1.2.3", "203.0.113.9")) == "203.0.113.9"
    # A client wrote its own header before the proxies added theirs: the forged part is left.
    assert client_ip(request("127.0.0.1", "1.2.3.4, 203.0.113.9, 10.9.9.9")) == "203.0.113.9"
    assert client_ip(request("10.1.2.3", "not-an-address")) == "10.1.2.3"
    assert client_ip(request("10.1.2.3")) == "10.1.2.3"
    assert client_ip(request("198.51.100.7", "203.0.113.9")) == "198.51.100.7"  # not a proxy


def test_a_bad_network_in_the_setting_is_refused_at_start():
    with pytest.raises(ValueError, match="LIAISON_TRUSTED_PROXIES"):
        Settings(trusted_proxies="10.0.0.0/33")


def test_behind_a_trusted_proxy_the_lockout_is_the_forwarded_clients(client, db, proxies):
    proxies("10.0.0.0/8")
    victim = make_user(db, Role.OFFICER)
    proxy = TestClient(client.app, client=("10.0.0.5", 50000))  # every request through it

    def attempt(username: str, password: str, address: str):  # type: ignore[no-untyped-def]
        return post(
            proxy,
            "/login",
            {"username": username, "password": password},
            headers={"X-Forwarded-For": address},
            follow_redirects=False,
        )

    for n in range(5):
        attempt(f"guess{n}", "Wrong#Password123", "203.0.113.9")
    assert attempt(victim.username, PASSWORD, "203.0.113.9").status_code == 401  # locked
    assert attempt(victim.username, PASSWORD, "203.0.113.10").status_code == 303  # another
