"""Every role's main pages, and the pages anyone reaches without an account, in Chromium under
axe-core: no serious or critical WCAG 2 A/AA violation. Desktop-sized, so that the navigation
bar is on the page (the journeys run phone-sized); every folded form (<details>) is opened first,
so that the forms it holds are checked too."""

import pytest
from playwright.sync_api import expect
from sqlmodel import func, select

from liaison.audit.models import AuditLog
from liaison.auth.roles import Role
from liaison.web import ROOT
from tests.e2e.test_login_journey import log_in
from tests.factories import (
    PASSWORD,
    make_dispute,
    make_enterprise,
    make_hazard,
    make_officer,
    make_project,
    make_recovery,
    make_request,
    make_station,
    make_user,
)
from tests.images import jpeg

DESKTOP = {"width": 1280, "height": 900}

PAGES = {
    Role.OFFICER: [
        "/home",
        "/projects",
        "/projects/{project}",
        "/projects/{project}/hazards/new",
        "/hazards/{hazard}",
        "/areas",
        "/disputes",
        "/disputes/{dispute}",
        "/projects/{project}/disputes/new",
        "/requests",
        "/requests/{request}",
        "/recoveries",
        "/recoveries/{recovery}",
        "/projects/{project}/recoveries/new",
        "/enterprises/{enterprise}",
        "/account/password",
    ],
    Role.CHIEF: ["/home", "/dashboard", "/coverage", "/officers", "/projects/{project}"],
    Role.LEADER: [
        "/home",
        "/dashboard",
        "/dashboard/records?figure=hazards.found",
        "/dashboard/brief",
        "/hazards",
        "/ledger",
    ],
    Role.ADMIN: [
        "/admin/users",
        "/admin/users/{officer_user}",
        "/admin/users/new",
        "/admin/stations",
        "/admin/officers",
        "/admin/service-levels",
        "/admin/calendar",
    ],
    Role.AUDITOR: ["/audit", "/audit/{audit_row}"],
    Role.ENTERPRISE: ["/home", "/projects/{project}", "/requests", "/requests/{request}"],
}


@pytest.fixture
def world(db):  # type: ignore[no-untyped-def]
    """One station with a project that has a record of every kind, and who works there."""
    station = make_station(db, name="城南派出所")
    record = make_officer(db, station)
    enterprise = make_enterprise(db)
    project = make_project(db, station, enterprise=enterprise, officer=record, name="星河产业园")
    hazard = make_hazard(db, project, record, photos=[("现场.jpg", jpeg())])
    officer = make_user(db, Role.OFFICER, officer=record)
    users = {
        Role.OFFICER: officer,
        Role.CHIEF: make_user(db, Role.CHIEF, officer=make_officer(db, station)),
        Role.ENTERPRISE: make_user(db, Role.ENTERPRISE, enterprise=enterprise),
        **{role: make_user(db, role) for role in (Role.LEADER, Role.ADMIN, Role.AUDITOR)},
    }
    ids = {
        "project": project.id,
        "hazard": hazard.id,
        "dispute": make_dispute(db, project, record).id,
        "request": make_request(db, project, enterprise=enterprise).id,
        "recovery": make_recovery(db, project, record).id,
        "enterprise": enterprise.id,
        "officer_user": officer.id,
        "audit_row": db.exec(select(func.max(AuditLog.id))).one(),
    }
    return users, ids


def open_every_fold(page) -> None:  # type: ignore[no-untyped-def]
    page.evaluate("document.querySelectorAll('details').forEach(d => { d.open = true })")


@pytest.mark.e2e
@pytest.mark.parametrize("role", list(PAGES))
def test_each_roles_main_pages_have_no_serious_accessibility_violation(page, axe, world, role):
    users, ids = world
    page.set_viewport_size(DESKTOP)
    log_in(page, users[role].username)
    page.wait_for_url(lambda url: "/login" not in url)
    for path in PAGES[role]:
        response = page.goto(page.base + path.format(**ids))
        assert response is not None and response.ok, path
        open_every_fold(page)
        axe(page)
    assert page.problems == []


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
