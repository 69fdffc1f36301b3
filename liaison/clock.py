"""The one source of "now", so tests can move time (session expiry, lockout, password age)."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

LOCAL_TZ = ZoneInfo("Asia/Shanghai")

# Tests move the clock by changing this; nothing else does.
offset = timedelta(0)


def now() -> datetime:
    """Current time, timezone-aware UTC."""
    return datetime.now(UTC) + offset


def local(moment: datetime) -> datetime:
    """The same instant in Asia/Shanghai, for display."""
    return moment.astimezone(LOCAL_TZ)
