"""Someone at a project scans its poster on a phone, submits a request with a photo and tracks
it; the project's officer accepts and closes it; the requester rates it. axe-core checks every
page on the way."""

import io

import pytest
import zxingcpp
from PIL import Image
from playwright.sync_api import expect
from sqlmodel import select

from liaison.auth.roles import Role
from liaison.desk.models import ServiceRequest
from tests.e2e.test_login_journey import log_in
from tests.factories import make_officer, make_project, make_station, make_user
from tests.images import jpeg

PHONE = {"viewport": {"width": 390, "height": 844}, "locale": "zh-CN", "is_mobile": True}


def track(phone, number, axe):  # type: ignore[no-untyped-def]
    phone.goto(phone.base + "/track")
    axe(phone)
    phone.get_by_label("受理编号").fill(number)
    phone.get_by_label("手机号后四位").fill("5678")
    phone.get_by_role("button", name="查询").click()


@pytest.mark.e2e
def test_scan_submit_with_a_photo_track_and_rate_after_the_officer_closes_it(
    page, browser, live_server, db, axe
):
    station = make_station(db)
    record = make_officer(db, station)
    project = make_project(db, station, officer=record, name="星河产业园")
    officer = make_user(db, Role.OFFICER, officer=record)

    # The officer prints the project's poster; its code is what a phone scans.
    log_in(page, officer.username)
    page.goto(f"{page.base}/projects/{project.id}")
    axe(page)
    page.get_by_role("link", name="二维码海报").click()
    expect(page.locator("svg.qr-code")).to_be_visible()
    axe(page)
    png = page.request.get(f"{page.base}/projects/{project.id}/qr.png").body()
    [code] = zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))
    assert code.text == f"{live_server}/r/{project.code}"

    phone = browser.new_context(**PHONE).new_page()
    phone.base, phone.problems = live_server, []
    expected = "status of 422"  # the form sent back with its errors is a 422 page, on purpose
    phone.on(
        "console",
        lambda m: m.type == "error" and expected not in m.text and phone.problems.append(m.text),
    )
    phone.on("pageerror", lambda e: phone.problems.append(str(e)))
    phone.goto(code.text)
    expect(phone.get_by_text("星河产业园")).to_be_visible()
    axe(phone)
    form = phone.get_by_test_id("request-form")
    form.locator("select[name=type]").select_option("求助")
    form.locator("textarea[name=content]").fill("工地东门夜间有人翻越围挡偷电缆")
    form.locator("input[name=photos]").set_input_files(
        files=[{"name": "围挡.jpg", "mimeType": "image/jpeg", "buffer": jpeg()}]
    )
    form.locator("input[name=name]").fill("李经理")
    form.locator("input[name=phone]").fill("13812345678")
    form.get_by_role("button", name="提交").click()
    expect(phone.get_by_text("请阅读并勾选个人信息处理告知")).to_be_visible()
    axe(phone)  # the form sent back with its error
    form = phone.get_by_test_id("request-form")
    # The photo chosen before the refusal is kept, shown, and goes with the corrected form.
    kept = form.get_by_test_id("kept-photos")
    expect(kept.locator("img")).to_have_count(1)
    expect(kept).to_contain_text("围挡.jpg")
    form.locator("input[name=consent]").check()
    form.get_by_role("button", name="提交").click()
    number = phone.get_by_test_id("tracking-no").inner_text()
    axe(phone)
    track(phone, number, axe)
    expect(phone.get_by_test_id("request-status")).to_have_text("待受理")
    axe(phone)

    page.goto(page.base + "/requests")
    axe(page)
    page.get_by_role("link", name=number).click()
    expect(page.locator(".photos img")).to_have_count(1)
    axe(page)
    page.get_by_role("button", name="受理").click()
    expect(page.get_by_test_id("request-status")).to_have_text("已受理")
    page.locator("summary", has_text="办结").click()
    axe(page)
    close = page.get_by_test_id("close-form")
    close.locator("textarea[name=summary]").fill("已加装围挡照明，抓获嫌疑人一名")
    asked: list[str] = []
    page.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.dismiss()))
    close.get_by_role("button", name="办结").click()
    expect(page.get_by_test_id("request-status")).to_have_text("已受理")  # asked; no, kept
    assert asked and "确定办结" in asked[0]
    page.once("dialog", lambda dialog: dialog.accept())
    close.get_by_role("button", name="办结").click()
    expect(page.get_by_test_id("request-status")).to_have_text("已办结")
    axe(page)

    track(phone, number, axe)
    expect(phone.get_by_test_id("request-status")).to_have_text("已办结")
    expect(phone.get_by_text("已加装围挡照明，抓获嫌疑人一名")).to_be_visible()
    axe(phone)  # the answer, with the rating form
    phone.get_by_test_id("rate-form").get_by_role("button", name="满意", exact=True).click()
    expect(phone.get_by_text("感谢您的评价")).to_be_visible()
    axe(phone)
    assert page.problems == [] and phone.problems == []  # no CSP violation, no script error
    phone.context.close()


@pytest.mark.e2e
def test_the_back_button_after_sending_makes_no_second_request(browser, live_server, db):
    """A person sends the form, taps back, and taps 提交 again on what the browser shows: the
    desk gets one request, and the page shows its tracking number again."""
    project = make_project(db, name="星河产业园")
    phone = browser.new_context(**PHONE).new_page()
    phone.goto(f"{live_server}/r/{project.code}")
    form = phone.get_by_test_id("request-form")
    form.locator("select[name=type]").select_option("咨询")
    form.locator("textarea[name=content]").fill("新厂区开业需要备案哪些安保事项")
    form.locator("input[name=name]").fill("李经理")
    form.locator("input[name=phone]").fill("13812345678")
    form.locator("input[name=consent]").check()
    form.get_by_role("button", name="提交").click()
    first = phone.get_by_test_id("tracking-no").inner_text()
    phone.go_back()
    again = phone.get_by_test_id("request-form")
    expect(again).to_be_visible()
    if not again.locator("input[name=consent]").is_checked():  # a browser may not keep it
        again.locator("input[name=consent]").check()
    if not again.locator("textarea[name=content]").input_value():
        pytest.fail("the form came back empty: what was typed is lost")
    again.get_by_role("button", name="提交").click()
    assert phone.get_by_test_id("tracking-no").inner_text() == first
    assert len(db.exec(select(ServiceRequest)).all()) == 1
    phone.context.close()
