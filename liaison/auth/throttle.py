"""Abuse limits kept in the database, so every app process counts the same hits: a fixed
window per key ("desk-ip:1.2.3.4", "track-no:YY…"). Shares the table of the login lockout."""

import ipaddress
from datetime import timedelta

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from liaison.auth.models import LoginThrottle
from liaison.clock import now
from liaison.db import get_engine


def per_address(address: str | None) -> str:
    """What a per-address limit counts for a client address: an IPv4 address itself, an IPv6
    address its /64. One subscriber (a phone, a home router) holds a whole /64 and may use a new
    address of it for every request, so counting each /128 would be no limit at all."""
    try:
        ip = ipaddress.ip_address(address or "")
    except ValueError:
        return address or ""
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:  # ::ffff:1.2.3.4 is the IPv4 client 1.2.3.4
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


def address_key(kind: str, address: str | None) -> str:
    """The key of the `kind` limit for a client address ("track-ip:1.2.3.4"): every limit per
    address counts what `per_address` makes of it, so none of them is a limit per /128."""
    return f"{kind}:{per_address(address)}"


def counter(session: Session, key: str) -> LoginThrottle:
    """The row counting hits under `key`, locked for this transaction, created when missing."""
    key = key[:160]
    row = session.get(LoginThrottle, key, with_for_update=True)
    if row is None:
        try:  # two processes may count the first hit of a key at once
            with session.begin_nested():
                session.add(LoginThrottle(key=key, failures=0, window_started_at=now()))
        except IntegrityError:
            pass
        row = session.get(LoginThrottle, key, with_for_update=True, populate_existing=True)
        assert row is not None
    return row


def allow(session: Session, key: str, *, limit: int, window: timedelta) -> int | None:
    """Count one hit under `key`; None when allowed, else the seconds until the window ends."""
    moment = now()
    row = counter(session, key)
    if moment - row.window_started_at >= window:
        row.failures, row.window_started_at = 0, moment
    if row.failures >= limit:
        return max(1, int((row.window_started_at + window - moment).total_seconds()))
    row.failures += 1
    session.add(row)
    session.flush()
    return None


def allow_now(key: str, *, limit: int, window: timedelta) -> int | None:
    """`allow` in its own short transaction, committed at once: for requests that otherwise
    only read (the API), so the count holds whatever the request does next."""
    with Session(get_engine()) as session:
        wait = allow(session, key, limit=limit, window=window)
        session.commit()
    return wait
