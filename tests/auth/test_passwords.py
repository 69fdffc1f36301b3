"""The password policy (MLPS 2.0 defaults), changing a password, expiry and reuse."""

import pytest
from sqlmodel import select

from liaison.auth.models import User, UserSession
from liaison.auth.passwords import policy_errors
from liaison.auth.roles import Role
from liaison.config import Settings
from tests.factories import PASSWORD, login, login_as, make_user, post, second_browser

SETTINGS = Settings()


@pytest.mark.parametrize(
    "password",
    [
        "Short#1a",  # 8 characters
        "alllowercaseletters",  # one class
        "lowercaseand12345",  # two classes
        "Passw0rd!2024",  # a common word behind capitals, leetspeak and digits
        "Admin@123456",
        "1qaz2wsx3edc",
        "P@ssw0rd1234",
    ],
)
def test_policy_refuses_weak_passwords(password):
    assert policy_errors(password, SETTINGS)


@pytest.mark.parametrize(
    "password", ["Kx7#mQ2!vR9pLw", "河边的柳树Tree2026", "correct horse Battery 9"]
)
def test_policy_accepts_strong_passwords(password):
    assert policy_errors(password, SETTINGS) == []


def test_policy_refuses_the_username_inside_the_password():
    assert policy_errors("Zhangwei#2026xyz", SETTINGS, username="zhangwei")


def test_policy_is_read_from_settings(monkeypatch):
    relaxed = Settings(password_min_length=8, password_min_classes=2)
    assert policy_errors("Tiger2go", relaxed) == []
    assert policy_errors("Tiger2go", SETTINGS)


def test_long_passwords_are_not_truncated(client, db):
    long_password = "Aa1!" * 16  # 64 characters
    user = make_user(db, Role.LEADER, password=long_password)
    assert login(client, user.username, long_password[:63]).status_code == 401
    assert login(client, user.username, long_password).status_code == 303


def test_first_login_must_change_password_before_anything_else(client, db):
    user = make_user(db, Role.OFFICER, must_change_password=True)
    response = login(client, user.username)
    assert response.headers["location"] == "/account/password"
    home = client.get("/home", follow_redirects=False)
    assert home.status_code == 303 and home.headers["location"] == "/account/password"
    changed = post(
        client,
        "/account/password",
        {
            "current_password": PASSWORD,
            "new_password": "Nw8$teaHouse!",
            "confirm_password": "Nw8$teaHouse!",
        },
        follow_redirects=False,
    )
    assert changed.status_code == 303
    assert client.get("/home").status_code == 200


def test_password_change_shows_errors_beside_the_fields(client, db):
    login_as(client, db, Role.LEADER)
    page = post(
        client,
        "/account/password",
        {"current_password": "wrong", "new_password": "short", "confirm_password": "other"},
    )
    assert page.status_code == 422
    assert "两次输入的新密码不一致" in page.text
    page = post(
        client,
        "/account/password",
        {
            "current_password": "wrong-current",
            "new_password": "Nw8$teaHouse!",
            "confirm_password": "Nw8$teaHouse!",
        },
    )
    assert "当前密码不正确" in page.text


def test_the_last_five_passwords_cannot_be_reused(client, db):
    user = login_as(client, db, Role.LEADER)
    current = PASSWORD
    for n in range(5):
        new = f"Nw8$teaHouse{n}!"
        response = post(
            client,
            "/account/password",
            {"current_password": current, "new_password": new, "confirm_password": new},
            follow_redirects=False,
        )
        assert response.status_code == 303
        current = new
    reuse = post(
        client,
        "/account/password",
        {
            "current_password": current,
            "new_password": "Nw8$teaHouse1!",
            "confirm_password": "Nw8$teaHouse1!",
        },
    )
    assert "最近 5 次" in reuse.text
    # The sixth back is allowed again.
    allowed = post(
        client,
        "/account/password",
        {"current_password": current, "new_password": PASSWORD, "confirm_password": PASSWORD},
        follow_redirects=False,
    )
    assert allowed.status_code == 303
    assert db.get(User, user.id).must_change_password is False


def test_an_expired_password_must_be_changed(client, db, travel):
    user = make_user(db, Role.OFFICER)
    travel.advance(days=91)
    assert login(client, user.username).headers["location"] == "/account/password"
    assert client.get("/home", follow_redirects=False).headers["location"] == "/account/password"


def test_changing_the_password_ends_the_other_sessions(client, db):
    user = login_as(client, db, Role.LEADER)
    other = second_browser(client)
    login(other, user.username)
    assert len(db.exec(select(UserSession)).all()) == 2
    new = "Nw8$teaHouse!"
    post(
        client,
        "/account/password",
        {"current_password": PASSWORD, "new_password": new, "confirm_password": new},
    )
    assert client.get("/home").status_code == 200
    assert other.get("/home", follow_redirects=False).status_code == 303
