"""A chief covers the last uncovered project; an officer logs a visit from a phone."""

import pytest
from playwright.sync_api import expect

from liaison.auth.roles import Role
from tests.e2e.test_login_journey import log_in
from tests.factories import make_officer, make_project, make_station, make_user


@pytest.mark.e2e
def test_chief_assigns_an_officer_and_coverage_reaches_100(page, db, axe):
    station = make_station(db)
    chief_record, officer = make_officer(db, station), make_officer(db, station)
    make_project(db, station, officer=officer)
    uncovered = make_project(db, station, name="待配警的产业园")
    chief = make_user(db, Role.CHIEF, officer=chief_record)
    log_in(page, chief.username)
    page.goto(page.base + "/coverage")
    expect(page.get_by_test_id("coverage-rate")).to_have_text("50.0%")
    axe(page)
    page.get_by_role("link", name=uncovered.name).click()
    page.get_by_text("任命项目警官").click()
    axe(page)
    form = page.get_by_test_id("assign-form")
    # The chief sees who already holds what before choosing.
    label = f"{officer.name}（{officer.badge_no}，现管 1 个项目）"
    form.locator("select[name=officer_id]").select_option(label=label)
    form.locator("input[name=reason]").fill("新项目配警")
    form.get_by_role("button", name="确认任命").click()
    expect(page.get_by_role("status")).to_contain_text(f"已任命 {officer.name} 为项目警官")
    axe(page)
    page.goto(page.base + "/coverage")
    expect(page.get_by_test_id("coverage-rate")).to_have_text("100.0%")
    axe(page)
    assert page.problems == []


@pytest.mark.e2e
def test_officer_logs_a_visit_from_home_on_a_phone(page, db, axe):
    station = make_station(db)
    record = make_officer(db, station)
    project = make_project(db, station, officer=record, name="远航物流中心")
    officer = make_user(db, Role.OFFICER, officer=record)
    log_in(page, officer.username)
    axe(page)
    page.get_by_role("link", name=project.name).click()
    axe(page)
    form = page.get_by_test_id("visit-form")
    form.locator("select[name=kind]").select_option("巡查")
    form.locator("textarea[name=summary]").fill("夜间巡查施工现场，围挡完好。")
    form.get_by_role("button", name="登记").click()
    expect(page.get_by_role("status")).to_contain_text("已登记巡查")
    expect(page.locator(".timeline")).to_contain_text("夜间巡查施工现场")
    axe(page)
    assert page.problems == []
