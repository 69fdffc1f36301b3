"""An officer logs a hazard with a photo on a phone; a chief signs it off after the fix."""

from datetime import timedelta

import pytest
from playwright.sync_api import expect

from liaison.auth.roles import Role
from liaison.clock import today
from tests.e2e.test_login_journey import log_in
from tests.factories import make_officer, make_project, make_station, make_user
from tests.images import jpeg


def log_hazard(page, level: str, description: str) -> None:  # type: ignore[no-untyped-def]
    """On the hazard form: a fire-safety hazard with one photo, sent; its page shows."""
    form = page.get_by_test_id("hazard-form")
    form.locator("select[name=category]").select_option("消防安全")
    form.locator("select[name=level]").select_option(level)
    form.locator("textarea[name=description]").fill(description)
    form.locator("input[name=photos]").set_input_files(
        files=[{"name": "现场.jpg", "mimeType": "image/jpeg", "buffer": jpeg()}]
    )
    form.get_by_role("button", name="登记").click()
    expect(page.get_by_role("status")).to_contain_text("已登记隐患")
    expect(page.locator(".photos img")).to_have_count(1)


@pytest.mark.e2e
def test_officer_logs_a_hazard_with_a_photo_and_a_chief_signs_it_off(
    page, browser, live_server, db, axe
):
    station = make_station(db)
    record = make_officer(db, station)
    project = make_project(db, station, officer=record, name="锦程物流中心")
    officer = make_user(db, Role.OFFICER, officer=record)
    chief = make_user(db, Role.CHIEF, officer=make_officer(db, station))

    log_in(page, officer.username)
    page.get_by_role("link", name=project.name).click()
    page.get_by_role("link", name="登记隐患").click()
    axe(page)
    log_hazard(page, "较大", "仓库消防通道堆放纸箱")
    axe(page)
    step_form = page.get_by_test_id("step-form")
    step_form.locator("textarea[name=comment]").fill("已通知企业清理")
    step_form.get_by_role("button", name="开始整改").click()
    step_form = page.get_by_test_id("step-form")
    step_form.locator("textarea[name=comment]").fill("通道已清空")
    step_form.locator("input[name=photos]").set_input_files(
        files=[{"name": "整改后.jpg", "mimeType": "image/jpeg", "buffer": jpeg(color="green")}]
    )
    step_form.get_by_role("button", name="提交复查").click()
    expect(page.get_by_test_id("hazard-status")).to_have_text("待复查")
    axe(page)
    hazard_url = page.url
    assert page.problems == []

    chief_page = browser.new_context(viewport={"width": 390, "height": 844}).new_page()
    chief_page.base = live_server
    log_in(chief_page, chief.username)
    chief_page.goto(hazard_url)
    axe(chief_page)
    chief_form = chief_page.get_by_test_id("step-form")
    chief_form.locator("textarea[name=comment]").fill("复查合格")
    asked: list[str] = []
    chief_page.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.dismiss()))
    chief_form.get_by_role("button", name="复查通过，销号").click()
    expect(chief_page.get_by_test_id("hazard-status")).to_have_text("待复查")  # asked; no, kept
    assert asked and "不能再改" in asked[0]
    chief_page.once("dialog", lambda dialog: dialog.accept())
    chief_form.get_by_role("button", name="复查通过，销号").click()
    expect(chief_page.get_by_test_id("hazard-status")).to_have_text("已销号")
    axe(chief_page)
    chief_page.context.close()


@pytest.mark.e2e
def test_a_wrong_date_on_a_phone_is_shown_where_the_officer_is_and_the_fix_goes_through(
    page, db, axe
):
    """The finding date is tomorrow by mistake: the form comes back with the cursor in that
    field and the description still typed; the officer corrects the date and it is saved."""
    station = make_station(db)
    record = make_officer(db, station)
    project = make_project(db, station, officer=record, name="锦程物流中心")
    officer = make_user(db, Role.OFFICER, officer=record)
    log_in(page, officer.username)
    page.goto(f"{page.base}/projects/{project.id}/hazards/new")
    form = page.get_by_test_id("hazard-form")
    form.locator("select[name=category]").select_option("消防安全")
    form.locator("select[name=level]").select_option("一般")
    form.locator("textarea[name=description]").fill("配电箱门锁损坏")
    form.locator("input[name=found_on]").fill((today() + timedelta(days=1)).isoformat())
    form.get_by_role("button", name="登记").click()
    found_on = page.locator("#f-found_on")
    expect(found_on).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#e-found_on")).to_be_visible()
    expect(found_on).to_be_focused()  # where the person looks, not the top of the page
    expect(page.locator("textarea[name=description]")).to_have_value("配电箱门锁损坏")
    axe(page)
    found_on.fill(today().isoformat())
    page.get_by_test_id("hazard-form").get_by_role("button", name="登记").click()
    expect(page.get_by_role("status")).to_contain_text("已登记隐患")
    # The 422 of the refused form is the browser's own console line; nothing else went wrong.
    assert [p for p in page.problems if "status of 422" not in p] == []


@pytest.mark.e2e
def test_an_officer_typing_a_long_hazard_is_warned_before_the_session_lapses_and_stays(page, db):
    """Two minutes before the idle timeout a warning appears where the officer is; 继续使用
    renews the session, and the text typed so far is still in the form."""
    station = make_station(db)
    record = make_officer(db, station)
    project = make_project(db, station, officer=record)
    officer = make_user(db, Role.OFFICER, officer=record)
    log_in(page, officer.username)
    page.wait_for_url(lambda url: "/login" not in url)
    page.clock.install()
    page.goto(f"{page.base}/projects/{project.id}/hazards/new")
    page.locator("textarea[name=description]").fill("配电箱门锁损坏，电缆裸露")
    warning = page.get_by_test_id("idle-warning")
    expect(warning).to_have_count(0)
    page.clock.fast_forward("27:00")
    expect(warning).to_have_count(0)  # not yet: 30 minutes idle, warned at 28
    page.clock.fast_forward("01:30")
    expect(warning).to_be_visible()
    with page.expect_response("**/account/keepalive") as renewed:
        warning.get_by_role("button", name="继续使用").click()
    assert renewed.value.status == 200
    expect(warning).to_have_count(0)
    expect(page.locator("textarea[name=description]")).to_have_value("配电箱门锁损坏，电缆裸露")
    assert page.problems == []
