"""The audit log's checksum chain (SECURITY.md L2).

Each row carries `prev_hash`, the `row_hash` of the row before it by id, and `row_hash`, a
SHA-256 over its own fields and `prev_hash`. Changing a row breaks its own hash; removing or
slipping in a row breaks the link of the row after it. The id is not hashed (the database
assigns it after the hash is made): `verify` walks the rows in id order instead.

Writers of the chain take one lock (PostgreSQL: an advisory lock held until commit; SQLite:
the write lock every writing transaction begins with, liaison/db.py) before they read the last
hash, so two transactions never both chain onto the same row.

Rows from before the chain existed have no hashes; they may only come before the first hashed
row. A purge (liaison/audit/retention.py) removes the oldest rows, so the first row left points
at a row that is gone: the purge's own audit event records that row's hash as its `anchor`, and
`verify` accepts a first link only to nothing or to an anchor. Deleting old rows any other way
therefore still fails verification.

The hashes are not keyed: someone who can write the database at will could rebuild the whole
chain after tampering. `liaison audit verify` prints the last hash so that it can be noted
outside the database; a rebuilt chain will not end on it."""

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from liaison.audit.models import AuditLog

# Any fixed number: every writer of the chain, in every process, takes this one lock.
CHAIN_LOCK_KEY = 0x4C_49_41_49_53_4F_4E  # "LIAISON"
HASHED_FIELDS = (
    "at",
    "actor_id",
    "actor_name",
    "client_ip",
    "action",
    "object_type",
    "object_id",
    "before",
    "after",
    "prev_hash",
)
PURGE_ACTION = "purge"


def row_hash(row: Mapping[str, Any]) -> str:
    """The SHA-256 (hex) of the row's fields as canonical JSON: keys sorted at every level, the
    time in UTC to the microsecond (what both databases keep), JSON values as they read back."""
    fields = {name: row[name] for name in HASHED_FIELDS}
    fields["at"] = row["at"].astimezone(UTC).isoformat(timespec="microseconds")
    text = json.dumps(fields, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def lock(connection: sa.Connection) -> None:
    """Keep other writers of the chain out until this transaction ends (re-entrant)."""
    if connection.dialect.name == "postgresql":
        connection.execute(sa.select(sa.func.pg_advisory_xact_lock(CHAIN_LOCK_KEY)))


def link(connection: sa.Connection, rows: list[dict[str, Any]]) -> None:
    """Fill in the hashes of `rows`, about to be inserted in this order after the last row."""
    lock(connection)
    last = select(AuditLog.row_hash).order_by(col(AuditLog.id).desc()).limit(1)
    previous = connection.execute(last).scalar()
    for row in rows:
        row["prev_hash"] = previous
        row["row_hash"] = previous = row_hash(row)


@dataclass
class Verdict:
    """What `verify` found: how many rows hold, and the first that does not."""

    checked: int = 0
    before_chain: int = 0  # rows older than the chain, without hashes
    last_hash: str | None = None
    broken_id: int | None = None
    broken_at: datetime | None = None
    problem: str = ""

    @property
    def ok(self) -> bool:
        return self.broken_id is None


def purge_anchors(session: Session) -> set[str]:
    """The hashes purges left the chain to start from."""
    events = session.exec(
        select(AuditLog.after).where(
            col(AuditLog.object_type) == "AuditLog", col(AuditLog.action) == PURGE_ACTION
        )
    )
    return {after["anchor"] for after in events if after and after.get("anchor")}


def _fault(row: Mapping[str, Any], verdict: Verdict, anchors: set[str]) -> str:
    """Why `row` breaks the chain verified so far, or "" when it holds."""
    started = verdict.checked > 0
    if row["row_hash"] is None:
        return "缺少校验值，却写在校验链开始之后" if started else ""
    if started and row["prev_hash"] != verdict.last_hash:
        return "与前一条记录不衔接：其前有记录被删除或插入"
    if not started and row["prev_hash"] is not None and row["prev_hash"] not in anchors:
        return "之前的记录被删除，且没有相应的清理记录"
    if row_hash(row) != row["row_hash"]:
        return "内容与校验值不符：记录被修改"
    return ""


def verify(session: Session, batch_size: int = 1000) -> Verdict:
    """Recompute the chain in id order, `batch_size` rows at a time, up to the first fault."""
    anchors = purge_anchors(session)
    verdict = Verdict()
    after_id = 0
    while True:
        batch = session.connection().execute(
            sa.select(AuditLog.__table__)  # type: ignore[attr-defined]
            .where(col(AuditLog.id) > after_id)
            .order_by(col(AuditLog.id))
            .limit(batch_size)
        )
        rows = [row._asdict() for row in batch]
        if not rows:
            return verdict
        for row in rows:
            if problem := _fault(row, verdict, anchors):
                verdict.broken_id, verdict.broken_at, verdict.problem = (
                    row["id"],
                    row["at"],
                    problem,
                )
                return verdict
            if row["row_hash"] is None:
                verdict.before_chain += 1
            else:
                verdict.checked += 1
                verdict.last_hash = row["row_hash"]
        after_id = rows[-1]["id"]
