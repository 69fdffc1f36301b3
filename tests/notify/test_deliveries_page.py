"""The system administrator's outbox (/admin/deliveries) and the duty groups' robots
(/admin/robots), as the administrator uses them."""

from sqlmodel import select

from liaison.auth.roles import Role
from liaison.notify.models import Delivery, DeliveryState, DutyRobot
from tests.factories import login_as, make_station, post
from tests.outside.forms import read


def delivery(db, **fields):  # type: ignore[no-untyped-def]
    row = Delivery(
        **{"channel": "sms", "address": "13800138000", "subject": "诉求已超过响应时限", "text": "t"}
        | fields
    )
    db.add(row)
    db.commit()
    return row


def test_pending_and_failed_are_listed_with_masked_addresses(client, db):
    delivery(db)
    delivery(
        db,
        channel="email",
        address="wang@example.gov.cn",
        state="failed",
        attempts=5,
        last_error="550 mailbox unavailable",
    )
    delivery(db, subject="已发出的", state="sent")
    login_as(client, db, Role.ADMIN)
    page = client.get("/admin/deliveries")
    assert page.status_code == 200
    assert page.text.count('data-testid="delivery"') == 2 and "已发出的" not in page.text
    assert "138****8000" in page.text and "13800138000" not in page.text
    assert "w***@example.gov.cn" in page.text and "550 mailbox unavailable" in page.text
    (form,) = [f for f in read(str(page.url), page.text).forms if f.method == "get"]
    assert client.get("/admin/deliveries", params=form.as_sent()).status_code == 200
    failed = client.get("/admin/deliveries", params=form.as_sent(state="failed")).text
    assert failed.count('data-testid="delivery"') == 1
    sms = client.get("/admin/deliveries", params=form.as_sent(channel="sms")).text
    assert sms.count('data-testid="delivery"') == 1 and "138****8000" in sms


def test_a_failed_delivery_is_retried_from_its_button(client, db):
    failed = delivery(db, state="failed", attempts=5, last_error="timeout")
    pending = delivery(db)
    login_as(client, db, Role.ADMIN)
    page = client.get("/admin/deliveries")
    retries = [f for f in read(str(page.url), page.text).forms if f.action.endswith("/retry")]
    assert [f.action for f in retries] == [f"http://testserver/admin/deliveries/{failed.id}/retry"]
    answer = client.post(retries[0].action, data=dict(retries[0].fields))
    assert "已重新排队发送" in answer.text
    db.refresh(failed)
    assert (failed.state, failed.attempts) == (DeliveryState.PENDING.value, 0)
    refused = post(client, f"/admin/deliveries/{pending.id}/retry")
    assert "只有发送失败的消息可以重试" in refused.text
    assert post(client, "/admin/deliveries/999999/retry").status_code == 404


def test_only_the_system_administrator_sees_the_outbox(client, db):
    for role in (Role.SECURITY, Role.AUDITOR, Role.LEADER, Role.OFFICER):
        client.cookies.clear()
        login_as(client, db, role)
        assert client.get("/admin/deliveries").status_code == 403, role
        assert client.get("/admin/robots").status_code == 403, role


def robot_form(client, place):  # type: ignore[no-untyped-def]
    page = client.get("/admin/robots")
    forms = read(str(page.url), page.text).forms
    (form,) = [
        f for f in forms if f.action.endswith("/admin/robots") and ("place", place) in f.fields
    ]
    return form


def send(client, form, **values):  # type: ignore[no-untyped-def]
    data = {k: v for k, v in form.as_sent()} | values
    return client.post(form.action, data=data)


def test_a_stations_robot_is_set_and_its_secret_never_shown_again(client, db):
    station = make_station(db)
    login_as(client, db, Role.ADMIN)
    form = robot_form(client, str(station.id))
    url = "https://oapi.dingtalk.com/robot/send?access_token=abc123"
    answer = send(client, form, channel="dingtalk", url=url, secret="SECabcdef")
    assert "已保存值班群机器人" in answer.text
    assert "SECabcdef" not in answer.text and "abc123" not in answer.text
    robot = db.exec(select(DutyRobot).where(DutyRobot.station_id == station.id)).one()
    assert (robot.channel, robot.url, robot.secret) == ("dingtalk", url, "SECabcdef")
    # Saved again with both left blank: the channel changes, the URL and secret stay.
    send(client, robot_form(client, str(station.id)), channel="wecom")
    db.refresh(robot)
    assert (robot.channel, robot.url, robot.secret) == ("wecom", url, "SECabcdef")


def test_the_duty_desks_robot_has_no_station(client, db):
    login_as(client, db, Role.ADMIN)
    url = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k1"
    send(client, robot_form(client, "desk"), channel="wecom", url=url)
    robot = db.exec(select(DutyRobot)).one()
    assert robot.station_id is None and robot.url == url
    page = client.get("/admin/robots")
    (remove,) = [f for f in read(str(page.url), page.text).forms if f.action.endswith("/remove")]
    client.post(remove.action, data=dict(remove.fields))
    assert db.exec(select(DutyRobot)).first() is None


def test_a_robot_without_an_https_address_is_refused(client, db):
    station = make_station(db)
    login_as(client, db, Role.ADMIN)
    form = robot_form(client, str(station.id))
    answer = send(client, form, channel="wecom", url="http://example.com/hook")
    assert answer.status_code == 422 and "https://" in answer.text
    assert send(client, form, channel="wecom", url="").status_code == 422
    assert db.exec(select(DutyRobot)).first() is None
    assert send(client, form, place="99999", url="https://x.example/h").status_code == 404
