"""A leader opens the dashboard, changes the period, clicks a figure, sees the records behind it,
goes back and exports the figures as a workbook. axe-core checks every page on the way."""

import io
import re

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect
from sqlmodel import select

from liaison import demo
from liaison.auth.roles import Role
from liaison.config import get_settings
from liaison.org.models import Station
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
    assert figures["逾期未整改"] == 1
    assert page.problems == []


def _pdf_pages(pdf: bytes) -> int:
    """Pages of a PDF as Chromium writes it (one /Type /Page object each)."""
    return len(re.findall(rb"/Type\s*/Page(?!s)", pdf))


@pytest.mark.e2e
def test_the_brief_prints_on_one_a4_page_for_the_district_and_each_station(page, db):
    """Chromium's own print to A4, as a leader's 打印 gives it, on the demo's year."""
    demo.load(db, get_settings())
    db.commit()
    log_in(page, "demo-leader", demo.DEMO_PASSWORD)
    page.wait_for_url(page.base + "/home")
    year = "period=custom&from=2023-01-01&to=2023-12-31"
    stations = [s.code for s in db.exec(select(Station)).all()]
    assert len(stations) == 6
    for station in ["", *stations]:
        page.goto(f"{page.base}/dashboard/brief?{year}&station={station}")
        summary = page.get_by_test_id("brief-summary")
        expect(summary).to_contain_text("个重点项目中" if station else "全区264个重点项目中264个")
        pages = _pdf_pages(page.pdf(format="A4", print_background=True))
        assert pages == 1, (station or "全区", pages)
    assert page.problems == []
