"""Issue 18, finding 3: wrong second-factor codes lock the account as wrong passwords do, and
a correct password in between does not wipe them, so holding the password is not a licence to
guess codes without end (SECURITY.md A5)."""

import pyotp
from fastapi.testclient import TestClient

from liaison import clock
from liaison.auth.roles import Role
from tests.factories import login, make_user, post


def browser(client: TestClient, n: int) -> TestClient:
    """A browser of its own at an address of its own, so no per-address counter is in play."""
    return TestClient(client.app, client=(f"198.51.100.{n}", 5000))


def password_then_code(client: TestClient, username: str, code: str):  # type: ignore[no-untyped-def]
    first = login(client, username)
    if first.headers.get("location") != "/login/code":
        return first
    return post(client, "/login/code", {"code": code}, follow_redirects=False)


def enrolled_officer(db):  # type: ignore[no-untyped-def]
    user = make_user(db, Role.OFFICER)
    user.totp_secret = pyotp.random_base32()
    user.totp_confirmed_at = clock.now()
    db.add(user)
    db.commit()
    return user, pyotp.TOTP(user.totp_secret)


def test_wrong_codes_lock_the_account_though_each_came_after_the_right_password(client, db):
    user, totp = enrolled_officer(db)
    for n in range(1, 6):  # five rounds: the right password, then one wrong code
        assert password_then_code(browser(client, n), user.username, "000000").status_code in (
            401,
            303,
        )
    locked = login(browser(client, 9), user.username)
    assert locked.status_code == 401 and "锁定" in locked.text
    late = password_then_code(browser(client, 10), user.username, totp.at(clock.now()))
    assert late.status_code == 401  # the right password and code wait out the lockout too


def test_a_right_code_starts_the_count_again(client, db):
    user, totp = enrolled_officer(db)
    for n in range(1, 5):
        password_then_code(browser(client, n), user.username, "000000")
    right = password_then_code(browser(client, 5), user.username, totp.at(clock.now()))
    assert right.status_code == 303 and right.headers["location"] == "/home"
    for n in range(6, 10):
        password_then_code(browser(client, n), user.username, "000000")
    again = login(browser(client, 11), user.username)
    assert again.headers.get("location") == "/login/code"  # four since the right one: not locked
