"""Logging in and out, lockout, and what a session cookie is."""

from concurrent.futures import ThreadPoolExecutor

from fastapi.testclient import TestClient
from sqlmodel import select

from liaison.audit.models import AuditLog
from liaison.auth.models import UserSession
from liaison.auth.roles import Role
from liaison.auth.service import LOGIN_FAILED, is_locked, token_hash
from tests.factories import PASSWORD, login, login_as, make_user, post, second_browser


def test_login_page_is_chinese_and_carries_a_csrf_token(client):
    page = client.get("/login")
    assert page.status_code == 200
    assert "登录" in page.text and 'name="csrf_token"' in page.text


def test_officer_logs_in_and_lands_on_home(client, db):
    user = make_user(db, Role.OFFICER)
    response = login(client, user.username)
    assert response.status_code == 303
    assert response.headers["location"] == "/home"
    home = client.get("/home")
    assert home.status_code == 200 and user.display_name in home.text


def test_each_role_lands_on_its_home(client, db):
    for role, home in [
        (Role.ADMIN, "/admin/stations"),
        (Role.SECURITY, "/admin/users"),
        (Role.AUDITOR, "/audit"),
        (Role.LEADER, "/home"),
        (Role.ENTERPRISE, "/home"),
    ]:
        client.cookies.clear()
        user = make_user(db, role)
        assert login(client, user.username).headers["location"] == home
        assert client.get("/", follow_redirects=False).headers["location"] == home


def test_wrong_password_and_unknown_user_get_the_same_message(client, db):
    user = make_user(db, Role.OFFICER)
    wrong = login(client, user.username, "Wrong#Password123")
    unknown = login(client, "nobody-here", "Wrong#Password123")
    assert wrong.status_code == unknown.status_code == 401
    assert LOGIN_FAILED in wrong.text and LOGIN_FAILED in unknown.text
    assert "session" not in "".join(wrong.headers.get_list("set-cookie"))


def test_session_cookie_is_httponly_lax_and_the_database_keeps_only_its_hash(client, db):
    user = make_user(db, Role.LEADER)
    response = login(client, user.username)
    cookie = next(
        c for c in response.headers.get_list("set-cookie") if c.startswith("liaison_session=")
    )
    assert "HttpOnly" in cookie and "samesite=lax" in cookie.lower() and "Path=/" in cookie
    token = client.cookies["liaison_session"]
    assert len(token) >= 43  # 256 bits, url-safe base64
    hashes = db.exec(select(UserSession.token_hash)).all()
    assert hashes == [token_hash(token)]
    assert token not in hashes


def test_every_login_gets_a_new_session_token(client, db):
    user = make_user(db, Role.LEADER)
    login(client, user.username)
    first = client.cookies["liaison_session"]
    login(client, user.username)
    assert client.cookies["liaison_session"] != first


def test_five_failures_lock_the_account_even_for_the_right_password(client, db, travel):
    user = make_user(db, Role.OFFICER)
    for _ in range(5):
        assert login(client, user.username, "Wrong#Password123").status_code == 401
    locked = login(client, user.username, PASSWORD)
    assert locked.status_code == 401 and LOGIN_FAILED in locked.text
    travel.advance(minutes=16)
    assert login(client, user.username, PASSWORD).status_code == 303


def test_lockout_applies_to_unknown_usernames_too(client, db):
    for _ in range(5):
        login(client, "ghost", "Wrong#Password123")
    assert LOGIN_FAILED in login(client, "ghost", "Wrong#Password123").text


def test_one_address_is_locked_after_five_failures_across_accounts(client, db):
    victim = make_user(db, Role.OFFICER)
    for n in range(5):
        login(client, f"guess{n}", "Wrong#Password123")
    # A spoofed forwarding header does not give a new address.
    refused = post(
        client,
        "/login",
        {"username": victim.username, "password": PASSWORD},
        headers={"X-Forwarded-For": "10.9.8.7"},
        follow_redirects=False,
    )
    assert refused.status_code == 401


def test_admin_unlocks_a_locked_account(client, db):
    user = make_user(db, Role.OFFICER)
    other = second_browser(client)
    for _ in range(5):
        login(other, user.username, "Wrong#Password123")
    admin = make_user(db, Role.SECURITY)
    login(client, admin.username)
    detail = client.get(f"/admin/users/{user.id}")
    assert "已锁定" in detail.text
    assert post(client, f"/admin/users/{user.id}/unlock", follow_redirects=False).status_code == 303
    # The address is still counted; from another address the account works again.
    assert "已锁定" not in client.get(f"/admin/users/{user.id}").text
    unlocked = db.exec(select(AuditLog).where(AuditLog.action == "unlock")).all()
    assert len(unlocked) == 1 and unlocked[0].object_id == str(user.id)


def test_login_and_failure_are_audited(client, db):
    user = make_user(db, Role.OFFICER)
    login(client, user.username, "Wrong#Password123")
    login(client, user.username)
    rows = [
        row
        for row in db.exec(select(AuditLog).order_by(AuditLog.id)).all()
        if row.action.startswith("login")
    ]
    assert [row.action for row in rows] == ["login_failed", "login"]
    # Each names the person, not "anonymous": the failure by the name as typed, the login,
    # and the changes it makes to the account, as the user whose password it was.
    assert [row.actor_name for row in rows] == [user.username, user.username]
    assert rows[1].actor_id == user.id
    changes = db.exec(select(AuditLog).where(AuditLog.object_type == "User")).all()
    assert "anonymous" not in {row.actor_name for row in changes}


def test_logout_ends_the_session_on_the_server(client, db):
    login_as(client, db, Role.LEADER)
    token = client.cookies["liaison_session"]
    assert post(client, "/logout", follow_redirects=False).status_code == 303
    assert db.exec(select(UserSession)).all() == []
    client.cookies.set("liaison_session", token)
    replay = client.get("/home", follow_redirects=False)
    assert replay.status_code == 303 and replay.headers["location"].startswith("/login")


def test_logout_by_get_is_not_possible(client, db):
    login_as(client, db, Role.LEADER)
    assert client.get("/logout").status_code == 405
    assert client.get("/home").status_code == 200


def test_next_parameter_never_leaves_the_site(client, db):
    user = make_user(db, Role.LEADER)
    response = post(
        client,
        "/login",
        {"username": user.username, "password": PASSWORD, "next": "//evil.example/x"},
        follow_redirects=False,
    )
    assert response.headers["location"] == "/home"


def test_concurrent_failures_from_many_addresses_are_all_counted(client, db):
    def attempt(n: int) -> int:
        with TestClient(client.app, client=(f"192.0.2.{n + 10}", 40000)) as browser:
            return login(browser, "racer", "Wrong#Password123").status_code

    with ThreadPoolExecutor(max_workers=5) as pool:
        codes = list(pool.map(attempt, range(5)))
    assert codes == [401] * 5
    assert is_locked(db, "racer")
