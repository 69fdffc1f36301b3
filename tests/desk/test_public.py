"""The public form and tracking, without a login."""

import re

from fastapi.testclient import TestClient
from sqlmodel import func, select

from liaison.auth.models import LoginThrottle
from liaison.config import get_settings
from liaison.desk import service
from liaison.desk.models import ServiceRequest
from liaison.pages.public import request_fields
from tests.factories import make_enterprise, make_officer, make_project, make_station, post

FORM = {
    "type": "求助",
    "topic": "治安秩序",
    "content": "工地夜间有人偷电缆",
    "name": "李经理",
    "phone": "13812345678",
    "consent": "on",
}


def submit(client, url="/r", **overrides):  # type: ignore[no-untyped-def]
    page = client.get(url)
    key = re.search(r'name="submission_key" value="([0-9a-f]+)"', page.text).group(1)
    return post(client, url, {**FORM, "submission_key": key, **overrides})


def test_the_qr_link_ties_the_request_to_its_project_and_officer(client, db):
    station = make_station(db)
    officer = make_officer(db, station)
    project = make_project(db, station, officer=officer, name="星河产业园")
    page = client.get(f"/r/{project.code}")
    assert page.status_code == 200 and "星河产业园" in page.text and "个人信息处理告知" in page.text
    done = submit(client, f"/r/{project.code}")
    number = re.search(r'data-testid="tracking-no">([^<]+)<', done.text).group(1)
    request = db.exec(select(ServiceRequest)).one()
    assert (request.tracking_no, request.channel, request.officer_id) == (
        number,
        "二维码",
        officer.id,
    )
    assert client.get("/r/NO-SUCH-CODE").status_code == 404


def test_the_same_form_sent_twice_makes_one_request(client, db):
    page = client.get("/r")
    key = re.search(r'name="submission_key" value="([0-9a-f]+)"', page.text).group(1)
    first = post(client, "/r", {**FORM, "submission_key": key})
    second = post(client, "/r", {**FORM, "submission_key": key})
    number = re.compile(r'data-testid="tracking-no">([^<]+)<')
    assert number.search(first.text).group(1) == number.search(second.text).group(1)
    assert db.exec(select(func.count()).select_from(ServiceRequest)).one() == 1


def test_what_the_form_refuses_it_explains(client, db):
    no_consent = submit(client, consent="")
    assert no_consent.status_code == 422 and "请阅读并勾选个人信息处理告知" in no_consent.text
    bad_phone = submit(client, phone="12345")
    assert bad_phone.status_code == 422 and re.search(r'id="e-phone">格式不正确', bad_phone.text)
    robot = submit(client, website="http://spam.example")
    assert robot.status_code == 422
    assert db.exec(select(func.count()).select_from(ServiceRequest)).one() == 0


def test_the_form_collects_no_id_number(client):
    form = client.get("/r").text.split('data-testid="request-form"')[1].split("</form>")[0]
    fields = set(re.findall(r'name="([a-z_0-9]+)"', form))
    assert fields == {
        "csrf_token",
        "submission_key",
        "website",
        "type",
        "topic",
        "content",
        "name",
        "phone",
        "enterprise_name",
        "photos",
        "consent",
        "sms_consent",
    }


def test_a_sites_workers_share_an_address_and_each_still_gets_through(client, db):
    """Six workers of one site, one address, six phones: the sixth is not stopped; only one
    phone sending more than its hourly five from the address is."""
    for n in range(6):
        assert submit(client, phone=f"1381234{n:04d}").status_code == 200, n
    for n in range(4):
        assert (
            submit(client, phone="13812340000", content=f"第 {n + 2} 件事：围挡破损").status_code
            == 200
        )
    refused = submit(client, phone="13812340000", content="第六次提交同一诉求的内容")
    assert refused.status_code == 429 and int(refused.headers["retry-after"]) > 0
    assert db.exec(select(func.count()).select_from(ServiceRequest)).one() == 10


def test_the_addresss_ceiling_stops_a_flood_from_one_address(client, db, monkeypatch):
    monkeypatch.setenv("LIAISON_DESK_SUBMITS_PER_ADDRESS_HOUR", "3")
    get_settings.cache_clear()
    for n in range(3):
        assert submit(client, phone=f"1381234{n:04d}").status_code == 200
    assert submit(client, phone="13999990000").status_code == 429


def test_a_refusal_comes_first_says_what_else_to_do_and_keeps_the_text(client, db, monkeypatch):
    monkeypatch.setenv("LIAISON_BUREAU_PHONE", "0591-87654321")
    monkeypatch.setenv("LIAISON_DESK_SUBMITS_PER_HOUR", "1")
    get_settings.cache_clear()
    station = make_station(db)
    officer = make_officer(db, station, phone="13900001111")
    project = make_project(db, station, officer=officer)
    assert submit(client, f"/r/{project.code}").status_code == 200
    refused = submit(client, f"/r/{project.code}", content="围挡被推倒了，请尽快来看")
    assert refused.status_code == 429
    page = refused.text
    banner = page.split('data-testid="desk-refusal"')[1].split("</div>")[0]
    assert page.index('data-testid="desk-refusal"') < page.index('data-testid="request-form"')
    assert officer.name in banner and "13900001111" in banner
    assert "0591-87654321" in banner and 'href="tel:110"' in banner
    assert "围挡被推倒了，请尽快来看" in page  # what was typed is still in the form


def test_tracking_reveals_nothing_without_both_halves(client, db):
    done = submit(client)
    number = re.search(r'data-testid="tracking-no">([^<]+)<', done.text).group(1)
    wrong = post(client, "/track", {"tracking_no": number, "last4": "0000"})
    unknown = post(client, "/track", {"tracking_no": "YY20990101-0001", "last4": "5678"})
    assert wrong.status_code == unknown.status_code == 404
    strip = lambda text: re.sub(r'value="[^"]*"', "", text)  # noqa: E731  (the typed number is echoed)
    assert strip(wrong.text).count("不正确") == strip(unknown.text).count("不正确") == 1
    assert "工地夜间" not in wrong.text
    assert client.get("/track").status_code == 200 and "工地夜间" not in client.get("/track").text
    found = post(client, "/track", {"tracking_no": number, "last4": "5678"})
    assert found.status_code == 200 and "待受理" in found.text and "13812345678" not in found.text


def test_after_closure_the_requester_rates_and_unsatisfied_reopens(client, db):
    done = submit(client)
    number = re.search(r'data-testid="tracking-no">([^<]+)<', done.text).group(1)
    request = db.exec(select(ServiceRequest)).one()
    service.accept(db, request, by_user_id=None)
    service.close(db, request, "已加强巡逻", by_user_id=None)
    db.commit()
    page = post(client, "/track", {"tracking_no": number, "last4": "5678"})
    assert "已加强巡逻" in page.text and 'data-testid="rate-form"' in page.text
    rating = {"tracking_no": number, "last4": "5678", "satisfaction": "不满意"}
    unsaid = post(client, "/track/rate", rating)
    assert unsaid.status_code == 422 and 'data-testid="rate-form"' in unsaid.text
    beside = re.search(r'<p class="error" id="e-rate-reason">([^<]+)</p>', unsaid.text)
    assert beside and "请说明不满意的原因" in beside.group(1)  # beside the reason, not below
    db.refresh(request)
    assert request.status == "已办结" and not request.reopened  # nothing reopened unasked
    rated = post(client, "/track/rate", {**rating, "reason": "夜里仍有人翻墙"})
    assert rated.status_code == 200
    db.refresh(request)
    assert request.status == "办理中" and request.reopened
    again = post(client, "/track", {"tracking_no": number, "last4": "5678"})
    assert "不满意，重办：夜里仍有人翻墙" in again.text


def test_one_number_from_one_address_is_rate_limited(client, db):
    for _ in range(10):
        post(client, "/track", {"tracking_no": "YY20260101-0001", "last4": "0000"})
    refused = post(client, "/track", {"tracking_no": "YY20260101-0001", "last4": "0000"})
    assert refused.status_code == 429 and "retry-after" in refused.headers


def test_a_topic_left_unchosen_files_the_request_under_other(client, db):
    assert submit(client, topic="").status_code == 200
    assert db.exec(select(ServiceRequest.topic)).one() == "其他"


def test_one_phone_is_limited_from_any_address_and_the_counter_keeps_no_number(client, db):
    for n in range(5):
        assert submit(TestClient(client.app, client=(f"192.0.2.{n}", 1))).status_code == 200
    refused = submit(TestClient(client.app, client=("192.0.2.99", 1)))
    assert refused.status_code == 429
    keys = db.exec(select(LoginThrottle.key)).all()
    assert any(key.startswith("desk-phone:") for key in keys)
    assert not any("13812345678" in key or "5678" in key for key in keys)


def test_a_citizen_names_neither_the_channel_nor_an_enterprise(client, db):
    enterprise = make_enterprise(db)
    crafted = submit(
        client, channel="窗口", enterprise_id=str(enterprise.id), enterprise_name="星河"
    )
    assert crafted.status_code == 200
    request = db.exec(select(ServiceRequest)).one()
    assert (request.channel, request.enterprise_id, request.enterprise_name) == (
        "网页",
        None,
        "星河",
    )


def test_the_form_keeps_its_limits_for_citizens(client, db):
    short = submit(client, content="有人")
    assert short.status_code == 422 and re.search(r'id="e-content">至少 5 个字符', short.text)
    long_name = submit(client, name="张" * 33)
    assert long_name.status_code == 422 and re.search(r'id="e-name">最多 32 个字符', long_name.text)
    no_phone = submit(client, phone="")
    assert no_phone.status_code == 422 and 'id="e-phone"' in no_phone.text
    assert db.exec(select(func.count()).select_from(ServiceRequest)).one() == 0


def test_the_forms_fields_are_read_from_the_declaration():
    fields = request_fields()
    assert fields["content"]["maxlength"] == 2000 and fields["content"]["type"] == "textarea"
    assert (fields["name"]["name"], fields["name"]["maxlength"], fields["name"]["required"]) == (
        "name",
        32,
        True,
    )
    assert (fields["phone"]["name"], fields["phone"]["type"]) == ("phone", "tel")
    assert [v for v, _ in fields["type"]["options"]] == ["咨询", "投诉", "建议", "求助"]


def test_the_notice_names_the_bureau_that_processes_the_data(client, monkeypatch):
    """PIPL 17: the person is told who processes what they give, by the name the bureau set,
    and how to reach it; not a placeholder."""
    monkeypatch.setenv("LIAISON_BUREAU_NAME", "滨江市公安局城南分局")
    monkeypatch.setenv("LIAISON_BUREAU_PHONE", "0591-87654321")
    get_settings.cache_clear()
    page = client.get("/r").text
    notice = re.sub(r"\s+", "", page.split("个人信息处理告知</summary>")[1].split("</p>")[0])
    assert "个人信息处理者：滨江市公安局城南分局" in notice
    assert "0591-87654321" in notice and "本公安分局" not in notice


def test_the_confirmation_carries_the_number_to_tracking_which_echoes_the_request(client, db):
    done = submit(client, content="工地围挡夜间被推倒，请加强巡逻")
    number = re.search(r'data-testid="tracking-no">([^<]+)<', done.text).group(1)
    link = re.search(r'href="(/track\?[^"]+)"', done.text).group(1)
    form = client.get(link.replace("&amp;", "&")).text
    assert re.search(rf'name="tracking_no" id="f-tracking_no" value="{number}"', form)
    assert "工地围挡" not in form  # nothing of the request before the person proves it
    tracked = post(client, "/track", {"tracking_no": number, "last4": "5678"}).text
    echoed = tracked.split('data-testid="tracked-content"')[1].split("</details>")[0]
    assert "工地围挡夜间被推倒，请加强巡逻" in echoed
    wrong = post(client, "/track", {"tracking_no": number, "last4": "0000"}).text
    assert "工地围挡" not in wrong
