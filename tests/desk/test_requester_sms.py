"""The person who sent a request, if they ticked the box on the form, gets an SMS when it is
answered and when it is closed: its tracking number and the tracking page, never its content;
nothing for history entered after the fact, nor once their data is gone."""

from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlmodel import Session, col, select

from liaison.clock import now
from liaison.desk import service
from liaison.desk.models import ServiceRequest
from liaison.notify import sending
from liaison.notify.models import Channel, Delivery, DeliveryState
from tests.desk.test_request_notifications import TYPED, officer_with_login, opens, send_from_form
from tests.factories import make_project, make_station, post
from tests.notify.servers import Recorder, sending_settings, serving_http
from tests.outside.forms import read

PHONE = TYPED["phone"]


@pytest.fixture
def gateway() -> Iterator[Recorder]:
    with serving_http() as recorder:
        yield recorder


def texts(db: Session) -> list[Delivery]:
    db.expire_all()
    return list(db.exec(select(Delivery).order_by(col(Delivery.id))).all())


def _handled_request(client, db, **typed: str) -> tuple[ServiceRequest, str]:  # type: ignore[no-untyped-def]
    """A request sent from a project's QR form, and the page its officer handles it on, open
    in the browser as the officer."""
    station = make_station(db)
    officer, officer_user = officer_with_login(db, station)
    project = make_project(db, station, officer=officer)
    request = send_from_form(client, db, f"/r/{project.code}", **typed)
    assert request is not None
    url = f"/requests/{request.id}"
    opens(client, officer_user, url)
    assert post(client, f"{url}/accept", follow_redirects=False).status_code == 303
    return request, url


def _act(client, url: str, action: str, **data: str) -> None:  # type: ignore[no-untyped-def]
    assert post(client, f"{url}/{action}", data, follow_redirects=False).status_code == 303


def test_the_box_is_on_the_form_and_left_unticked(client, db):
    page = client.get("/r")
    (form,) = [f for f in read(str(page.url), page.text).forms if f.action.endswith("/r")]
    assert "办理进展短信通知我（仅含受理编号和查询链接）" in page.text
    assert 'name="sms_consent"' in page.text
    assert "sms_consent" not in dict(form.as_sent())


def test_who_agreed_gets_the_number_and_the_link_when_answered_and_when_closed(client, db):
    request, url = _handled_request(client, db, sms_consent="on")
    assert texts(db) == []  # accepting it is no answer

    _act(client, url, "reply", body="已联系交警加强巡查")
    _act(client, url, "close", summary="已施划临时停车区，问题解决")

    answered, closed = texts(db)
    number = request.tracking_no
    assert answered.text == f"您的诉求{number}已答复，查询：\n/track?no={number}"
    assert closed.text == f"您的诉求{number}已办结，查询：\n/track?no={number}"
    for sms in (answered, closed):
        assert (sms.channel, sms.address, sms.notification_id) == (Channel.SMS, PHONE, None)
        for words in ("工地", "交警", "停车区", "李经理"):
            assert words not in sms.text and words not in sms.subject


def test_nobody_who_did_not_agree_gets_one(client, db):
    _request, url = _handled_request(client, db)

    _act(client, url, "reply", body="已联系交警加强巡查")
    _act(client, url, "note", body="内部备注")
    _act(client, url, "close", summary="已办结")

    assert texts(db) == []


def test_the_gateway_receives_the_number_and_an_address_it_can_open(client, db, gateway):
    request, url = _handled_request(client, db, sms_consent="on")
    _act(client, url, "reply", body="已联系交警加强巡查")
    settings = sending_settings(
        sms_url=f"{gateway.url}/sms/send",
        sms_account="yyga-liaison",
        sms_key="sms-key-for-tests",
        sms_signature="【项目警官】",
        public_url="https://liaison.example.gov.cn",
    )

    # Past any quiet hours of the night: a person's phone is not woken for an answer.
    assert sending.send_due(settings, at=now() + timedelta(hours=10)) == 1

    (received,) = gateway.received
    number = request.tracking_no
    link = f"https://liaison.example.gov.cn/track?no={number}"
    assert received.body["mobile"] == PHONE
    assert received.body["content"] == f"【项目警官】您的诉求{number}已答复，查询： {link}"
    (sms,) = texts(db)
    assert sms.state == DeliveryState.SENT and PHONE not in sms.address  # sent, forgotten


def test_history_and_a_deidentified_request_get_none(client, db):
    request, url = _handled_request(client, db, sms_consent="on")
    db.expire_all()
    kept = db.get(ServiceRequest, request.id)
    assert kept is not None and kept.sms_consent
    service.reply(db, kept, "已答复", public=True, by_user_id=None, at=now())
    db.commit()
    assert texts(db) == []  # entered with its own moment: its time for an SMS has passed

    kept.deidentified_at = now()
    db.add(kept)
    db.commit()
    _act(client, url, "close", summary="已办结")
    assert texts(db) == []
