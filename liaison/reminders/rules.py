"""What each tracked record calls for, as reminders to make: its deadline's warning or breach to
the person on duty, and a breach's escalation, at once to its station's chiefs and, while it
stays breached `escalate_leaders_hours` later, to the leaders; a breach and the leaders'
escalation are posted to the station's duty group too. Then the morning digests."""

from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from liaison.clock import duration_label, local
from liaison.config import Settings
from liaison.notify.kinds import Kind
from liaison.notify.models import DutyRobot
from liaison.notify.service import Message
from liaison.reminders.deadlines import Signal, Today, Tracked
from liaison.reminders.duty import Duty, Users

DIGEST_GROUPS = ("诉求", "隐患", "走访", "司法确认")  # the order the digest lists them in


@dataclass(frozen=True)
class Due:
    """A reminder to make once, for `kind`, `record` and `threshold`, and whom it tells."""

    kind: Kind
    record: str
    threshold: str
    message: Message
    users: Users
    robot: DutyRobot | None = None  # the duty group it is posted to as well

    @property
    def key(self) -> tuple[str, str, str]:
        return self.kind.value, self.record, self.threshold


def reminders(
    tracked: Iterable[Tracked], duty: Duty, at: datetime, settings: Settings
) -> Iterator[Due]:
    for item in tracked:
        for signal in item.signals:
            yield from _signalled(item, signal, duty, at, settings)


def _signalled(
    item: Tracked, signal: Signal, duty: Duty, at: datetime, settings: Settings
) -> Iterator[Due]:
    station = item.route.station_id
    group = duty.robot(station) if signal.since is not None else None
    yield Due(
        signal.kind,
        item.record,
        signal.threshold + signal.round,
        Message(signal.kind, item.subject, item.url, signal.body),
        duty.on_duty(item.route),
        group,
    )
    if signal.since is None:
        return
    late = f"{signal.kind.label}，已超时 {duration_label(at - signal.since)}"
    escalation = Message(Kind.ESCALATED, item.subject, item.url, late)
    breach = signal.kind.value + signal.round
    yield Due(Kind.ESCALATED, item.record, f"chief:{breach}", escalation, duty.chiefs(station))
    if at >= signal.since + timedelta(hours=settings.escalate_leaders_hours):
        yield Due(Kind.ESCALATED, item.record, f"leaders:{breach}", escalation, duty.leaders, group)


def digests(tracked: Iterable[Tracked], duty: Duty, officers: set[int], at: datetime) -> list[Due]:
    """Each officer's morning digest: what is due today and overdue among the records on
    duty for them; none for an officer with nothing due."""
    counts: dict[int, Counter[tuple[str, str]]] = defaultdict(Counter)
    for item in tracked:
        if item.today is None:
            continue
        for user in duty.on_duty(item.route):
            if user in officers:
                counts[user][item.today, item.group] += 1
    day = local(at).date().isoformat()
    return [
        Due(Kind.DIGEST, f"user:{user}", day, _digest(count), (user,))
        for user, count in sorted(counts.items())
    ]


def _digest(count: Counter[tuple[str, str]]) -> Message:
    due = sum(n for (state, _), n in count.items() if state == Today.DUE)
    overdue = sum(n for (state, _), n in count.items() if state == Today.OVERDUE)
    lines = []
    for group in DIGEST_GROUPS:
        parts = [
            f"{words} {count[state, group]} 项"
            for state, words in ((Today.DUE, "今日到期"), (Today.OVERDUE, "已逾期"))
            if count[state, group]
        ]
        if parts:
            lines.append(f"{group}：{'，'.join(parts)}")
    return Message(
        Kind.DIGEST, f"今日到期 {due} 项，已逾期 {overdue} 项", "/home", "；".join(lines)
    )
