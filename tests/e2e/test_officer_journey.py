"""The officer's main journey on a phone, with the second factor the production default
requires: enrol an authenticator at first login, update the project's file, log a visit and a
hazard with a photo; next day, log in with a code. axe-core checks every page shown."""

import re

import pyotp
import pytest
from playwright.sync_api import expect

from liaison import clock
from liaison.auth.roles import Role
from tests.conftest import use_database
from tests.e2e.test_hazard_journey import log_hazard
from tests.e2e.test_login_journey import log_in
from tests.factories import make_officer, make_project, make_station, make_user


@pytest.mark.e2e
def test_officer_enrols_then_keeps_the_project_file(
    page, db, axe, database_url, monkeypatch, travel
):
    use_database(monkeypatch, database_url, two_factor_required="true")
    station = make_station(db)
    record = make_officer(db, station)
    project = make_project(db, station, officer=record, name="海峡数据中心")
    officer = make_user(db, Role.OFFICER, officer=record)

    log_in(page, officer.username)
    expect(page.get_by_role("heading", name="双因素认证")).to_be_visible()
    axe(page)
    page.get_by_role("button", name="开始绑定").click()
    expect(page.locator("svg.qr-code")).to_be_visible()
    axe(page)
    totp = pyotp.TOTP(page.get_by_test_id("totp-secret").inner_text())
    page.get_by_label("验证码").fill(totp.now())
    page.get_by_role("button", name="完成绑定").click()
    codes = page.get_by_test_id("recovery-codes").locator("code").all_inner_texts()
    assert len(codes) == 10
    axe(page)
    page.get_by_role("link", name="我已保存，继续").click()
    expect(page).to_have_url(re.compile(r"/home$"))
    axe(page)

    page.get_by_role("link", name=project.name).click()
    axe(page)
    page.get_by_role("link", name="编辑档案").click()
    axe(page)
    page.get_by_label("用工人数").fill("320")
    page.get_by_label("主要风险点").fill("夜间施工，临时用电")
    page.get_by_role("button", name="保存").click()
    expect(page.get_by_role("status")).to_be_visible()
    expect(page.locator("main")).to_contain_text("夜间施工，临时用电")
    axe(page)

    visit = page.get_by_test_id("visit-form")
    visit.locator("select[name=kind]").select_option("走访")
    visit.locator("textarea[name=summary]").fill("走访项目部，核对用工台账。")
    visit.get_by_role("button", name="登记").click()
    expect(page.get_by_role("status")).to_contain_text("已登记")
    expect(page.locator(".timeline")).to_contain_text("核对用工台账")
    axe(page)

    page.get_by_role("link", name="登记隐患").click()
    axe(page)
    log_hazard(page, "一般", "机房通道堆放包装箱")
    axe(page)
    page.locator(".menu-button").click()  # the phone menu
    page.get_by_test_id("logout").click()

    # The next day: the password, then a code (a fresh one: each is accepted once).
    travel.advance(days=1)
    log_in(page, officer.username)
    expect(page).to_have_url(re.compile(r"/login/code"))
    axe(page)
    page.get_by_label("验证码或恢复码").fill(totp.at(clock.now()))
    page.get_by_role("button", name="验证").click()
    expect(page).to_have_url(re.compile(r"/home$"))
    assert page.problems == []
