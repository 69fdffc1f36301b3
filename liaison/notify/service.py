"""`notify()`: the one way a notification is made, with its deliveries; reading and marking.

A notification is written in the caller's transaction, beside the change that causes it, so it
exists exactly when the change does. Each outside channel the person chose gets a `Delivery`,
which the job engine sends after the commit (liaison/notify/sending.py): never from here, where
a slow mail server would hold the change's transaction open.
"""

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Annotated, Any

import sqlalchemy as sa
from pydantic import BaseModel, Field
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, func, select

from liaison.clock import LOCAL_TZ, local, now
from liaison.fields import matching
from liaison.notify.kinds import Kind
from liaison.notify.models import (
    PERSONAL_CHANNELS,
    Channel,
    Delivery,
    DeliveryState,
    DutyRobot,
    Notification,
    NotifySettings,
    Preference,
    Reminder,
)
from liaison.org.schemas import MOBILE_PATTERN
from liaison.pii import mask_numbers

# The outside channels a kind goes to when its user chose nothing: breaches and escalations
# by SMS and mail, the morning digest by mail, everything else in the app only.
DEFAULT_CHANNELS: dict[Kind, frozenset[Channel]] = {
    kind: frozenset(PERSONAL_CHANNELS) if kind.urgent else frozenset() for kind in Kind
} | {Kind.DIGEST: frozenset({Channel.EMAIL}), Kind.MONTHLY_BRIEF: frozenset({Channel.EMAIL})}


@dataclass(frozen=True)
class Message:
    """What a notification says: the kind's title with the record's words, and where it leads."""

    kind: Kind
    subject: str  # the record in a few words: "YY20261207-AB12-CD34 工地门口车辆乱停"
    url: str
    body: str = ""

    @property
    def title(self) -> str:
        return f"{self.kind.label}：{self.subject}" if self.subject else self.kind.label


def notify(
    session: Session, user_ids: Iterable[int], message: Message, *, at: datetime | None = None
) -> list[Notification]:
    """Tell each user (once, however often listed) in the app, and queue the outside channels
    they chose. Free text is masked: a notification travels further than the record. A change
    entered with its own past moment (`at`: the demo, history) is told in the app only: its
    moment for a mail or an SMS has passed."""
    return notify_all(session, [(user_ids, message)], at=at)


def notify_all(
    session: Session,
    told: Sequence[tuple[Iterable[int], Message]],
    *,
    at: datetime | None = None,
) -> list[Notification]:
    """`notify` for many messages at once, in one insert and two look-ups: what a scan that
    finds thousands of reminders sends."""
    made = [
        Notification(
            user_id=user,
            kind=message.kind.value,
            title=mask_numbers(message.title)[:200],
            body=mask_numbers(message.body)[:500],
            url=message.url,
            created_at=at or now(),
        )
        for users, message in told
        for user in sorted(set(users))
    ]
    if not made:
        return []
    session.add_all(made)
    session.flush()
    if at is None:
        _queue_deliveries(session, made)
    return made


def _queue_deliveries(session: Session, made: list[Notification]) -> None:
    users = sorted({n.user_id for n in made})
    chosen = _chosen(session, users)
    addresses = {
        s.user_id: s
        for s in session.exec(select(NotifySettings).where(col(NotifySettings.user_id).in_(users)))
    }
    moment = now()
    for notification in made:
        kind = Kind(notification.kind)
        settings = addresses.get(notification.user_id)
        for channel in chosen.get((notification.user_id, kind), DEFAULT_CHANNELS[kind]):
            address = _address(settings, channel)
            if not address:
                continue
            session.info["deliveries"] = True  # liaison/jobs.py sends them after the commit
            session.add(
                Delivery(
                    notification_id=notification.id,
                    channel=channel.value,
                    address=address,
                    subject=notification.title,
                    text=_text(notification.title, notification.body, notification.url),
                    next_at=moment if kind.urgent else after_quiet_hours(settings, moment),
                )
            )


EXCERPT_CHARS = 20


def excerpt(text: str) -> str:
    """The start of a record's free text for a subject, its numbers masked before it is cut: a
    phone number cut short would no longer look like one, and escape the mask."""
    words = " ".join(mask_numbers(text).split())
    return words if len(words) <= EXCERPT_CHARS else words[:EXCERPT_CHARS] + "…"


# The person who sent a request has no login and no settings: their phone keeps the default
# quiet hours (22:00 to 07:00), as the desk answers round the clock.
REQUESTER_HOURS = NotifySettings(user_id=0, quiet=True)


def tell_requester(session: Session, phone: str, text: str) -> Delivery:
    """Queue an SMS to the person who sent a request, sent after the commit. No notification
    stands behind it, so the sender forgets the number once it is sent (sending.py)."""
    session.info["deliveries"] = True  # liaison/jobs.py sends it after the commit
    delivery = Delivery(
        notification_id=None,
        channel=Channel.SMS.value,
        address=phone,
        subject=text.splitlines()[0][:200],
        text=text[:1000],
        next_at=after_quiet_hours(REQUESTER_HOURS, now()),
    )
    session.add(delivery)
    session.flush()
    return delivery


def _chosen(session: Session, user_ids: list[int]) -> dict[tuple[int, Kind], frozenset[Channel]]:
    """The outside channels these users chose, by (user, kind); a kind not listed: its default."""
    rows = session.exec(
        select(Preference.user_id, Preference.kind, Preference.channels).where(
            col(Preference.user_id).in_(user_ids)
        )
    ).all()
    return {
        (user, Kind(kind)): frozenset(Channel(c) for c in channels.split(",") if c)
        for user, kind, channels in rows
        if kind in Kind.__members__.values()
    }


def _address(settings: NotifySettings | None, channel: Channel) -> str:
    if settings is None:
        return ""
    return settings.email if channel == Channel.EMAIL else settings.phone


def _text(title: str, body: str, url: str) -> str:
    return "\n".join(part for part in (title, body, url) if part)[:1000]


def after_quiet_hours(settings: NotifySettings | None, at: datetime) -> datetime:
    """`at`, or the end of the user's quiet hours when `at` falls within them."""
    if settings is None or not settings.quiet or settings.quiet_from == settings.quiet_until:
        return at
    moment = local(at)
    start, end = settings.quiet_from, settings.quiet_until
    clock = moment.time()
    inside = start <= clock < end if start < end else (clock >= start or clock < end)
    if not inside:
        return at
    day = moment.date() if clock < end else moment.date() + timedelta(days=1)
    return datetime.combine(day, end, tzinfo=LOCAL_TZ)


def remind_once(session: Session, kind: Kind, record: str, threshold: str) -> bool:
    """Claim the reminder of `kind` for `record` at `threshold`: True for the one caller that
    made it (in this transaction), False when it exists."""
    return bool(claim_reminders(session, [(kind, record, threshold)]))


def claim_reminders(
    session: Session, keys: Sequence[tuple[Kind, str, str]]
) -> set[tuple[str, str, str]]:
    """Claim these reminders (kind, record, threshold): those this caller made, in this
    transaction; the others exist already. The unique key decides, so two scanners in two
    processes never both remind: the second one's insert waits for the first's commit, then
    inserts nothing."""
    if not keys:
        return set()
    table = Reminder.__table__  # type: ignore[attr-defined]
    moment = now()
    rows = [
        {"kind": k.value, "record": r, "threshold": t, "created_at": moment} for k, r, t in keys
    ]
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    statement = (
        insert(table)
        .values(rows)
        .on_conflict_do_nothing()
        .returning(table.c.kind, table.c.record, table.c.threshold)
    )
    return {(k, r, t) for k, r, t in session.execute(statement)}


# ---- reading ------------------------------------------------------------------------------


def unread_count(session: Session, user_id: int) -> int:
    return int(
        session.exec(
            select(func.count()).where(
                Notification.user_id == user_id, col(Notification.read_at).is_(None)
            )
        ).one()
    )


def mark_read(session: Session, user_id: int, notification_id: int | None = None) -> int:
    """Mark one of the user's notifications read, or all of them: how many changed."""
    statement = sa.update(Notification).where(
        col(Notification.user_id) == user_id, col(Notification.read_at).is_(None)
    )
    if notification_id is not None:
        statement = statement.where(col(Notification.id) == notification_id)
    return int(session.execute(statement.values(read_at=now())).rowcount)  # type: ignore[attr-defined]


def mark_read_before(session: Session, user_id: int, moment: datetime) -> int:
    """Mark read the user's notifications made before `moment`: the demo's, as if read then."""
    statement = sa.update(Notification).where(
        col(Notification.user_id) == user_id,
        col(Notification.read_at).is_(None),
        col(Notification.created_at) < moment,
    )
    return int(session.execute(statement.values(read_at=moment)).rowcount)  # type: ignore[attr-defined]


def notifications(user_id: int, *, kind: str = "", unread: bool | None = None) -> Any:
    """The query of the user's notifications, newest first: of one kind (blank: every kind),
    read or unread (None: both)."""
    query = select(Notification).where(Notification.user_id == user_id)
    if kind:
        query = query.where(Notification.kind == kind)
    if unread is not None:
        read_at = col(Notification.read_at)
        query = query.where(read_at.is_(None) if unread else read_at.is_not(None))
    return query.order_by(col(Notification.created_at).desc(), col(Notification.id).desc())


def own_notification(session: Session, user_id: int, notification_id: int) -> Notification | None:
    """One of the user's notifications; None for another's, as for one that does not exist."""
    found = session.get(Notification, notification_id)
    return found if found is not None and found.user_id == user_id else None


# ---- each user's settings ------------------------------------------------------------------

EMAIL_PATTERN = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"


class SettingsIn(BaseModel):
    """A user's addresses and quiet hours, as the preferences page sends them."""

    email: Annotated[
        str, matching(EMAIL_PATTERN, "请填写有效的邮箱地址，如 name@example.gov.cn")
    ] = Field(default="", max_length=120)
    phone: Annotated[str, matching(MOBILE_PATTERN, "请填写 11 位手机号")] = Field(
        default="", max_length=20
    )
    quiet: bool = False
    quiet_from: time = time(22, 0)
    quiet_until: time = time(7, 0)


def settings_of(session: Session, user_id: int) -> NotifySettings:
    """The user's settings, or the defaults (unsaved) when they set none."""
    return session.get(NotifySettings, user_id) or NotifySettings(user_id=user_id)


def channels_of(session: Session, user_id: int) -> dict[Kind, frozenset[Channel]]:
    """The user's outside channels for every kind: their choice, or the kind's default."""
    chosen = _chosen(session, [user_id])
    return {kind: chosen.get((user_id, kind), DEFAULT_CHANNELS[kind]) for kind in Kind}


def save_settings(
    session: Session, user_id: int, form: SettingsIn, channels: dict[Kind, frozenset[Channel]]
) -> None:
    """Keep the user's addresses, quiet hours and a choice of channels for every kind (a kind
    left out: none but in-app). Each row is the user's own, audited as any change is."""
    kept = session.get(NotifySettings, user_id) or NotifySettings(user_id=user_id)
    for name, value in form.model_dump().items():
        setattr(kept, name, value)
    session.add(kept)
    chosen = {
        p.kind: p for p in session.exec(select(Preference).where(Preference.user_id == user_id))
    }
    for kind in Kind:
        preference = chosen.get(kind.value) or Preference(user_id=user_id, kind=kind.value)
        preference.channels = ",".join(
            c.value for c in PERSONAL_CHANNELS if c in channels.get(kind, ())
        )
        session.add(preference)
    session.flush()


# ---- the administrator's outbox and robots -------------------------------------------------


def deliveries(*, state: str = "", channel: str = "") -> Any:
    """The outbox, the oldest due first: one state (blank: pending and failed, what is not
    done), one channel (blank: every channel)."""
    query = select(Delivery)
    if state:
        query = query.where(Delivery.state == state)
    else:
        query = query.where(col(Delivery.state) != DeliveryState.SENT.value)
    if channel:
        query = query.where(Delivery.channel == channel)
    return query.order_by(col(Delivery.next_at), col(Delivery.id))


class RobotError(ValueError):
    """A robot the administrator's form cannot keep; `field` names what is wrong."""

    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.field = field


ROBOT_CHANNELS = (Channel.WECOM, Channel.DINGTALK)
ROBOT_URL_PATTERN = r"^https://[^\s/?#]+/\S*$"


def robots(session: Session) -> dict[int | None, DutyRobot]:
    """Each station's robot by its station id; the duty desk's under None."""
    return {r.station_id: r for r in session.exec(select(DutyRobot))}


def save_robot(
    session: Session, station_id: int | None, channel: str, url: str, secret: str
) -> DutyRobot:
    """Set the robot of a station (None: the duty desk). A blank URL or secret keeps the one
    saved, so neither need be shown again; a new robot needs its URL."""
    robot = robots(session).get(station_id)
    if channel not in ROBOT_CHANNELS:
        raise RobotError("请选择企业微信或钉钉", "channel")
    if url and (len(url) > 300 or not re.fullmatch(ROBOT_URL_PATTERN, url)):
        raise RobotError("请填写以 https:// 开头的机器人地址（Webhook）", "url")
    if robot is None and not url:
        raise RobotError("请填写机器人地址（Webhook）", "url")
    if len(secret) > 120:
        raise RobotError("加签密钥最多 120 个字符", "secret")
    robot = robot or DutyRobot(station_id=station_id, channel=channel, url=url)
    robot.channel, robot.url = channel, url or robot.url
    robot.secret = secret or robot.secret
    session.add(robot)
    session.flush()
    return robot


def remove_robot(session: Session, station_id: int | None) -> None:
    """The station (None: the duty desk) has no robot any more."""
    robot = robots(session).get(station_id)
    if robot is not None:
        session.delete(robot)
    session.flush()
