"""The one source of "now", so tests can move time (session expiry, lockout, password age)."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

LOCAL_TZ = ZoneInfo("Asia/Shanghai")
# The days a request may name: wide enough for any ledger, and far from datetime's edges (the
# year before 0001 and the day after 9999-12-31 do not exist, nor 0001-01-01 00:00 in UTC).
FIRST_DAY, LAST_DAY = date(1900, 1, 1), date(2999, 12, 31)

# Tests move the clock by changing this; nothing else does.
offset = timedelta(0)


def now() -> datetime:
    """Current time, timezone-aware UTC."""
    return datetime.now(UTC) + offset


def local(moment: datetime) -> datetime:
    """The same instant in Asia/Shanghai, for display."""
    return moment.astimezone(LOCAL_TZ)


def today() -> date:
    """Today in Asia/Shanghai: the date a person in the district sees."""
    return local(now()).date()


def duration_label(delta: timedelta) -> str:
    """`2 天 3 小时`, `5 小时`, `40 分钟`: what a person reads at a glance, no seconds."""
    minutes = int(abs(delta).total_seconds() // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days:
        return f"{days} 天 {hours} 小时" if hours else f"{days} 天"
    if hours:
        return f"{hours} 小时"
    return f"{max(minutes, 1)} 分钟"
