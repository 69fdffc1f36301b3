"""The recovery ledger: recording entries and reversing them. The only module that writes it,
the ledger import and the demo included; nothing here or anywhere updates or deletes an
entry."""

from collections.abc import Iterable
from datetime import date, datetime

from sqlmodel import Session, col, func, select

from liaison.clock import local, today
from liaison.db import Fields, add_numbered, put_all, submitted_before
from liaison.errors import FieldError, Problems, happened_checks, problems
from liaison.money import yuan
from liaison.org.models import Officer
from liaison.projects.models import Project
from liaison.recoveries.models import Recovery
from liaison.recoveries.schemas import RecoveryIn, ReversalIn


class RecoveryError(FieldError):
    """A refused ledger entry or reversal."""


# The name this input had before it was declared in schemas.py, for the callers in other
# domains (liaison/disputes/service.py) until they name RecoveryIn.
Entry = RecoveryIn


def recovery_problems(
    amount_fen: int, recovered_on: date, *, as_of: date | None = None
) -> Problems:
    """What is wrong with an entry booked on `as_of` (today), before it is booked: by the form
    and by the ledger import."""
    return problems(
        (amount_fen <= 0, "amount", "金额必须大于零"),
        *happened_checks(recovered_on, "recovered_on", "挽回日期", as_of or today()),
    )


def reversal_problems(
    original: Recovery,
    *,
    amount_fen: int,
    on: date,
    left_fen: int,
    project_id: int | None = None,
    source: str | None = None,
    as_of: date | None = None,
) -> Problems:
    """What is wrong with reversing `amount_fen` (positive) of `original` on `on`, with `left_fen`
    of it left, booked on `as_of` (today). A reversal takes its entry's project and source: one
    naming others is refused."""
    return problems(
        (original.is_reversal, "amount", "冲销记录不能再被冲销"),
        (amount_fen <= 0, "amount", "冲销金额必须大于零"),
        (
            amount_fen > 0 and amount_fen > left_fen,
            "amount",
            f"冲销金额不能超过该笔剩余的 {yuan(left_fen)}",
        ),
        (on < original.recovered_on, "recovered_on", "冲销日期不能早于原记录"),
        (on > (as_of or today()), "recovered_on", "冲销日期不能晚于今天"),
        (
            project_id is not None and project_id != original.project_id,
            "project",
            "冲销须记在原记录的项目上",
        ),
        (
            source is not None and source != original.source,
            "source",
            f"冲销须与原记录来源一致（{original.source}）",
        ),
    )


def record(
    session: Session,
    project: Project,
    officer: Officer,
    entry: RecoveryIn,
    *,
    by_user_id: int | None,
    submission_key: str | None = None,
    at: datetime | None = None,
    code: str | None = None,
) -> tuple[Recovery, bool]:
    """Book an amount recovered as of `at` (now), numbered by its day unless it already has its
    `code`; the same form submitted twice books it once: (entry, new?)."""
    earlier = submitted_before(session, Recovery, submission_key)
    if earlier is not None:
        return earlier, False
    as_of = local(at).date() if at else None
    RecoveryError.refuse(recovery_problems(entry.amount_fen, entry.recovered_on, as_of=as_of))
    row = Recovery(
        code="",
        project_id=project.id or 0,
        amount_fen=entry.amount_fen,
        recovered_on=entry.recovered_on,
        source=entry.source.value,
        dispute_id=entry.dispute_id,
        hazard_id=entry.hazard_id,
        case_number=entry.case_number,
        officer_id=officer.id or 0,
        note=entry.note,
        submission_key=submission_key or None,
        created_by_id=by_user_id,
    )
    booked = _number(session, row, code)
    return booked, booked is row


def _number(session: Session, row: Recovery, code: str | None) -> Recovery:
    """Insert the entry with its own `code`, or the next free number of its day: `row`, or the
    entry the same form booked meanwhile in another process (`add_numbered`)."""
    if code is None:
        return add_numbered(session, row, f"WH{row.recovered_on:%Y%m%d}-")
    if session.exec(select(Recovery.id).where(Recovery.code == code)).first() is not None:
        raise RecoveryError(f"编号 {code} 已被使用", "code")
    row.code = code
    session.add(row)
    session.flush()
    return row


def remaining_fen(session: Session, original: Recovery) -> int:
    """What is left of an entry after its reversals."""
    reversed_fen = session.exec(
        select(func.coalesce(func.sum(Recovery.amount_fen), 0)).where(
            Recovery.reverses_id == original.id
        )
    ).one()
    return original.amount_fen + int(reversed_fen)


def reverse(
    session: Session,
    original: Recovery,
    officer: Officer,
    reversal: ReversalIn,
    *,
    by_user_id: int | None,
    at: datetime | None = None,
    code: str | None = None,
) -> Recovery:
    """Correct an entry by a negative one linked to it, never more than what is left of it,
    dated `reversal.on` and booked as of `at` (both now); numbered as `record` numbers. The
    original's row is locked first, so two reversals at once cannot both pass the check."""
    amount_fen, reason = reversal.amount_fen, reversal.reason
    if original.is_reversal:
        raise RecoveryError("冲销记录不能再被冲销", "amount")
    if not reason.strip():
        raise RecoveryError("请填写冲销原因", "reason")
    if amount_fen <= 0:
        raise RecoveryError("冲销金额必须大于零", "amount")
    session.exec(select(Recovery.id).where(Recovery.id == original.id).with_for_update()).one()
    left = remaining_fen(session, original)
    as_of = local(at).date() if at else today()
    on = reversal.on or as_of
    RecoveryError.refuse(
        reversal_problems(original, amount_fen=amount_fen, on=on, left_fen=left, as_of=as_of)
    )
    row = Recovery(
        code="",
        project_id=original.project_id,
        amount_fen=-amount_fen,
        recovered_on=on,
        source=original.source,
        dispute_id=original.dispute_id,
        hazard_id=original.hazard_id,
        case_number=original.code,
        officer_id=officer.id or 0,
        note=reason.strip(),
        reverses_id=original.id,
        created_by_id=by_user_id,
    )
    return _number(session, row, code)


def entries_for_dispute(session: Session, dispute_id: int) -> list[Recovery]:
    return list(
        session.exec(
            select(Recovery).where(Recovery.dispute_id == dispute_id).order_by(col(Recovery.id))
        ).all()
    )


def import_entries(
    session: Session, rows: Iterable[tuple[None, Fields]], *, by_user_id: int | None
) -> list[Recovery]:
    """New entries as a checked ledger has them: each passed `recovery_problems`, and each
    reversal `reversal_problems` against its original (whose id it names). The ledger only
    grows: there is never a record to change."""
    return put_all(session, Recovery, rows, created={"created_by_id": by_user_id})
