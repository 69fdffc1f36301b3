"""Every kind of page each demo login reaches by its links, and the pages anyone reaches without
an account, in Chromium under axe-core: no serious or critical WCAG 2 A/AA violation.
Desktop-sized, so that the navigation bar is on the page (the journeys run phone-sized); every
folded form (<details>) is opened first, so that the forms it holds are checked too."""

import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import expect

from liaison import demo
from liaison.app import create_app
from liaison.auth.roles import Role
from liaison.config import get_settings
from liaison.demo import DEMO_PASSWORD, DEMO_USERS
from liaison.web import ROOT
from tests.e2e.conftest import assert_accessible
from tests.e2e.test_login_journey import log_in
from tests.factories import (
    PASSWORD,
    make_project,
    make_user,
)
from tests.outside.test_crawl import crawl

DESKTOP = {"width": 1280, "height": 900}


def open_every_fold(page) -> None:  # type: ignore[no-untyped-def]
    page.evaluate("document.querySelectorAll('details').forEach(d => { d.open = true })")


# The officer first: the pages of the field work, with their forms, are checked as the person
# who fills them sees them; a kind of page another login reached first is not checked again.
WALKERS = [
    "demo-officer",
    "demo-chief",
    "demo-enterprise",
    "demo-leader",
    "demo-admin",
    "demo-security",
    "demo-auditor",
]


@pytest.mark.e2e
def test_every_kind_of_page_the_logins_reach_has_no_serious_accessibility_violation(
    browser, live_server, db
):
    """One page of each kind the crawler (tests/outside/test_crawl.py) reaches from each demo
    login's links, opened in Chromium as that login, every fold open, under axe-core."""
    demo.load(db, get_settings())
    db.commit()
    assert sorted(WALKERS) == sorted(user[0] for user in DEMO_USERS)
    checked: set[str] = set()
    with TestClient(create_app(), base_url="http://testserver") as client:
        for username in WALKERS:
            client.cookies.clear()
            kinds = crawl(client, username, checking=False).kinds
            context = browser.new_context(viewport=DESKTOP, locale="zh-CN")
            page = context.new_page()
            page.base = live_server
            log_in(page, username, DEMO_PASSWORD)
            page.wait_for_url(lambda url: "/login" not in url)
            for kind, url in kinds.items():
                if kind in checked:
                    continue
                checked.add(kind)
                response = page.goto(url.replace("http://testserver", live_server))
                assert response is not None and response.ok, (username, url)
                open_every_fold(page)
                assert_accessible(page)
            context.close()
    assert len(checked) > 40, checked


@pytest.mark.e2e
def test_the_pages_without_an_account_have_no_serious_accessibility_violation(page, axe, db):
    project = make_project(db, name="星河产业园")
    page.set_viewport_size(DESKTOP)
    for path in ("/login", f"/r/{project.code}", "/r", "/track"):
        page.goto(page.base + path)
        axe(page)
    log_in(page, "nobody", "Wrong#Password123")
    expect(page.get_by_role("alert")).to_be_visible()
    axe(page)  # the login page with its error


@pytest.mark.e2e
def test_the_forced_password_change_has_no_serious_accessibility_violation(page, axe, db):
    user = make_user(db, Role.OFFICER, must_change_password=True)
    log_in(page, user.username, PASSWORD)
    page.wait_for_url("**/account/password")
    expect(page.get_by_role("alert")).to_be_visible()  # the warning, in --warn on its tint
    axe(page)
    page.locator("#f-current_password").fill(PASSWORD)
    page.locator("#f-new_password").fill("short")
    page.locator("#f-confirm_password").fill("other")
    page.get_by_role("button", name="保存新密码").click()
    expect(page.locator(".error").first).to_be_visible()
    axe(page)  # the form with its errors beside the fields


def test_no_page_ships_axe_to_its_users():
    """axe-core is vendored for these tests only: the tests inject it, no template loads it."""
    templates = sorted((ROOT / "templates").rglob("*.html"))
    assert templates
    assert [t.name for t in templates if "axe-core" in t.read_text(encoding="utf-8")] == []
