"""Issue 18, finding 22: per-address limits over IPv6. A subscriber holds a whole /64 and may
take a new address of it for each request; the limits count the /64 as one address."""

from fastapi.testclient import TestClient

from liaison.auth.roles import Role
from liaison.auth.throttle import per_address
from tests.factories import PASSWORD, make_user, post


def attempt(client: TestClient, address: str, username: str, password: str):  # type: ignore[no-untyped-def]
    browser = TestClient(client.app, client=(address, 50000))
    form = {"username": username, "password": password}
    return post(browser, "/login", form, follow_redirects=False)


def test_addresses_of_one_ipv6_64_share_the_lockout(client, db):
    victim = make_user(db, Role.OFFICER)
    for n in range(1, 6):  # five wrong passwords, each from a new address of one /64
        attempt(client, f"2001:db8:1:2::{n:x}", f"guess{n}", "Wrong#Password123")
    locked = attempt(client, "2001:db8:1:2:ffff::9", victim.username, PASSWORD)
    assert locked.status_code == 401  # the /64 is locked, whichever of its addresses
    elsewhere = attempt(client, "2001:db8:1:3::1", victim.username, PASSWORD)
    assert elsewhere.status_code == 303  # another /64 is another subscriber


def test_what_a_limit_counts_for_an_address():
    assert per_address("2001:db8:1:2:aaaa:bbbb:cccc:dddd") == "2001:db8:1:2::/64"
    assert per_address("198.51.100.7") == "198.51.100.7"
    assert per_address("::ffff:198.51.100.7") == "198.51.100.7"  # IPv4 on a dual stack
    assert per_address("testclient") == "testclient"  # not an address: counted as it is
