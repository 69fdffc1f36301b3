"""Idle and absolute session expiry, deactivation and the admin's session controls."""

import os
import sqlite3
import time

import pytest
from sqlmodel import select

from liaison.auth.models import UserSession
from liaison.auth.roles import Role
from tests.factories import login, login_as, make_user, post, second_browser


def test_idle_session_expires_after_30_minutes(client, db, travel):
    login_as(client, db, Role.LEADER)
    travel.advance(minutes=29)
    assert client.get("/home").status_code == 200
    travel.advance(minutes=29)  # active a moment ago: still alive
    assert client.get("/home").status_code == 200
    travel.advance(minutes=31)
    expired = client.get("/home", follow_redirects=False)
    assert expired.status_code == 303 and expired.headers["location"] == "/login?next=/home"
    assert db.exec(select(UserSession)).all() == []


def test_session_ends_after_12_hours_however_active(client, db, travel):
    login_as(client, db, Role.LEADER)
    for _ in range(12):
        travel.advance(minutes=25)
        assert client.get("/home").status_code == 200
    travel.advance(hours=7)
    for _ in range(3):
        travel.advance(minutes=25)
        client.get("/home")
    assert client.get("/home", follow_redirects=False).status_code == 303


def test_htmx_request_without_session_is_told_to_redirect(client, db):
    response = client.get("/home", headers={"HX-Request": "true"}, follow_redirects=False)
    assert response.headers.get("HX-Redirect", "").startswith("/login")


def test_deactivating_a_user_ends_their_session_at_once(client, db):
    officer = make_user(db, Role.OFFICER)
    browser = second_browser(client)
    login(browser, officer.username)
    assert browser.get("/home").status_code == 200
    login_as(client, db, Role.SECURITY)
    assert (
        post(
            client, f"/admin/users/{officer.id}/active", {"active": "false"}, follow_redirects=False
        ).status_code
        == 303
    )
    assert browser.get("/home", follow_redirects=False).status_code == 303
    assert login(browser, officer.username).status_code == 401


def test_admin_ends_all_sessions_of_a_user(client, db):
    officer = make_user(db, Role.OFFICER)
    browser = second_browser(client)
    login(browser, officer.username)
    login_as(client, db, Role.SECURITY)
    post(client, f"/admin/users/{officer.id}/end-sessions")
    assert browser.get("/home", follow_redirects=False).status_code == 303


@pytest.mark.skipif(
    os.environ.get("LIAISON_TEST_DATABASE", "sqlite") != "sqlite",
    reason="SQLite's one write lock; PostgreSQL readers never wait on writers",
)
def test_pages_stay_readable_while_a_long_import_holds_the_write_lock(client, db, database_url):
    login_as(client, db, Role.LEADER)
    writer = sqlite3.connect(database_url.removeprefix("sqlite:///"), timeout=1)
    writer.execute("BEGIN IMMEDIATE")  # as a ledger import does for its whole run
    try:
        started = time.monotonic()
        assert client.get("/projects").status_code == 200
        assert time.monotonic() - started < 2  # not the 15 s busy timeout
    finally:
        writer.rollback()
        writer.close()
