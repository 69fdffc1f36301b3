"""A leader imports the district's ledger workbook: uploads it, reads the dry run, confirms, and
watches the import run in the background to its end."""

from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlmodel import func, select

from liaison.auth.roles import Role
from liaison.pages import ledger as ledger_web
from liaison.projects.models import Project
from tests.e2e.test_login_journey import log_in
from tests.factories import make_user

SAMPLE = Path("/work/shared/samples/ledger-2025.xlsx")


@pytest.mark.e2e
def test_upload_check_confirm_and_watch_the_import_finish(page, db, axe):
    assert ledger_web.run_in_background  # the real thread, and the page polling it
    leader = make_user(db, Role.LEADER)
    log_in(page, leader.username)
    page.wait_for_url(page.base + "/home")
    page.goto(page.base + "/ledger")
    expect(page.get_by_role("link", name="下载模板")).to_have_attribute(
        "href", "/ledger/template.xlsx"
    )
    axe(page)
    form = page.get_by_test_id("ledger-upload")
    form.locator("input[name=file]").set_input_files(str(SAMPLE))
    form.get_by_role("button", name="上传并检查").click()

    page.wait_for_url("**/ledger/uploads/*")
    counts = page.get_by_test_id("ledger-counts")
    expect(counts.locator("tr", has_text="重点项目")).to_contain_text("150")
    expect(page.get_by_test_id("upload-status")).to_have_text("待确认")
    axe(page)
    assert db.exec(select(func.count()).select_from(Project)).one() == 0

    page.get_by_role("button", name="确认导入").click()
    outcome = page.get_by_test_id("ledger-outcome")
    expect(outcome.get_by_role("heading", name="导入完成")).to_be_visible(timeout=60_000)
    result = outcome.get_by_test_id("ledger-counts")
    expect(result.locator("tr", has_text="重点项目")).to_contain_text("150")
    expect(page.get_by_test_id("upload-status")).to_have_text("已导入")
    axe(page)
    assert db.exec(select(func.count()).select_from(Project)).one() == 150

    page.goto(page.base + "/ledger")
    uploads = page.get_by_test_id("ledger-uploads")
    expect(uploads.locator("tr", has_text=SAMPLE.name)).to_contain_text("已导入")
    axe(page)
    assert page.problems == []  # no CSP violation, no script error
