"""An officer's bell: a request arrives from a project's QR form, the count rises without a
reload, the officer opens it from the bell, and the count falls. axe-core checks each page."""

import pytest
from playwright.sync_api import expect
from sqlmodel import select

from liaison.auth.roles import Role
from liaison.desk.models import ServiceRequest
from tests.e2e.test_login_journey import log_in
from tests.factories import make_officer, make_project, make_station, make_user

PHONE = {"viewport": {"width": 390, "height": 844}, "locale": "zh-CN", "is_mobile": True}
POLL_MS = 40_000  # the bell asks every 30 seconds


@pytest.mark.e2e
def test_the_bell_rises_when_a_request_arrives_and_falls_once_it_is_opened(
    page, browser, live_server, db, axe
):
    station = make_station(db)
    record = make_officer(db, station)
    project = make_project(db, station, officer=record, name="星河产业园")
    officer = make_user(db, Role.OFFICER, officer=record)

    log_in(page, officer.username)
    bell = page.get_by_test_id("bell")
    count = page.get_by_test_id("bell-count")
    expect(bell).to_be_visible()
    expect(bell).to_have_attribute("hx-trigger", "every 30s")  # its first answer is in
    expect(count).to_be_hidden()
    axe(page)

    phone = browser.new_context(**PHONE).new_page()
    phone.goto(f"{live_server}/r/{project.code}")
    form = phone.get_by_test_id("request-form")
    form.locator("select[name=type]").select_option("求助")
    form.locator("textarea[name=content]").fill("工地东门夜间有人翻越围挡偷电缆")
    form.locator("input[name=name]").fill("李经理")
    form.locator("input[name=phone]").fill("13812345678")
    form.locator("input[name=consent]").check()
    form.get_by_role("button", name="提交").click()
    number = phone.get_by_test_id("tracking-no").inner_text()
    request = db.exec(select(ServiceRequest).where(ServiceRequest.tracking_no == number)).one()

    # No reload: the bell's next poll brings the count.
    expect(count).to_have_text("1", timeout=POLL_MS)
    expect(count).to_be_visible()
    bell.click()
    expect(page).to_have_url(f"{live_server}/notifications")
    axe(page)
    page.get_by_test_id("notification").get_by_role("button", name=number).click()
    expect(page).to_have_url(f"{live_server}/requests/{request.id}")
    expect(page.get_by_text(number).first).to_be_visible()
    expect(bell).to_have_attribute("hx-trigger", "every 30s")
    expect(count).to_be_hidden()
    axe(page)
    assert not page.problems, page.problems
