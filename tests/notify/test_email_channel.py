"""A notification by mail, from notify() to the mail an SMTP server receives."""

from collections.abc import Iterator

import pytest
from sqlmodel import Session

from liaison.notify import sending
from liaison.notify.kinds import Kind
from liaison.notify.models import Channel, DeliveryState
from liaison.notify.service import Message
from tests.notify.servers import (
    SMTP_PASSWORD,
    SMTP_USER,
    Mailbox,
    deliveries,
    free_port,
    notify_committed,
    recipient,
    sending_settings,
    serving_smtp,
)

ROUTED = Message(Kind.REQUEST_ROUTED, "工地门口车辆乱停，联系人 13812345678", "/requests/12")


@pytest.fixture
def smtp_server() -> Iterator[Mailbox]:
    with serving_smtp() as mailbox:
        yield mailbox


def test_notification_arrives_by_mail_in_chinese_with_its_link(
    db: Session, smtp_server: Mailbox
) -> None:
    user = recipient(db, Channel.EMAIL, email="zhang@example.gov.cn")
    notify_committed([user], ROUTED)
    settings = sending_settings(
        smtp_host="127.0.0.1",
        smtp_port=smtp_server.port,
        smtp_from="liaison@example.gov.cn",
        public_url="https://liaison.example.gov.cn",
    )

    assert sending.send_due(settings) == 1

    (mail,) = smtp_server.mails
    assert smtp_server.envelopes[0].rcpt_tos == ["zhang@example.gov.cn"]
    assert mail["From"] == "liaison@example.gov.cn"
    assert mail["To"] == "zhang@example.gov.cn"
    assert mail["Subject"] == "诉求转至您处办理：工地门口车辆乱停，联系人 138****5678"
    body = mail.get_content()
    assert "诉求转至您处办理：工地门口车辆乱停" in body
    assert "https://liaison.example.gov.cn/requests/12" in body
    assert "13812345678" not in mail.as_string() + body  # masked in the app, masked in the mail
    (delivery,) = deliveries(db)
    assert (delivery.state, delivery.attempts, delivery.last_error) == ("sent", 1, "")
    assert delivery.sent_at is not None


def test_mail_server_with_an_account_is_logged_in_to(db: Session, smtp_server: Mailbox) -> None:
    notify_committed([recipient(db, Channel.EMAIL)], ROUTED)
    settings = sending_settings(
        smtp_host="127.0.0.1",
        smtp_port=smtp_server.port,
        smtp_user=SMTP_USER,
        smtp_password=SMTP_PASSWORD,
    )

    assert sending.send_due(settings) == 1

    assert smtp_server.logins == [SMTP_USER]
    assert len(smtp_server.mails) == 1


def test_wrong_mail_password_is_kept_as_the_error_without_the_password(
    db: Session, smtp_server: Mailbox
) -> None:
    notify_committed([recipient(db, Channel.EMAIL)], ROUTED)
    settings = sending_settings(
        smtp_host="127.0.0.1",
        smtp_port=smtp_server.port,
        smtp_user=SMTP_USER,
        smtp_password="not-the-password",
    )

    assert sending.send_due(settings) == 0

    (delivery,) = deliveries(db)
    assert delivery.state == DeliveryState.PENDING
    assert "登录被拒绝" in delivery.last_error
    assert "not-the-password" not in delivery.last_error
    assert smtp_server.mails == []


def test_mail_waits_while_no_mail_server_is_set(db: Session) -> None:
    notify_committed([recipient(db, Channel.EMAIL)], ROUTED)

    assert sending.send_due(sending_settings(smtp_host="")) == 0

    (delivery,) = deliveries(db)
    assert (delivery.state, delivery.last_error) == ("pending", "未配置邮件服务器")


def test_mail_server_not_listening_is_a_short_error(db: Session) -> None:
    notify_committed([recipient(db, Channel.EMAIL)], ROUTED)

    sending.send_due(sending_settings(smtp_host="127.0.0.1", smtp_port=free_port()))

    (delivery,) = deliveries(db)
    assert delivery.state == DeliveryState.PENDING
    assert delivery.last_error.startswith("邮件服务器：连接失败")
