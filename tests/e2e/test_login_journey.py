"""Each user's first journey in a real browser: log in, land on the role's home, log out."""

import pytest
from playwright.sync_api import expect

from liaison.auth.roles import Role
from tests.factories import PASSWORD, make_user

HOMES = {
    Role.ADMIN: ("/admin/stations", "单位管理"),
    Role.SECURITY: ("/admin/users", "用户管理"),
    Role.AUDITOR: ("/audit", "审计日志"),
    Role.LEADER: ("/home", "工作台"),
    Role.CHIEF: ("/home", "工作台"),
    Role.OFFICER: ("/home", "工作台"),
    Role.ENTERPRISE: ("/home", "我的企业"),
}


def log_in(page, username, password=PASSWORD):  # type: ignore[no-untyped-def]
    page.goto(page.base + "/login")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()


@pytest.mark.e2e
@pytest.mark.parametrize("role", list(Role))
def test_log_in_land_on_home_and_log_out(page, db, role):
    user = make_user(db, role)
    log_in(page, user.username)
    path, heading = HOMES[role]
    page.wait_for_url(page.base + path)
    assert heading in page.content()
    assert page.evaluate("typeof window.htmx") == "object"  # the vendored htmx loaded
    page.locator(".menu-button").click()  # the phone menu
    page.get_by_test_id("logout").click()
    page.wait_for_url(page.base + "/login")
    assert "已安全退出" in page.content()
    page.goto(page.base + path)
    page.wait_for_url(f"**/login?next={path}")
    assert page.problems == []


@pytest.mark.e2e
def test_wrong_password_shows_the_message_beside_the_form(page, db):
    user = make_user(db, Role.OFFICER)
    log_in(page, user.username, "Wrong#Password123")
    assert "用户名或密码错误" in page.get_by_role("alert").inner_text()


@pytest.mark.e2e
def test_first_login_changes_the_password_then_reaches_home(page, db):
    user = make_user(db, Role.OFFICER, must_change_password=True)
    log_in(page, user.username)
    page.wait_for_url("**/account/password")
    page.locator("#f-current_password").fill(PASSWORD)
    page.locator("#f-new_password").fill("Nw8$teaHouse!")
    page.locator("#f-confirm_password").fill("Nw8$teaHouse!")
    page.get_by_role("button", name="保存新密码").click()
    page.wait_for_url(page.base + "/home")
    assert "密码已修改" in page.content()


@pytest.mark.e2e
def test_the_security_administrator_searches_users_as_they_type(page, db):
    make_user(db, Role.LEADER, username="wang-leader")
    make_user(db, Role.OFFICER, username="li-officer")
    admin = make_user(db, Role.SECURITY)
    log_in(page, admin.username)
    page.wait_for_url("**/admin/users")
    page.get_by_label("搜索").fill("wang")
    results = page.locator("#results")
    expect(results).not_to_contain_text("li-officer")  # replaced by htmx, no page load
    expect(results).to_contain_text("wang-leader")
    assert "q=wang" in page.url
    assert page.problems == []
