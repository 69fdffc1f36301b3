"""The audit log's checksum chain (SECURITY.md L2).

Each row carries `prev_hash`, the `row_hash` of the row before it by id, and `row_hash`, an
HMAC-SHA256 over its own fields and `prev_hash`, keyed with LIAISON_AUDIT_KEY, a secret held
outside the database. Changing a row breaks its own hash; removing or slipping in a row breaks
the link of the row after it; and without the key nobody can rebuild the chain after tampering.
The id is not hashed (the database assigns it after the hash is made): `verify` walks the rows
in id order instead.

Writers of the chain take one lock (PostgreSQL: an advisory lock held until commit; SQLite:
the write lock every writing transaction begins with, liaison/db.py) before they read the last
hash, so two transactions never both chain onto the same row.

The log grew in three eras, which may only follow one another: rows from before the chain, with
no hashes; rows from before the key, with a plain SHA-256; keyed rows. A row's era is not stored
but found: its hash is the keyed one, the plain one, or neither. So a row rewritten without the
key after the first keyed row is refused as it is, whatever else the rewriter changed.

A purge (liaison/audit/retention.py) removes the oldest rows, so the first row left points at a
row that is gone: the purge's own audit event records that row's hash as its `anchor`, and
`verify` accepts a first link only to nothing or to an anchor. Deleting old rows any other way
therefore still fails verification.

Deleting the newest rows leaves a chain that holds: signed checkpoints of the head, written
outside the database (liaison/audit/checkpoint.py), are the marks `verify` checks it reaches."""

import hashlib
import hmac
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from liaison.audit.models import AuditLog
from liaison.clock import local
from liaison.config import get_settings

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
# A row's era, in the order they may follow one another; CHANGED: its hash is of none.
CHANGED, UNHASHED, UNKEYED, KEYED = range(-1, 3)


def derived_key(purpose: str) -> bytes:
    """A key for one `purpose` only, from LIAISON_AUDIT_KEY: the chain's and the checkpoints'
    differ, so a value signed for one is never accepted as the other."""
    secret = get_settings().audit_key.encode()
    return hmac.new(secret, f"liaison audit {purpose}".encode(), hashlib.sha256).digest()


def chain_key() -> bytes:
    return derived_key("chain")


def row_hash(row: Mapping[str, Any], key: bytes | None) -> str:
    """The HMAC-SHA256 (hex) under `key` of the row's fields as canonical JSON (keys sorted at
    every level, the time in UTC to the microsecond, what both databases keep; JSON values as
    they read back). Without a key, the plain SHA-256 rows written before the key carry."""
    fields = {name: row[name] for name in HASHED_FIELDS}
    fields["at"] = row["at"].astimezone(UTC).isoformat(timespec="microseconds")
    text = json.dumps(fields, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    if key is None:
        return hashlib.sha256(text.encode()).hexdigest()
    return hmac.new(key, text.encode(), hashlib.sha256).hexdigest()


def lock(connection: sa.Connection) -> None:
    """Keep other writers of the chain out until this transaction ends (re-entrant)."""
    if connection.dialect.name == "postgresql":
        connection.execute(sa.select(sa.func.pg_advisory_xact_lock(CHAIN_LOCK_KEY)))


def link(connection: sa.Connection, rows: list[dict[str, Any]]) -> None:
    """Fill in the hashes of `rows`, about to be inserted in this order after the last row."""
    lock(connection)
    last = select(AuditLog.row_hash).order_by(col(AuditLog.id).desc()).limit(1)
    previous = connection.execute(last).scalar()
    key = chain_key()
    for row in rows:
        row["prev_hash"] = previous
        row["row_hash"] = previous = row_hash(row, key)


@dataclass(frozen=True)
class Mark:
    """A row of the chain as noted outside the database at `at`: row `id` had `row_hash`."""

    id: int
    row_hash: str | None
    at: datetime

    def __str__(self) -> str:
        return f"检查点（{local(self.at):%Y-%m-%d %H:%M}，第 {self.id} 条）"


@dataclass
class Verdict:
    """What `verify` found: how many rows hold, and the first fault."""

    checked: int = 0  # rows with hashes
    before_chain: int = 0  # rows older than the chain, without hashes
    unkeyed: int = 0  # rows older than the key, with a plain SHA-256
    era: int = UNHASHED
    last_id: int | None = None
    last_hash: str | None = None
    reached: Mark | None = None  # the newest checkpoint the chain holds up to
    broken_id: int | None = None  # the row at fault, when the fault is a row's
    broken_at: datetime | None = None
    problem: str = ""

    @property
    def ok(self) -> bool:
        return not self.problem


def purge_anchors(session: Session) -> set[str]:
    """The hashes purges left the chain to start from."""
    events = session.exec(
        select(AuditLog.after).where(
            col(AuditLog.object_type) == "AuditLog", col(AuditLog.action) == PURGE_ACTION
        )
    )
    return {after["anchor"] for after in events if after and after.get("anchor")}


def _era(row: Mapping[str, Any], key: bytes) -> int:
    """Which era the row's hash is of."""
    if row["row_hash"] is None:
        return UNHASHED
    if hmac.compare_digest(row_hash(row, key), row["row_hash"]):
        return KEYED
    if row_hash(row, None) == row["row_hash"]:
        return UNKEYED
    return CHANGED


def _fault(row: Mapping[str, Any], era: int, verdict: Verdict, anchors: set[str]) -> str:
    """Why `row` breaks the chain verified so far, or "" when it holds."""
    started = verdict.checked > 0
    if row["row_hash"] is None:
        return "缺少校验值，却写在校验链开始之后" if started else ""
    if started and row["prev_hash"] != verdict.last_hash:
        return "与前一条记录不衔接：其前有记录被删除或插入"
    if not started and row["prev_hash"] is not None and row["prev_hash"] not in anchors:
        return "之前的记录被删除，且没有相应的清理记录"
    if era == CHANGED:
        unsure = (
            ""
            if verdict.era == KEYED
            else "（若从未改动，请核对 LIAISON_AUDIT_KEY 是否与写入时相同）"
        )
        return "内容与校验值不符：记录被修改" + unsure
    if era < verdict.era:
        return "校验值不是用审计密钥算出的，却写在带密钥的记录之后：记录被改写"
    return ""


def _missing(mark: Mark, verdict: Verdict) -> str:
    """The fault of a checkpointed row the chain passed over or ended before."""
    if verdict.last_id is None:
        return f"{mark}及其之前的审计记录全部缺失"
    first = verdict.last_id + 1
    rows = f"第 {first} 条" if first == mark.id else f"第 {first}–{mark.id} 条"
    return f"{mark}之前的审计记录缺失：{rows}"


def verify(session: Session, batch_size: int = 1000, marks: Sequence[Mark] = ()) -> Verdict:
    """Recompute the chain in id order, `batch_size` rows at a time, up to the first fault;
    each checkpoint's row must be met, with the hash it was noted with, unless a purge removed
    it (the first row left is anchored, past it)."""
    anchors = purge_anchors(session)
    key = chain_key()
    pending = sorted(marks, key=lambda mark: mark.id)
    waiting = 0  # pending[waiting:] are the checkpoints not met yet
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
            if waiting < len(pending):
                verdict.problem = _missing(pending[-1], verdict)
            return verdict
        for row in rows:
            passed = waiting
            while waiting < len(pending) and pending[waiting].id < row["id"]:
                waiting += 1
            purged = verdict.last_id is None and row["prev_hash"] in anchors
            if waiting > passed and not purged:
                verdict.problem = _missing(pending[waiting - 1], verdict)
                return verdict
            met = []
            while waiting < len(pending) and pending[waiting].id == row["id"]:
                met.append(pending[waiting])
                waiting += 1
            era = _era(row, key)
            problem = _fault(row, era, verdict, anchors)
            if not problem and any(mark.row_hash != row["row_hash"] for mark in met):
                problem = f"与{met[0]}记下的校验值不符：记录被改写，或其前的记录被删除"
            if problem:
                verdict.broken_id, verdict.broken_at, verdict.problem = (
                    row["id"],
                    row["at"],
                    problem,
                )
                return verdict
            if met:
                verdict.reached = met[-1]
            _count(verdict, row, era)
        after_id = rows[-1]["id"]


def _count(verdict: Verdict, row: Mapping[str, Any], era: int) -> None:
    verdict.last_id = row["id"]
    if era == UNHASHED:
        verdict.before_chain += 1
        return
    verdict.checked += 1
    verdict.unkeyed += era == UNKEYED
    verdict.era = max(verdict.era, era)
    verdict.last_hash = row["row_hash"]
