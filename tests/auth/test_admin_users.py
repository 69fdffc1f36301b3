"""The security administrator's user pages: create, edit, deactivate, reset a password.
(What they may not do to the three administrators: tests/security/test_three_administrators.py.)"""

import re

from sqlmodel import select

from liaison.auth.models import User
from liaison.auth.roles import Role
from tests.factories import (
    PASSWORD,
    login,
    login_as,
    make_enterprise,
    make_officer,
    make_user,
    post,
)


def test_security_admin_creates_an_officer_login_linked_to_a_badge(client, db):
    officer = make_officer(db)
    login_as(client, db, Role.SECURITY)
    response = post(
        client,
        "/admin/users",
        {
            "username": "liqiang",
            "display_name": "李强",
            "role": "officer",
            "badge_no": officer.badge_no,
            "password": PASSWORD,
        },
        follow_redirects=False,
    )
    assert response.status_code == 303
    user = db.exec(select(User).where(User.username == "liqiang")).one()
    assert user.officer_id == officer.id and user.must_change_password


def test_create_form_shows_each_error_beside_its_field_and_keeps_the_input(client, db):
    login_as(client, db, Role.SECURITY)
    page = post(
        client,
        "/admin/users",
        {
            "username": "bad name!",
            "display_name": "",
            "role": "officer",
            "badge_no": "",
            "password": "weak",
        },
    )
    assert page.status_code == 422
    assert 'id="e-username"' in page.text and 'id="e-display_name"' in page.text
    assert "此项必填" in page.text
    assert 'value="bad name!"' in page.text
    assert "weak" not in page.text  # passwords are never echoed back


def test_officer_login_needs_a_known_badge(client, db):
    login_as(client, db, Role.SECURITY)
    page = post(
        client,
        "/admin/users",
        {
            "username": "nobadge",
            "display_name": "某某",
            "role": "officer",
            "badge_no": "000000",
            "password": PASSWORD,
        },
    )
    assert page.status_code == 422 and "警号 000000 不存在" in page.text
    assert db.exec(select(User).where(User.username == "nobadge")).first() is None


def test_enterprise_login_belongs_to_an_enterprise(client, db):
    enterprise = make_enterprise(db)
    login_as(client, db, Role.SECURITY)
    post(
        client,
        "/admin/users",
        {
            "username": "qiye",
            "display_name": "企业联系人",
            "role": "enterprise",
            "enterprise_uscc": enterprise.uscc.lower(),
            "password": PASSWORD,
        },
    )
    assert db.exec(select(User).where(User.username == "qiye")).one().enterprise_id == enterprise.id


def test_a_form_cannot_set_what_the_page_does_not_offer(client, db):
    user = make_user(db, Role.LEADER)
    login_as(client, db, Role.SECURITY)
    post(
        client,
        f"/admin/users/{user.id}",
        {
            "display_name": "改名",
            "role": "leader",
            "active": "false",
            "must_change_password": "true",
            "password_hash": "x",
        },
    )
    db.refresh(user)
    assert user.display_name == "改名" and user.active and not user.must_change_password


def test_reset_password_shows_a_one_time_password_that_must_be_changed(client, db):
    user = make_user(db, Role.LEADER)
    login_as(client, db, Role.SECURITY)
    page = post(client, f"/admin/users/{user.id}/reset-password")
    temporary = re.search(r'data-testid="temporary-password">([^<]+)<', page.text).group(1)
    client.cookies.clear()
    assert login(client, user.username, PASSWORD).status_code == 401
    assert login(client, user.username, temporary).headers["location"] == "/account/password"


def test_user_list_searches_and_filters(client, db):
    make_user(db, Role.LEADER, username="wang-leader")
    make_user(db, Role.OFFICER, username="li-officer")
    login_as(client, db, Role.SECURITY)
    found = client.get("/admin/users", params={"q": "wang"})
    assert "wang-leader" in found.text and "li-officer" not in found.text
    by_role = client.get("/admin/users", params={"role": "officer"}, headers={"HX-Request": "true"})
    assert "li-officer" in by_role.text and "wang-leader" not in by_role.text
    assert "<html" not in by_role.text


def test_user_list_pages_by_fifty(client, db):
    from liaison.auth import service
    from liaison.auth.passwords import hash_password

    password_hash = hash_password(PASSWORD)
    for n in range(60):
        db.add(
            service.User(
                username=f"bulk{n:02d}",
                display_name="批量",
                role="leader",
                password_hash=password_hash,
            )
        )
    db.commit()
    login_as(client, db, Role.SECURITY)
    first = client.get("/admin/users", params={"q": "bulk"})
    assert 'id="count">60<' in first.text and "第 1 / 2 页" in first.text
    assert "bulk49" in first.text and "bulk50" not in first.text
    second = client.get("/admin/users", params={"q": "bulk", "page": 2})
    assert "bulk50" in second.text and "bulk59" in second.text and "bulk00" not in second.text
