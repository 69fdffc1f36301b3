"""Signed checkpoints of the audit chain's head, kept outside the database (SECURITY.md L2).

The keyed chain (chain.py) shows a row changed, inserted or removed anywhere but at the end:
deleting the newest rows leaves a shorter chain that holds. So the head (its id and hash, and
when it was noted) is appended as one signed JSON line to `checkpoints.jsonl` in
LIAISON_AUDIT_CHECKPOINT_DIR, and `liaison audit verify` requires the chain to reach every
checkpoint's row with the hash noted: rows deleted up to the newest checkpoint are named.

Each line is signed with an HMAC under a key derived from LIAISON_AUDIT_KEY apart from the
chain's, so a line nobody with the key wrote, or one edited, fails verification. Rows a purge
removed (all older than 180 days) may take a checkpoint's row with them: the chain then starts
at a purge's anchor, past the checkpoint, and `chain.verify` accepts that.

Written on demand (`liaison audit checkpoint`) and daily: the job engine (liaison/jobs.py) calls
`keep_recent()` every hour in every worker, which appends a line when the newest is older than
LIAISON_AUDIT_CHECKPOINT_HOURS; the file's lock, taken before the newest line is read, makes all
workers together write one. With the setting at 0 a cron line does it instead:
`0 3 * * * liaison audit checkpoint`."""

import fcntl
import hashlib
import hmac
import json
import os
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlmodel import Session, col, select

from liaison.audit.chain import Mark, derived_key
from liaison.audit.models import AuditLog
from liaison.clock import now
from liaison.config import get_settings
from liaison.db import get_engine, reading

FILE_NAME = "checkpoints.jsonl"


class CheckpointInvalid(Exception):
    """A checkpoint line is unreadable or its signature does not verify."""


def path() -> Path:
    return get_settings().audit_checkpoint_path / FILE_NAME


def _signature(fields: dict[str, Any]) -> str:
    text = json.dumps(fields, sort_keys=True, separators=(",", ":"))
    return hmac.new(derived_key("checkpoint"), text.encode(), hashlib.sha256).hexdigest()


def _line(mark: Mark) -> str:
    fields = {"row_id": mark.id, "row_hash": mark.row_hash, "at": mark.at.isoformat()}
    return json.dumps({**fields, "signature": _signature(fields)}) + "\n"


def _parse(text: str) -> dict[str, Any] | None:
    try:
        fields = json.loads(text)
        datetime.fromisoformat(fields["at"])
    except (ValueError, TypeError, KeyError):
        return None
    return fields if isinstance(fields, dict) else None


def read() -> list[Mark]:
    """Every checkpoint written, oldest first; each line must be whole and its signature hold."""
    file = path()
    if not file.exists():
        return []
    marks = []
    for number, text in enumerate(file.read_text(encoding="utf-8").splitlines(), 1):
        if not text.strip():
            continue
        fields = _parse(text)
        where = f"审计检查点文件 {file} 第 {number} 行"
        if fields is None:
            raise CheckpointInvalid(f"{where}无法读取：文件被改动或损坏")
        signature = fields.pop("signature", "")
        try:
            mark = Mark(
                int(fields["row_id"]), fields["row_hash"], datetime.fromisoformat(fields["at"])
            )
        except (ValueError, TypeError, KeyError):
            raise CheckpointInvalid(f"{where}无法读取：文件被改动或损坏") from None
        if not isinstance(signature, str) or not hmac.compare_digest(_signature(fields), signature):
            raise CheckpointInvalid(
                f"{where}（{mark}）签名不符：检查点被改动或伪造，或 LIAISON_AUDIT_KEY 与写入时不同"
            )
        marks.append(mark)
    return marks


def _head(session: Session) -> Mark | None:
    last = select(AuditLog.id, AuditLog.row_hash).order_by(col(AuditLog.id).desc()).limit(1)
    row = session.exec(last).first()
    return Mark(row[0], row[1], now()) if row and row[0] is not None else None


def write(session: Session, *, unless_within: timedelta | None = None) -> Mark | None:
    """Append a checkpoint of the chain's head; with `unless_within`, only when the newest is
    older than that. None when none was written (an empty log, or a recent checkpoint)."""
    file = path()
    file.parent.mkdir(parents=True, exist_ok=True)
    with file.open("a+", encoding="utf-8") as out:
        fcntl.flock(out, fcntl.LOCK_EX)  # released as the file closes
        if unless_within is not None:
            out.seek(0)
            times = [f["at"] for line in out.read().splitlines() if (f := _parse(line))]
            if times and now() - datetime.fromisoformat(times[-1]) < unless_within:
                return None
        mark = _head(session)
        if mark is None:
            return None
        out.write(_line(mark))
        out.flush()
        os.fsync(out.fileno())
    return mark


def keep_recent() -> Mark | None:
    """Append a checkpoint if the newest is older than LIAISON_AUDIT_CHECKPOINT_HOURS (none at
    0). It reads the database in a session of its own, and only reads."""
    hours = get_settings().audit_checkpoint_hours
    if not hours:
        return None
    with Session(reading(get_engine())) as session:
        return write(session, unless_within=timedelta(hours=hours))
