"""A notification by SMS, from notify() to the signed request the SMS gateway receives."""

import hashlib
import hmac
from collections.abc import Iterator

import pytest
from sqlmodel import Session

from liaison.config import Settings
from liaison.notify import sending
from liaison.notify.channels import SMS_MAX_CHARS
from liaison.notify.kinds import Kind
from liaison.notify.models import Channel, Delivery, DeliveryState
from liaison.notify.service import Message
from tests.notify.servers import (
    Received,
    Recorder,
    deliveries,
    free_port,
    notify_committed,
    recipient,
    sending_settings,
    serving_http,
)

PHONE = "13912345678"
LINK = "https://liaison.example.gov.cn/requests/12"


@pytest.fixture
def gateway() -> Iterator[Recorder]:
    with serving_http() as recorder:
        yield recorder


def sms_settings(gateway: Recorder) -> Settings:
    return sending_settings(
        sms_url=f"{gateway.url}/sms/send",
        sms_account="yyga-liaison",
        sms_key="sms-key-for-tests",
        sms_signature="【项目警官】",
        public_url="https://liaison.example.gov.cn",
    )


def expected_sign(received: Received, key: str) -> str:
    """The signature as the gateway checks it: HMAC-SHA256 of account, mobile, timestamp,
    nonce and content, in hex."""
    body = received.body
    signed = body["account"] + body["mobile"] + body["timestamp"] + body["nonce"] + body["content"]
    return hmac.new(key.encode(), signed.encode(), hashlib.sha256).hexdigest()


def test_notification_arrives_by_sms_signed_with_its_title_and_link(
    db: Session, gateway: Recorder
) -> None:
    user = recipient(db, Channel.SMS, phone=PHONE)
    subject = "工地门口车辆乱停，联系人 13812345678"
    notify_committed([user], Message(Kind.REQUEST_ROUTED, subject, "/requests/12", body="正文"))

    assert sending.send_due(sms_settings(gateway)) == 1

    (received,) = gateway.received
    assert (received.method, received.path) == ("POST", "/sms/send")
    assert received.headers["content-type"] == "application/json"
    body = received.body
    assert (body["account"], body["mobile"]) == ("yyga-liaison", PHONE)
    assert (
        body["content"]
        == f"【项目警官】诉求转至您处办理：工地门口车辆乱停，联系人 138****5678 {LINK}"
    )
    assert "正文" not in body["content"]  # an SMS is the title and the link
    assert body["timestamp"].isdigit() and len(body["nonce"]) == 16
    assert body["sign"] == expected_sign(received, "sms-key-for-tests")
    (delivery,) = deliveries(db)
    assert delivery.state == DeliveryState.SENT


def test_long_sms_is_cut_in_its_words_never_in_its_link(db: Session, gateway: Recorder) -> None:
    user = recipient(db, Channel.SMS)
    notify_committed([user], Message(Kind.REQUEST_ROUTED, "很长的诉求" * 40, "/requests/12"))

    sending.send_due(sms_settings(gateway))

    content = gateway.received[0].body["content"]
    assert len(content) == SMS_MAX_CHARS
    assert content.startswith("【项目警官】诉求转至您处办理：很长的诉求")
    assert content.endswith(f"… {LINK}")


def test_gateway_refusal_is_kept_with_the_number_masked(db: Session, gateway: Recorder) -> None:
    gateway.answers(200, {"code": 1001, "msg": f"号码{PHONE}已停机"})
    notify_committed(
        [recipient(db, Channel.SMS, phone=PHONE)], Message(Kind.REQUEST_ROUTED, "x", "/r")
    )

    assert sending.send_due(sms_settings(gateway)) == 0

    (delivery,) = deliveries(db)
    assert delivery.state == DeliveryState.PENDING
    assert delivery.last_error == "短信网关：code 1001 号码139****5678已停机"


def test_gateway_error_status_is_a_refusal(db: Session, gateway: Recorder) -> None:
    gateway.answers(503, "Service Unavailable")
    notify_committed([recipient(db, Channel.SMS)], Message(Kind.REQUEST_ROUTED, "x", "/r"))

    sending.send_due(sms_settings(gateway))

    assert deliveries(db)[0].last_error == "短信网关：HTTP 503"


def test_gateway_not_listening_is_a_short_error(db: Session) -> None:
    notify_committed([recipient(db, Channel.SMS)], Message(Kind.REQUEST_ROUTED, "x", "/r"))

    sending.send_due(sending_settings(sms_url=f"http://127.0.0.1:{free_port()}/sms"))

    (delivery,) = deliveries(db)
    assert delivery.state == DeliveryState.PENDING
    assert delivery.last_error.startswith("短信网关：连接失败")


def test_sms_to_a_requester_forgets_their_number_once_sent(db: Session, gateway: Recorder) -> None:
    # The desk's SMS to the person who sent a request: no notification, no login.
    db.add(
        Delivery(
            channel=Channel.SMS.value,
            address=PHONE,
            text="您的诉求 YY20261207-AB12-CD34 已答复\nhttps://liaison.example.gov.cn/track",
        )
    )
    db.commit()

    assert sending.send_due(sms_settings(gateway)) == 1

    assert gateway.received[0].body["mobile"] == PHONE
    assert gateway.received[0].body["content"] == (
        "【项目警官】您的诉求 YY20261207-AB12-CD34 已答复 https://liaison.example.gov.cn/track"
    )
    assert deliveries(db)[0].address == "139****5678"
