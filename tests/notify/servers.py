"""The outside world the sender talks to, started by the tests' fixtures: an SMTP server
(aiosmtpd) that keeps each mail, and an HTTP server standing for the SMS gateway and the group
robots that records each request and answers as a test tells it. And the staff users it
writes to, with their addresses and the channels they chose, written as set-up."""

import json
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, cast
from urllib.parse import parse_qsl, urlsplit

import sqlalchemy as sa
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword
from aiosmtpd.smtp import Session as SMTPSession
from sqlmodel import Session, col, select

from liaison.auth.models import User
from liaison.auth.roles import Role
from liaison.config import Settings, get_settings
from liaison.db import get_engine
from liaison.notify import service
from liaison.notify.kinds import Kind
from liaison.notify.models import Channel, Delivery, NotifySettings, Preference
from tests.factories import make_user

SMTP_USER, SMTP_PASSWORD = "liaison", "smtp-password-for-tests"


def free_port() -> int:
    """A port nothing listens on (a closed port, until something takes it)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


# ---- SMTP ---------------------------------------------------------------------------------


@dataclass
class Mailbox:
    """What the SMTP server received: each mail as parsed by a mail client, and the logins."""

    port: int
    envelopes: list[Envelope] = field(default_factory=list)
    logins: list[str] = field(default_factory=list)

    @property
    def mails(self) -> list[EmailMessage]:
        return [
            cast(EmailMessage, message_from_bytes(e.original_content or b"", policy=policy.default))
            for e in self.envelopes
        ]

    async def handle_DATA(self, server: SMTP, session: SMTPSession, envelope: Envelope) -> str:
        self.envelopes.append(envelope)
        return "250 OK"

    def __call__(
        self, server: SMTP, session: SMTPSession, envelope: Envelope, mechanism: str, data: Any
    ) -> AuthResult:
        """The authenticator: one account, as a bureau's mail server would have."""
        assert isinstance(data, LoginPassword)
        accepted = (data.login, data.password) == (SMTP_USER.encode(), SMTP_PASSWORD.encode())
        if accepted:
            self.logins.append(data.login.decode())
        return AuthResult(success=accepted, handled=False)  # aiosmtpd answers 235 or 535


@contextmanager
def serving_smtp() -> Iterator[Mailbox]:
    """An SMTP server on a free port while the block runs, with one account (SMTP_USER)."""
    mailbox = Mailbox(port=free_port())
    controller = Controller(
        mailbox,
        hostname="127.0.0.1",
        port=mailbox.port,
        authenticator=mailbox,
        auth_require_tls=False,  # the test server has no certificate; production uses STARTTLS
    )
    controller.start()
    try:
        yield mailbox
    finally:
        controller.stop()


# ---- HTTP ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Received:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: Any  # the JSON sent


class Recorder:
    """A local HTTP server that records each request and gives the answer it is told to."""

    def __init__(self) -> None:
        self.received: list[Received] = []
        self.status, self.answer = 200, b'{"code": 0, "errcode": 0, "errmsg": "ok"}'
        self.delay = 0.0  # seconds before each answer: a slow gateway
        self._lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _RecordingHandler)
        self.server.recorder = self  # type: ignore[attr-defined]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def answers(self, status: int = 200, body: Any = None) -> None:
        """Answer each request from now on with this status and JSON body (or text)."""
        self.status = status
        self.answer = body.encode() if isinstance(body, str) else json.dumps(body).encode()

    def record(self, received: Received) -> tuple[int, bytes]:
        time.sleep(self.delay)
        with self._lock:
            self.received.append(received)
            return self.status, self.answer


class _RecordingHandler(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        parts = urlsplit(self.path)
        length = int(self.headers.get("Content-Length", 0))
        received = Received(
            method=self.command,
            path=parts.path,
            query=dict(parse_qsl(parts.query)),
            headers={k.lower(): v for k, v in self.headers.items()},
            body=json.loads(self.rfile.read(length) or b"null"),
        )
        status, answer = self.server.recorder.record(received)  # type: ignore[attr-defined]
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, format: str, *args: Any) -> None:
        pass  # the test reads what was received, not a log


@contextmanager
def serving_http() -> Iterator[Recorder]:
    """An HTTP server on a free port while the block runs, answering `{"code": 0}`."""
    recorder = Recorder()
    thread = threading.Thread(target=recorder.server.serve_forever, daemon=True)
    thread.start()
    try:
        yield recorder
    finally:
        recorder.server.shutdown()
        recorder.server.server_close()


# ---- the people and the settings ----------------------------------------------------------


def sending_settings(**changes: Any) -> Settings:
    """The test's settings with the channels' own (smtp_host, sms_url...) changed."""
    return get_settings().model_copy(update=changes)


def recipient(
    db: Session,
    *channels: Channel,
    kind: Kind = Kind.REQUEST_ROUTED,
    email: str = "officer@example.gov.cn",
    phone: str = "13912345678",
    quiet: bool = False,
) -> User:
    """An officer's login with these addresses, who chose `channels` for `kind`."""
    user = make_user(db, Role.OFFICER)
    assert user.id is not None
    # A Core insert: the audit log cannot yet write a row's time of day (quiet_from), which
    # is the preferences page's to fix, not this set-up's.
    db.execute(
        sa.insert(NotifySettings).values(user_id=user.id, email=email, phone=phone, quiet=quiet)
    )
    db.add(Preference(user_id=user.id, kind=kind.value, channels=",".join(channels)))
    db.commit()
    return user


def notify_committed(users: list[User], message: service.Message) -> None:
    """notify() in a transaction of its own, committed, as a service's change would be."""
    with Session(get_engine()) as session:
        service.notify(session, [u.id for u in users if u.id is not None], message)
        session.commit()


def deliveries(db: Session) -> list[Delivery]:
    """Every delivery as the database holds it now, oldest first."""
    db.expire_all()
    return list(db.exec(select(Delivery).order_by(col(Delivery.id))).all())
