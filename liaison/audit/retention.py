"""Retention of the audit log (SECURITY.md L4): the law asks for at least 180 days, so no purge
may reach younger rows, whatever it is asked; `audit_retention_days` can raise the floor, never
lower it (liaison/config.py)."""

from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session, col, func, select

from liaison.audit import chain, guard
from liaison.audit.models import AuditLog
from liaison.audit.service import record_event
from liaison.clock import local, now


class RetentionRefused(Exception):
    """The cut-off is younger than the retention period; nothing was removed."""


def purge(session: Session, cutoff: datetime, *, retention_days: int) -> int:
    """Remove the audit rows written before `cutoff` and record the purge; how many went.

    What goes is the longest run of rows from the oldest that are all older than `cutoff`: ids
    follow the order rows were chained in, times only nearly (a row's time is taken before it
    waits for the chain's lock), so removing by time alone could cut a hole in the chain. The
    purge's event keeps the hash of the last row removed as the anchor `chain.verify` accepts
    the remaining chain to start from. A checkpoint (checkpoint.py) whose row goes too is met
    no more, and need not be: the chain left starts at an anchor past it, and the checkpoints
    written since (daily, so well within the retention period) still hold its newer rows."""
    latest_allowed = now() - timedelta(days=retention_days)
    if cutoff > latest_allowed:
        raise RetentionRefused(
            f"审计日志至少保留 {retention_days} 天：最多只能清理 "
            f"{local(latest_allowed):%Y-%m-%d %H:%M} 之前的记录，"
            f"不能清理到 {local(cutoff):%Y-%m-%d %H:%M}；未删除任何记录"
        )
    connection = session.connection()
    chain.lock(connection)
    first_kept = connection.execute(
        select(func.min(AuditLog.id)).where(col(AuditLog.at) >= cutoff)
    ).scalar()
    older = col(AuditLog.id) < first_kept if first_kept is not None else sa.true()
    last_removed = connection.execute(
        select(AuditLog.id, AuditLog.row_hash)
        .where(older)
        .order_by(col(AuditLog.id).desc())
        .limit(1)
    ).first()
    if last_removed is None:
        return 0
    with guard.lifted(connection):
        removed = connection.execute(sa.delete(AuditLog).where(older)).rowcount
    record_event(
        session,
        chain.PURGE_ACTION,
        object_type="AuditLog",
        detail={
            "cutoff": cutoff.isoformat(),
            "removed": removed,
            "last_removed_id": last_removed.id,
            "anchor": last_removed.row_hash,
        },
    )
    return removed
