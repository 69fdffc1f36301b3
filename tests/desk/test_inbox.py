"""The staff side of the desk: inboxes, the handling steps, transfers, the duty desk, and who
may see and act on which request; enterprise contacts submitting and following as themselves."""

import re

from sqlmodel import select

from liaison.attachments.models import Attachment
from liaison.auth.roles import Role
from liaison.desk import service
from liaison.desk.models import ServiceRequest
from liaison.pages import requests as inbox
from tests.desk.test_public import submit as submit_public
from tests.factories import (
    login_as,
    make_enterprise,
    make_officer,
    make_project,
    make_request,
    make_station,
    post,
    second_browser,
)
from tests.images import jpeg
from tests.outside.forms import read


def new_request(db, project=None, content=None):  # type: ignore[no-untyped-def]
    return make_request(db, project, content=content)


def track(client, number, last4="2222"):  # type: ignore[no-untyped-def]
    return post(client, "/track", {"tracking_no": number, "last4": last4})


def test_the_whole_cycle_from_the_poster_to_the_rating(client, db):
    station = make_station(db)
    officer = make_officer(db, station)
    project = make_project(db, station, officer=officer, name="星河产业园")
    public = second_browser(client)
    page = public.get(f"/r/{project.code}")
    key = re.search(r'name="submission_key" value="([0-9a-f]+)"', page.text).group(1)
    done = post(
        public,
        f"/r/{project.code}",
        {
            "type": "求助",
            "topic": "治安秩序",
            "content": "工地夜间有人偷电缆",
            "name": "李经理",
            "phone": "13812345678",
            "consent": "on",
            "submission_key": key,
        },
        files=[("photos", ("cable.jpg", jpeg(), "image/jpeg"))],
    )
    number = re.search(r'data-testid="tracking-no">([^<]+)<', done.text).group(1)
    found = db.exec(select(ServiceRequest)).one()
    photo = db.exec(select(Attachment).where(Attachment.owner_type == "request")).one()

    login_as(client, db, Role.OFFICER, officer=officer)
    inbox = client.get("/requests")
    assert number in inbox.text and "首次响应剩余" in inbox.text
    detail = client.get(f"/requests/{found.id}")
    assert "工地夜间有人偷电缆" in detail.text and "138****5678" in detail.text
    assert "13812345678" not in detail.text
    assert client.get(f"/attachments/{photo.id}").headers["content-type"] == "image/jpeg"

    for action, data in (
        ("accept", {}),
        ("note", {"body": "内部：嫌疑人疑似前员工"}),
        ("reply", {"body": "已加强夜间巡逻"}),
        ("close", {"summary": "抓获嫌疑人一名，追回电缆"}),
    ):
        response = post(client, f"/requests/{found.id}/{action}", data, follow_redirects=False)
        assert response.status_code == 303, (action, response.text)
    events = client.get(f"/requests/{found.id}").text
    assert "内部：嫌疑人疑似前员工" in events and "已办结" in events

    tracked = track(public, number, "5678").text
    assert "已加强夜间巡逻" in tracked and "抓获嫌疑人一名" in tracked
    assert "嫌疑人疑似前员工" not in tracked  # internal notes stay inside
    post(
        public,
        "/track/rate",
        {"tracking_no": number, "last4": "5678", "satisfaction": "不满意", "reason": "仍有人翻墙"},
    )
    db.refresh(found)
    assert (found.status, found.reopened) == ("办理中", True)
    assert number in client.get("/requests").text  # back in the officer's inbox
    post(client, f"/requests/{found.id}/close", {"summary": "已更换监控并回访"})
    post(public, "/track/rate", {"tracking_no": number, "last4": "5678", "satisfaction": "满意"})
    db.refresh(found)
    assert (found.status, found.satisfaction) == ("已办结", "满意")


def test_a_step_refused_explains_itself_next_to_its_field_and_changes_nothing(client, db):
    officer = make_officer(db)
    request = new_request(db, make_project(db, officer=officer))
    login_as(client, db, Role.OFFICER, officer=officer)
    declined = post(client, f"/requests/{request.id}/decline", {"reason": " "})
    assert declined.status_code == 422 and "请填写不予受理的理由" in declined.text
    early = post(client, f"/requests/{request.id}/close", {"summary": "办完了"})
    assert early.status_code == 422 and "不能执行此操作" in early.text
    db.refresh(request)
    assert request.status == "待受理" and request.first_response_at is None


def test_the_duty_desk_is_the_leaders_until_a_transfer_routes_it(client, db):
    station, other = make_station(db), make_station(db)
    chief_officer, officer = make_officer(db, station), make_officer(db, station)
    request = new_request(db, content="咨询企业开业需要办理哪些治安手续")
    chief = second_browser(client)
    login_as(chief, db, Role.CHIEF, officer=chief_officer)
    assert chief.get(f"/requests/{request.id}").status_code == 404

    login_as(client, db, Role.LEADER)
    assert request.tracking_no in client.get("/requests?box=duty").text
    assert request.tracking_no in client.get("/requests").text  # the leaders' own box
    refused = post(client, f"/requests/{request.id}/transfer", {"to": f"s{station.id}"})
    assert refused.status_code == 422 and "请填写转办原因" in refused.text
    moved = post(
        client, f"/requests/{request.id}/transfer", {"to": f"s{station.id}", "reason": "辖区"}
    )
    assert f"已转办给 {station.name}" in moved.text  # the flash says what happened, and to whom
    db.refresh(request)
    assert (request.station_id, request.officer_id) == (station.id, None)

    assert request.tracking_no in chief.get("/requests").text
    moved = post(
        chief, f"/requests/{request.id}/transfer", {"to": f"o{officer.id}", "reason": "指派"}
    )
    assert f"已转办给 {officer.name}" in moved.text
    db.refresh(request)
    assert request.officer_id == officer.id
    stranger = second_browser(client)
    login_as(stranger, db, Role.CHIEF, officer=make_officer(db, other))
    assert stranger.get(f"/requests/{request.id}").status_code == 404
    for action in inbox.ACTIONS:
        response = post(stranger, f"/requests/{request.id}/{action}", {"reason": "x", "to": "duty"})
        assert response.status_code == 404, action


def test_an_officer_acts_only_on_requests_routed_to_them(client, db):
    station = make_station(db)
    mine, colleague = make_officer(db, station), make_officer(db, station)
    theirs = new_request(db, make_project(db, station, officer=colleague))
    login_as(client, db, Role.OFFICER, officer=mine)
    assert client.get(f"/requests/{theirs.id}").status_code == 200  # same station: may read
    assert theirs.tracking_no not in client.get("/requests").text  # not in my box
    assert post(client, f"/requests/{theirs.id}/accept").status_code == 403
    db.refresh(theirs)
    assert theirs.status == "待受理"


def test_the_desk_shows_what_has_breached_first_then_what_is_about_to(client, db, travel):
    officer = make_officer(db)
    project = make_project(db, officer=officer)
    oldest = new_request(db, project, content="第一件：两天前提交")
    travel.advance(hours=22)
    middle = new_request(db, project, content="第二件：将要超时")
    travel.advance(hours=21)
    newest = new_request(db, project, content="第三件：刚刚提交")
    login_as(client, db, Role.OFFICER, officer=officer)
    page = client.get("/requests").text
    order = [page.index(r.tracking_no) for r in (oldest, middle, newest)]
    assert order == sorted(order)
    counts = re.sub(r"\s+", " ", page.split('data-testid="desk-counts"')[1].split("</div>")[0])
    assert "1</strong> 已超时" in counts and "1</strong> 即将超时" in counts
    assert "3</strong> 待受理" in counts
    home = client.get("/home").text.split('data-testid="home-desk"')[1]
    assert "1 件已超时" in home and "1 件即将超时" in home
    assert home.index(oldest.tracking_no) < home.index(newest.tracking_no)
    breached = client.get("/requests?urgency=已超时").text
    assert oldest.tracking_no in breached and newest.tracking_no not in breached


def test_an_enterprise_contact_submits_as_itself_and_sees_only_its_own(client, db):
    enterprise = make_enterprise(db)
    officer = make_officer(db)
    project = make_project(db, officer=officer, enterprise=enterprise)
    from_poster = new_request(db, project, content="工人反映：该企业拖欠工资")
    contact = login_as(client, db, Role.ENTERPRISE, enterprise=enterprise)
    form = client.get("/requests/new").text
    assert contact.display_name in form and enterprise.name in form
    key = re.search(r'name="submission_key" value="([0-9a-f]+)"', form).group(1)
    created = post(
        client,
        "/requests/new",
        {
            "type": "咨询",
            "topic": "涉企服务",
            "content": "新厂区开业前需要备案哪些安保事项",
            "name": contact.display_name,
            "phone": "13955556666",
            "submission_key": key,
        },
        follow_redirects=False,
    )
    assert created.status_code == 303
    mine = db.exec(select(ServiceRequest).where(ServiceRequest.created_by_id == contact.id)).one()
    assert (mine.enterprise_id, mine.channel) == (enterprise.id, "网页")
    listing = client.get("/requests").text
    assert mine.tracking_no in listing and from_poster.tracking_no not in listing
    assert client.get(f"/requests/{from_poster.id}").status_code == 404
    assert post(client, f"/requests/{mine.id}/accept").status_code == 403

    service.accept(db, mine, by_user_id=None)
    service.reply(db, mine, "内部：需消防备案", public=False, by_user_id=None)
    service.close(db, mine, "已电话告知备案清单", by_user_id=None)
    db.commit()
    page = client.get(f"/requests/{mine.id}").text
    assert "已电话告知备案清单" in page and "需消防备案" not in page
    post(client, f"/requests/{mine.id}/rate", {"satisfaction": "基本满意"})
    db.refresh(mine)
    assert mine.satisfaction == "基本满意"

    other = second_browser(client)
    login_as(other, db, Role.ENTERPRISE)
    assert other.get(f"/requests/{mine.id}").status_code == 404


def test_staff_log_a_phone_call_for_a_project_and_it_goes_to_its_officer(client, db):
    station = make_station(db)
    officer = make_officer(db, station)
    project = make_project(db, station, officer=officer)
    login_as(client, db, Role.CHIEF, officer=make_officer(db, station))
    data = {
        "channel": "电话",
        "type": "投诉",
        "topic": "治安秩序",
        "content": "施工噪音扰民，夜里十一点还在打桩",
        "name": "周女士",
        "phone": "13700001111",
    }
    unknown = post(client, "/requests/new", {**data, "project_code": "XM-NONE"})
    assert unknown.status_code == 422 and "没有这个项目编号" in unknown.text
    post(client, "/requests/new", {**data, "project_code": project.code})
    logged = db.exec(select(ServiceRequest)).one()
    assert (logged.channel, logged.officer_id, logged.project_id) == (
        "电话",
        officer.id,
        project.id,
    )


def test_an_officer_who_logs_a_call_without_a_project_lands_where_he_may_look(client, db):
    """Found by hand at phone size: without a project the call goes to the bureau's duty desk,
    which an officer does not reach; the page he was sent to answered 404."""
    login_as(client, db, Role.OFFICER, officer=make_officer(db))
    data = {
        "channel": "电话",
        "type": "咨询",
        "content": "问夜间施工许可怎么办",
        "name": "周女士",
        "phone": "13700001111",
    }
    page = post(client, "/requests/new", data)
    logged = db.exec(select(ServiceRequest)).one()
    assert page.status_code == 200 and page.url.path == "/requests"
    assert f"受理编号 {logged.tracking_no}" in page.text and "分局值班台" in page.text


def test_requests_appear_on_their_projects_page_and_timeline(client, db):
    officer = make_officer(db)
    project = make_project(db, officer=officer)
    request = new_request(db, project)
    login_as(client, db, Role.OFFICER, officer=officer)
    page = client.get(f"/projects/{project.id}").text
    assert f'href="/requests/{request.id}"' in page and f"收到求助 {request.tracking_no}" in page


def test_the_public_cannot_list_or_open_requests(client, db):
    request = new_request(db)
    for url in ("/requests", f"/requests/{request.id}", "/requests/new"):
        response = client.get(url, follow_redirects=False)
        assert response.status_code == 303 and "/login" in response.headers["location"]
    submit_public(client)  # the public form still works


def test_an_enterprise_contact_ties_a_request_to_one_of_its_projects_and_no_other(client, db):
    enterprise, other = make_enterprise(db), make_enterprise(db)
    officer = make_officer(db)
    ours = make_project(db, officer=officer, enterprise=enterprise, name="星河二期")
    theirs = make_project(db, enterprise=other, name="别家项目")
    contact = login_as(client, db, Role.ENTERPRISE, enterprise=enterprise)
    page = read("http://testserver/requests/new", client.get("/requests/new").text)
    [form] = [f for f in page.forms if f.action.endswith("/requests/new")]
    [projects] = [s for s in form.selects if s.name == "project_code"]
    assert projects.options == ["", ours.code]  # its own active projects only
    sent = dict(form.as_sent(project_code=ours.code))
    sent.update(content="新厂区开业前需要备案哪些安保事项", phone="13955556666", type="咨询")
    assert post(client, "/requests/new", sent, follow_redirects=False).status_code == 303
    mine = db.exec(select(ServiceRequest).where(ServiceRequest.created_by_id == contact.id)).one()
    assert (mine.project_id, mine.officer_id) == (ours.id, officer.id)  # straight to its officer
    crafted = post(client, "/requests/new", {**sent, "project_code": theirs.code})
    assert crafted.status_code == 422 and "没有这个项目编号" in crafted.text


def test_staff_find_a_request_by_its_number_as_read_out_over_the_phone(client, db):
    request, other = new_request(db), new_request(db)
    login_as(client, db, Role.LEADER)
    spoken = request.tracking_no.lower().replace("-", " ").replace("0", "o")
    page = client.get("/requests", params={"box": "all", "q": spoken}).text
    assert request.tracking_no in page and other.tracking_no not in page
