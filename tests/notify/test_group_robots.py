"""A station's duty group robots, 企业微信 and 钉钉: the message each webhook receives."""

import base64
import hashlib
import hmac
from collections.abc import Iterator

import pytest
from sqlmodel import Session

from liaison.notify import sending
from liaison.notify.models import Channel, Delivery, DeliveryState, DutyRobot
from tests.factories import make_station
from tests.notify.servers import Recorder, deliveries, sending_settings, serving_http

TEXT = (
    "诉求已超过响应时限：YY20261207-AB12-CD34 工地门口车辆乱停\n第一派出所，138****5678\n"
    "/requests/12"
)
SETTINGS = {"public_url": "https://liaison.example.gov.cn"}


@pytest.fixture
def webhook() -> Iterator[Recorder]:
    with serving_http() as recorder:
        recorder.answers(200, {"errcode": 0, "errmsg": "ok"})
        yield recorder


def robot_delivery(db: Session, channel: Channel, url: str, secret: str = "") -> None:
    """A station's robot and a message for it, as the reminders write them."""
    robot = DutyRobot(station_id=make_station(db).id, channel=channel.value, url=url, secret=secret)
    db.add(robot)
    db.commit()
    db.add(
        Delivery(
            channel=channel.value,
            address=f"robot:{robot.id}",
            subject="诉求已超过响应时限：YY20261207-AB12-CD34 工地门口车辆乱停",
            text=TEXT,
        )
    )
    db.commit()


def test_wecom_robot_gets_markdown_with_the_link(db: Session, webhook: Recorder) -> None:
    robot_delivery(db, Channel.WECOM, f"{webhook.url}/cgi-bin/webhook/send?key=KEY-1")

    assert sending.send_due(sending_settings(**SETTINGS)) == 1

    (received,) = webhook.received
    assert (received.path, received.query) == ("/cgi-bin/webhook/send", {"key": "KEY-1"})
    assert received.body == {
        "msgtype": "markdown",
        "markdown": {
            "content": "**诉求已超过响应时限：YY20261207-AB12-CD34 工地门口车辆乱停**\n"
            "第一派出所，138****5678\n"
            "[查看详情](https://liaison.example.gov.cn/requests/12)"
        },
    }


def test_dingtalk_robot_with_a_secret_signs_its_url(db: Session, webhook: Recorder) -> None:
    secret = "SEC0123456789abcdef"
    robot_delivery(db, Channel.DINGTALK, f"{webhook.url}/robot/send?access_token=TOKEN", secret)

    assert sending.send_due(sending_settings(**SETTINGS)) == 1

    (received,) = webhook.received
    assert received.path == "/robot/send"
    assert received.query["access_token"] == "TOKEN"
    timestamp = received.query["timestamp"]
    digest = hmac.new(secret.encode(), f"{timestamp}\n{secret}".encode(), hashlib.sha256).digest()
    assert received.query["sign"] == base64.b64encode(digest).decode()  # url-decoded by the server
    assert received.body == {
        "msgtype": "markdown",
        "markdown": {
            "title": "诉求已超过响应时限：YY20261207-AB12-CD34 工地门口车辆乱停",
            "text": "#### 诉求已超过响应时限：YY20261207-AB12-CD34 工地门口车辆乱停\n\n"
            "第一派出所，138****5678\n\n"
            "[查看详情](https://liaison.example.gov.cn/requests/12)",
        },
    }


def test_dingtalk_robot_without_a_secret_posts_to_its_url_as_set(
    db: Session, webhook: Recorder
) -> None:
    robot_delivery(db, Channel.DINGTALK, f"{webhook.url}/robot/send?access_token=TOKEN")

    sending.send_due(sending_settings(**SETTINGS))

    assert webhook.received[0].query == {"access_token": "TOKEN"}


@pytest.mark.parametrize("channel", [Channel.WECOM, Channel.DINGTALK])
def test_robot_refusal_is_kept_as_the_error(
    db: Session, webhook: Recorder, channel: Channel
) -> None:
    webhook.answers(200, {"errcode": 310000, "errmsg": "sign not match"})
    robot_delivery(db, channel, f"{webhook.url}/hook")

    assert sending.send_due(sending_settings(**SETTINGS)) == 0

    (delivery,) = deliveries(db)
    assert delivery.state == DeliveryState.PENDING
    assert delivery.last_error.endswith("errcode 310000 sign not match")


def test_message_for_a_removed_robot_waits_with_the_reason(db: Session) -> None:
    db.add(Delivery(channel=Channel.WECOM.value, address="robot:999", text="x"))
    db.commit()

    sending.send_due(sending_settings())

    assert deliveries(db)[0].last_error.startswith("值班群机器人已删除")
