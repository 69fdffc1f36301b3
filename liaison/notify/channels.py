"""The outside channels: email over SMTP, SMS through the government platform's HTTP gateway,
and the 企业微信 and 钉钉 group robots, each in its documented format.

`send()` sends one delivery or raises `DeliveryError` with a short reason, which the sender
keeps as the delivery's last error (liaison/notify/sending.py): never the phone number, never
a password. A link the text ends with that is a path (/requests/12) is made absolute with
LIAISON_PUBLIC_URL, as a phone or a mail client cannot open a path.

The SMS gateway (LIAISON_SMS_URL), in the style of the government SMS platforms, so a bureau
can map it onto its own with a small adapter if the names differ:

    POST {sms_url}   Content-Type: application/json; charset=utf-8
    {"account": "<LIAISON_SMS_ACCOUNT>",
     "mobile": "13812345678",
     "content": "【项目警官】诉求转至您处办理：… https://liaison.example.gov.cn/requests/12",
     "timestamp": "1765180800000",          # milliseconds since 1970-01-01 UTC, a string
     "nonce": "9f86d081884c7d65",           # 16 random hex digits, new for each message
     "sign": "<hex HMAC-SHA256>"}

    sign = hex(HMAC-SHA256(key=LIAISON_SMS_KEY,
                           msg=account + mobile + timestamp + nonce + content)), UTF-8, lower case

The answer is taken as accepted when its status is 2xx and its JSON body, if any, has no
"code" or a "code" of 0 (or "0"); its "msg" or "message" says why otherwise. The content is the
signature (LIAISON_SMS_SIGNATURE), the text's first line and its link, in at most
SMS_MAX_CHARS characters: the words are cut, the link never.

The robots (a station's DutyRobot row): 企业微信 群机器人 gets {"msgtype": "markdown",
"markdown": {"content": …}} at its webhook; 钉钉 自定义机器人 gets {"msgtype": "markdown",
"markdown": {"title": …, "text": …}}, its URL signed (加签) when the robot has a secret:
&timestamp=<ms>&sign=<url-encoded base64 of HMAC-SHA256(secret, f"{timestamp}\\n{secret}")>.
Both answer {"errcode": 0, "errmsg": "ok"}; any other errcode is a refusal.
"""

import base64
import hashlib
import hmac
import re
import secrets
import smtplib
import ssl
from collections.abc import Callable
from email.message import EmailMessage
from typing import Any
from urllib.parse import quote_plus

import httpx

from liaison.clock import now
from liaison.config import Settings
from liaison.notify.models import Channel, Delivery, DutyRobot
from liaison.pii import mask_numbers

__all__ = ["Channel", "DeliveryError", "send"]

TIMEOUT_SECONDS = 10.0
# Two parts of a long SMS (67 Chinese characters each once joined): more costs a third part
# and reads worse on a phone.
SMS_MAX_CHARS = 134
# The link a text ends with: an address, or a path of this site.
_LINK = re.compile(r"(?:https?://|(?<!\S)/)\S*$")


class DeliveryError(Exception):
    """The channel refused or did not answer: the delivery is tried again later."""


def send(delivery: Delivery, settings: Settings, robot: DutyRobot | None = None) -> None:
    """Send one delivery on its channel, or raise DeliveryError saying why not."""
    if delivery.channel in (Channel.WECOM, Channel.DINGTALK) and robot is None:
        raise DeliveryError("值班群机器人已删除 (robot removed)")
    SENDERS[Channel(delivery.channel)](delivery, settings, robot)


# ---- email --------------------------------------------------------------------------------


def _send_email(delivery: Delivery, settings: Settings, _robot: DutyRobot | None) -> None:
    if not settings.smtp_host:
        raise DeliveryError("未配置邮件服务器")
    message = EmailMessage()
    message["From"] = settings.smtp_from
    message["To"] = delivery.address
    message["Subject"] = " ".join((delivery.subject or _words(delivery.text)).split())
    message.set_content("\n".join(part for part in _split(delivery.text, settings) if part))
    try:
        with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=TIMEOUT_SECONDS) as smtp:
            if settings.smtp_starttls:
                smtp.starttls(context=ssl.create_default_context())
            if settings.smtp_user:
                smtp.login(settings.smtp_user, settings.smtp_password)
            smtp.send_message(message)
    except (smtplib.SMTPException, OSError) as exc:
        raise DeliveryError(f"邮件服务器：{_smtp_reason(exc)}") from exc


def _smtp_reason(exc: Exception) -> str:
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        return "登录被拒绝 (authentication failed)"
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return "收件人被拒绝 (recipient refused)"
    if isinstance(exc, smtplib.SMTPResponseException):
        error = exc.smtp_error
        words = error.decode(errors="replace") if isinstance(error, bytes) else error
        return f"{exc.smtp_code} {words[:200]}"
    return _network_reason(exc)


def _network_reason(exc: Exception) -> str:
    if isinstance(exc, TimeoutError | httpx.TimeoutException):
        return "超时 (timeout)"
    if isinstance(exc, ConnectionRefusedError | httpx.ConnectError):
        return "连接失败 (connection refused or unreachable)"
    return f"网络错误 ({type(exc).__name__})"


# ---- SMS ----------------------------------------------------------------------------------


def _send_sms(delivery: Delivery, settings: Settings, _robot: DutyRobot | None) -> None:
    if not settings.sms_url:
        raise DeliveryError("未配置短信网关")
    before, link = _split(delivery.text, settings)
    content = _sms_content(_words(before), link, settings.sms_signature)
    _post_json(settings.sms_url, _signed_sms(settings, delivery.address, content), "短信网关")


def _sms_content(words: str, link: str, signature: str) -> str:
    """The signature, the words and the link in SMS_MAX_CHARS: the words are cut, never the
    link."""
    room = SMS_MAX_CHARS - len(signature) - (len(link) + 1 if link else 0)
    if len(words) > room:
        words = words[: max(room - 1, 0)] + "…"
    return signature + " ".join(part for part in (words, link) if part)


def _signed_sms(settings: Settings, mobile: str, content: str) -> dict[str, str]:
    timestamp = str(int(now().timestamp() * 1000))
    nonce = secrets.token_hex(8)
    signed = settings.sms_account + mobile + timestamp + nonce + content
    sign = hmac.new(settings.sms_key.encode(), signed.encode(), hashlib.sha256).hexdigest()
    return {
        "account": settings.sms_account,
        "mobile": mobile,
        "content": content,
        "timestamp": timestamp,
        "nonce": nonce,
        "sign": sign,
    }


# ---- group robots -------------------------------------------------------------------------


def _send_wecom(delivery: Delivery, settings: Settings, robot: DutyRobot | None) -> None:
    assert robot is not None  # send() refuses a robot's delivery without one
    title, lines = _markdown(delivery, settings)
    content = "\n".join([f"**{title}**", *lines])
    payload = {"msgtype": "markdown", "markdown": {"content": content}}
    _post_json(robot.url, payload, "企业微信机器人", code="errcode")


def _send_dingtalk(delivery: Delivery, settings: Settings, robot: DutyRobot | None) -> None:
    assert robot is not None
    title, lines = _markdown(delivery, settings)
    text = "\n\n".join([f"#### {title}", *lines])  # 钉钉's markdown needs a blank line between
    payload = {"msgtype": "markdown", "markdown": {"title": title, "text": text}}
    _post_json(dingtalk_url(robot), payload, "钉钉机器人", code="errcode")


def dingtalk_url(robot: DutyRobot) -> str:
    """The robot's webhook, signed (加签) with its secret when it has one, per 钉钉's docs."""
    if not robot.secret:
        return robot.url
    timestamp = str(int(now().timestamp() * 1000))
    digest = hmac.new(
        robot.secret.encode(), f"{timestamp}\n{robot.secret}".encode(), hashlib.sha256
    ).digest()
    sign = quote_plus(base64.b64encode(digest).decode())
    joiner = "&" if "?" in robot.url else "?"
    return f"{robot.url}{joiner}timestamp={timestamp}&sign={sign}"


def _markdown(delivery: Delivery, settings: Settings) -> tuple[str, list[str]]:
    """A robot message's title, and its lines after it down to the link to the record."""
    before, link = _split(delivery.text, settings)
    lines = [line.strip() for line in before.splitlines() if line.strip()]
    title = delivery.subject or (lines[0] if lines else "")
    if lines and lines[0] == title:
        lines = lines[1:]
    return title, [*lines, *([f"[查看详情]({link})"] if link else [])]


# ---- shared -------------------------------------------------------------------------------


def _words(text: str) -> str:
    """The first line with words in it."""
    return next((line.strip() for line in text.splitlines() if line.strip()), "")


def _split(text: str, settings: Settings) -> tuple[str, str]:
    """The text before the link it ends with, and that link: a path (/requests/12) made an
    address a phone can open with LIAISON_PUBLIC_URL."""
    text = text.rstrip()
    found = _LINK.search(text)
    if not found:
        return text, ""
    link = found.group()
    if link.startswith("/") and settings.public_url:
        link = settings.public_url.rstrip("/") + link
    return text[: found.start()].rstrip(), link


def _post_json(url: str, payload: dict[str, Any], who: str, *, code: str = "code") -> None:
    """POST the payload as JSON; DeliveryError for no answer, a status not 2xx, or a JSON
    answer whose `code` is not 0 (its "msg", "message" or "errmsg" saying why)."""
    try:
        response = httpx.post(url, json=payload, timeout=TIMEOUT_SECONDS)
    except httpx.HTTPError as exc:
        raise DeliveryError(f"{who}：{_network_reason(exc)}") from exc
    if not response.is_success:
        raise DeliveryError(f"{who}：HTTP {response.status_code}")
    try:
        answer = response.json()
    except ValueError:
        return  # a 2xx without JSON: accepted
    if not isinstance(answer, dict) or answer.get(code, 0) in (0, "0"):
        return
    why = answer.get("msg") or answer.get("message") or answer.get("errmsg") or ""
    refusal = f"{who}：{code} {answer[code]} {why}".strip()
    raise DeliveryError(mask_numbers(refusal)[:300])  # a gateway may quote the number


SENDERS: dict[Channel, Callable[[Delivery, Settings, DutyRobot | None], None]] = {
    Channel.EMAIL: _send_email,
    Channel.SMS: _send_sms,
    Channel.WECOM: _send_wecom,
    Channel.DINGTALK: _send_dingtalk,
}
