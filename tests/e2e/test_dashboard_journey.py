"""A leader opens the dashboard, changes the period, clicks a figure, sees the records behind it,
goes back and exports the figures as a workbook. axe-core checks every page on the way."""

import io

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect

from liaison.auth.roles import Role
from tests.e2e.test_login_journey import log_in
from tests.factories import make_user
from tests.ledger.books import workbook
from tests.metrics.test_metrics import SMALL, load


@pytest.mark.e2e
def test_leader_changes_the_period_drills_into_a_figure_and_exports_the_figures(page, db, axe):
    load(db, workbook(SMALL))
    leader = make_user(db, Role.LEADER)
    log_in(page, leader.username)
    page.wait_for_url(page.base + "/home")
    axe(page)
    page.locator("label.menu-button").click()  # a phone: the menu opens first
    page.get_by_role("link", name="营商环境指标").click()
    expect(page.get_by_role("heading", name="营商环境指标")).to_be_visible()
    axe(page)
    form = page.get_by_test_id("period-form")
    form.locator("select[name=period]").select_option("custom")
    form.locator("input[name=from]").fill("2025-01-01")
    form.locator("input[name=to]").fill("2025-03-31")
    form.get_by_role("button", name="查看").click()
    overdue = page.get_by_test_id("kpis").locator(".kpi", has_text="逾期未整改")
    expect(overdue.locator(".value")).to_have_text("1")
    axe(page)
    overdue.locator("a.value").click()
    expect(page.get_by_test_id("records-total")).to_have_text("1")
    expect(page.get_by_test_id("records").get_by_role("link", name="H3")).to_be_visible()
    axe(page)

    page.get_by_role("link", name="← 营商环境指标").click()
    expect(overdue.locator(".value")).to_have_text("1")  # the period kept
    with page.expect_download() as download:
        page.get_by_role("link", name="导出 Excel").click()
    assert download.value.suggested_filename == "营商环境指标-20250101-20250331.xlsx"
    book = load_workbook(io.BytesIO(download.value.path().read_bytes()), read_only=True)
    figures = {r[0]: r[1] for r in book["指标"].iter_rows(values_only=True) if len(r) > 1}
    assert figures["逾期未整改"] == "1"
    assert page.problems == []
