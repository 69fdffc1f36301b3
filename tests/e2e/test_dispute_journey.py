"""An officer closes a dispute with an agreement; the money shows in the project's and the
station's totals."""

import pytest
from playwright.sync_api import expect

from liaison.auth.roles import Role
from tests.e2e.test_login_journey import log_in
from tests.factories import make_dispute, make_officer, make_project, make_station, make_user


@pytest.mark.e2e
def test_officer_closes_a_dispute_and_the_recovery_reaches_the_totals(page, db, axe):
    station = make_station(db, name="城南派出所")
    record = make_officer(db, station)
    project = make_project(db, station, officer=record, name="天合产业园")
    dispute = make_dispute(db, project, record)
    officer = make_user(db, Role.OFFICER, officer=record)

    log_in(page, officer.username)
    page.goto(f"{page.base}/disputes/{dispute.id}")
    axe(page)
    form = page.get_by_test_id("resolve-form")
    form.locator("textarea[name=obligations]").fill("被申请人于月底前一次性支付拖欠工资")
    form.locator("input[name=agreement_amount]").fill("85,000.50")
    form.get_by_label("协议金额计入挽回损失（纠纷化解）").check()
    form.get_by_role("button", name="调解成功，保存协议").click()
    expect(page.get_by_test_id("dispute-status")).to_have_text("调解成功")
    axe(page)

    page.get_by_role("link", name=project.name).click()
    expect(page.get_by_test_id("project-recovered")).to_have_text("¥85,000.50")
    axe(page)
    page.goto(f"{page.base}/recoveries?by=station")
    expect(page.get_by_test_id("recovered-total")).to_have_text("¥85,000.50")
    expect(page.locator("table").first).to_contain_text("城南派出所")
    axe(page)
    assert page.problems == []
