"""Writes the audit log. Every flush of a tracked model adds its rows in the same transaction,
so a change without its audit row cannot be committed, and no service can forget to log."""

import enum
from collections.abc import Callable
from datetime import date, datetime, time
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar

from liaison.audit import chain
from liaison.audit.models import AuditLog
from liaison.clock import LOCAL_TZ, now
from liaison.pii import mask_numbers

HIDDEN = "[已隐藏]"
HIDDEN_CHANGED = "[已修改]"
ACTION_LABELS = {
    "create": "新增",
    "update": "修改",
    "delete": "删除",
    "login": "登录",
    "login_failed": "登录失败",
    "login_refused": "锁定期间登录",
    "logout": "退出",
    "unlock": "解除锁定",
    "end_sessions": "结束会话",
    "token_create": "创建令牌",
    "export": "导出",
    "reveal": "查看完整号码",
    "retention": "到期脱敏",
    chain.PURGE_ACTION: "清理",
}


def set_actor(
    session: Session, *, user_id: int | None, name: str, client_ip: str | None = None
) -> None:
    """Who the following changes are made by; read by every audit row this session writes."""
    session.info["actor"] = {"actor_id": user_id, "actor_name": name[:64], "client_ip": client_ip}


def record_event(
    session: Session,
    action: str,
    *,
    object_type: str = "",
    object_id: Any = None,
    detail: dict[str, Any] | None = None,
    actor_name: str | None = None,
) -> None:
    """A security event that changes no tracked row: login, logout, a failed login, a lockout."""
    row = _row(session, action, object_type, object_id, None, detail)
    if actor_name is not None:
        row["actor_name"] = actor_name[:64]
    _insert_rows(session.connection(), [row])


def _tracked(obj: Any) -> bool:
    return getattr(obj, "__audit__", True) and hasattr(obj, "__table__")


def _json_value(value: Any) -> Any:
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return value.value
    return value


def _masks(obj: Any) -> dict[str, Callable[[Any], Any]]:
    """Personal data a model logs masked (`__audit_masked__`: column → mask function): the log
    keeps no phone or ID number of those columns whole, and de-identifying a row later (the
    desk's retention) leaves no copy of what it removed here."""
    return getattr(obj, "__audit_masked__", {})


def _logged(masks: dict[str, Callable[[Any], Any]], key: str, value: Any) -> Any:
    """A column's value as the log keeps it: its model's mask, else any text with the phone and
    ID numbers typed into it masked (a dispute's facts, a visit's summary, a project's notes)."""
    if key in masks and value:
        return masks[key](value)
    return mask_numbers(value) if isinstance(value, str) else _json_value(value)


def _snapshot(obj: Any) -> dict[str, Any]:
    hidden: frozenset[str] = getattr(obj, "__audit_exclude__", frozenset())
    masks = _masks(obj)
    state = sa.inspect(obj)
    return {
        attr.key: HIDDEN
        if attr.key in hidden
        else _logged(masks, attr.key, state.attrs[attr.key].value)
        for attr in state.mapper.column_attrs
    }


def _before_update(obj: Any) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """The row as it was and as it is now, or None when nothing really changed."""
    hidden: frozenset[str] = getattr(obj, "__audit_exclude__", frozenset())
    masks = _masks(obj)
    state = sa.inspect(obj)
    before, after, changed = {}, {}, False
    for attr in state.mapper.column_attrs:
        history = state.attrs[attr.key].history
        current = state.attrs[attr.key].value
        old = history.deleted[0] if history.deleted else current
        if history.deleted and old != current:
            changed = True
        if attr.key in hidden:
            before[attr.key] = HIDDEN
            after[attr.key] = HIDDEN_CHANGED if old != current else HIDDEN
        else:
            before[attr.key] = _logged(masks, attr.key, old)
            after[attr.key] = _logged(masks, attr.key, current)
            if old != current and before[attr.key] == after[attr.key]:
                after[attr.key] = f"{after[attr.key]} {HIDDEN_CHANGED}"  # same once masked
    return (before, after) if changed else None


def _row(
    session: OrmSession,
    action: str,
    object_type: str,
    object_id: Any,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
) -> dict[str, Any]:
    actor = session.info.get("actor") or {"actor_id": None, "actor_name": "system"}
    return {
        "at": now(),
        "actor_id": actor["actor_id"],
        "actor_name": actor["actor_name"],
        "client_ip": actor.get("client_ip"),
        "action": action,
        "object_type": object_type,
        "object_id": None if object_id is None else str(object_id),
        "before": before,
        "after": after,
    }


def _primary_key(obj: Any) -> str:
    # Read from the row itself: a new object has no identity key yet inside the flush.
    state = sa.inspect(obj)
    return ",".join(str(part) for part in state.mapper.primary_key_from_instance(obj))


@sa.event.listens_for(OrmSession, "before_flush")
def _lock_chain_first(session: OrmSession, _context: Any, _instances: Any) -> None:
    # Take the chain's lock before this flush locks any row: a transaction holding a row lock
    # while it waits for the chain's lock deadlocks with one that holds the chain's lock and
    # waits for that row.
    if any(_tracked(obj) for obj in (*session.new, *session.dirty, *session.deleted)):
        chain.lock(session.connection())


@sa.event.listens_for(OrmSession, "after_flush")
def _audit_flush(session: OrmSession, _context: Any) -> None:
    rows = []
    for obj in session.new:
        if _tracked(obj):
            name = type(obj).__name__
            rows.append(_row(session, "create", name, _primary_key(obj), None, _snapshot(obj)))
    for obj in session.dirty:
        if _tracked(obj) and (change := _before_update(obj)):
            name = type(obj).__name__
            rows.append(_row(session, "update", name, _primary_key(obj), *change))
    for obj in session.deleted:
        if _tracked(obj):
            name = type(obj).__name__
            rows.append(_row(session, "delete", name, _primary_key(obj), _snapshot(obj), None))
    if rows:
        _insert_rows(session.connection(), rows)


def _insert_rows(connection: sa.Connection, rows: list[dict[str, Any]]) -> None:
    chain.link(connection, rows)
    connection.execute(sa.insert(AuditLog), rows)


def masked(values: dict[str, Any] | None) -> dict[str, Any] | None:
    """Before or after values as the audit detail page and export show them: phone and ID
    numbers masked (GB/T 35273), in any text, rows logged before texts were masked too."""
    if values is None:
        return None
    return {
        key: mask_numbers(str(value))
        if isinstance(value, str) or (value is not None and ("phone" in key or key == "id_number"))
        else value
        for key, value in values.items()
    }


def day_start(day: date) -> datetime:
    """Midnight at the start of `day`, Beijing time: the auditor's days are local ones."""
    return datetime.combine(day, time.min, LOCAL_TZ)


def search(
    *,
    actor: str = "",
    object_type: str = "",
    object_id: str = "",
    since: datetime | None = None,
    until: datetime | None = None,
) -> SelectOfScalar[AuditLog]:
    """Audit rows matching the filters, newest first."""
    query = select(AuditLog)
    if actor:
        query = query.where(col(AuditLog.actor_name) == actor)
    if object_type:
        query = query.where(col(AuditLog.object_type) == object_type)
    if object_id:
        query = query.where(col(AuditLog.object_id) == object_id)
    if since:
        query = query.where(col(AuditLog.at) >= since)
    if until:
        query = query.where(col(AuditLog.at) < until)
    return query.order_by(col(AuditLog.id).desc())


def object_types(session: Session) -> list[str]:
    return list(
        session.exec(select(AuditLog.object_type).distinct().order_by(AuditLog.object_type)).all()
    )
