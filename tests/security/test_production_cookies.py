"""Issue 18, finding 20: in production every cookie is a __Host- one, Secure, and each is
cleared with the attributes it was set with (a browser ignores a clearing Set-Cookie for a
__Host- cookie that lacks Secure, so logout left the session cookie in place); and no
Server-Timing goes out, which tells an attacker what a query costs."""

from fastapi.testclient import TestClient

from liaison.app import create_app
from liaison.auth.roles import Role
from tests.conftest import use_production
from tests.factories import PASSWORD, csrf_token, make_user


def set_cookies(response) -> list[str]:  # type: ignore[no-untyped-def]
    return response.headers.get_list("set-cookie")


def test_production_cookies_are_host_cookies_and_cleared_as_they_were_set(db, monkeypatch):
    use_production(monkeypatch)
    user = make_user(db, Role.ENTERPRISE)  # a contact: no second factor asked in production
    with TestClient(create_app(), base_url="https://testserver") as browser:
        login = browser.post(
            "/login",
            data={
                "csrf_token": csrf_token(browser),
                "username": user.username,
                "password": PASSWORD,
            },
            follow_redirects=False,
        )
        assert "server-timing" not in login.headers
        [session] = [c for c in set_cookies(login) if "liaison_session=" in c]
        assert session.startswith("__Host-liaison_session=") and "Secure" in session
        logout = browser.post(
            "/logout", data={"csrf_token": csrf_token(browser)}, follow_redirects=False
        )
        cleared = [c for c in set_cookies(logout) if c.startswith("__Host-liaison_session=")]
        assert cleared and "Secure" in cleared[0] and "Max-Age=0" in cleared[0]
        flashed = [c for c in set_cookies(logout) if "liaison_flash=" in c]
        assert flashed and flashed[0].startswith("__Host-liaison_flash=") and "Secure" in flashed[0]
        shown = browser.get("/login")  # the flash is shown once, then cleared
        gone = [c for c in set_cookies(shown) if c.startswith("__Host-liaison_flash=")]
        assert gone and "Secure" in gone[0] and "Max-Age=0" in gone[0]
        assert "server-timing" not in shown.headers
