"""Mediation cases: 调解中 → 调解成功 / 调解失败 / 已移交, the agreement and its performance. A
case mediated with money books its recovery in the same step, exactly once. The only module
that writes the dispute tables, the ledger import and the demo included."""

from collections.abc import Iterable
from datetime import date, datetime, timedelta
from typing import Any, TypeVar

from sqlmodel import Session, col, select

from liaison.clock import local, today
from liaison.db import Fields, add_numbered, pk, put_all
from liaison.disputes.models import Dispute, DisputeFollowUp, DisputeParty
from liaison.disputes.schemas import (
    AgreementBase,
    AgreementIn,
    DisputeIn,
    DisputeStatus,
    PartyRole,
    Performance,
)
from liaison.errors import FieldError, Problems, happened_checks, problems
from liaison.org.models import Officer
from liaison.pii import id_number_error
from liaison.projects.models import Project
from liaison.recoveries import service as recoveries
from liaison.recoveries.schemas import RecoveryIn, RecoverySource

JUDICIAL_CONFIRMATION_DAYS = 30  # the parties may apply to a court within 30 days of the agreement


class DisputeError(FieldError):
    """A refused step of a dispute case."""


def received_problems(received_on: date, *, as_of: date | None = None) -> Problems:
    """What is wrong with a case's day of receipt as of `as_of` (today): by the form and by the
    ledger import."""
    return problems(*happened_checks(received_on, "received_on", "受理日期", as_of or today()))


def open_case(
    session: Session,
    project: Project,
    handler: Officer,
    case: DisputeIn,
    *,
    by_user_id: int | None,
    at: datetime | None = None,
) -> Dispute:
    """Open a case as of `at` (now), numbered by its day unless it already has its code."""
    DisputeError.refuse(received_problems(case.received_on, as_of=local(at).date() if at else None))
    if not any(p.role == PartyRole.APPLICANT for p in case.parties):
        raise DisputeError("请至少填写一名申请人", "parties")
    for party in case.parties:
        if party.id_number and (error := id_number_error(party.id_number)):
            raise DisputeError(f"{party.name}：{error}", "parties")
    dispute = Dispute(
        **case.model_dump(exclude={"code", "type", "parties"}),
        code="",
        type=case.type.value,
        project_id=pk(project),
        handler_id=pk(handler),
        created_by_id=by_user_id,
    )
    if not case.code:
        add_numbered(session, dispute, f"JF{case.received_on:%Y%m%d}-")
    elif session.exec(select(Dispute.id).where(Dispute.code == case.code)).first() is not None:
        raise DisputeError(f"编号 {case.code} 已被使用", "code")
    else:
        dispute.code = case.code
        session.add(dispute)
        session.flush()
    for party in case.parties:
        role = party.role.value
        session.add(
            DisputeParty(**party.model_dump(exclude={"role"}), role=role, dispute_id=pk(dispute))
        )
    session.flush()
    return dispute


def _close(dispute: Dispute, status: DisputeStatus, at: datetime | None = None) -> None:
    if dispute.status != DisputeStatus.MEDIATING.value:
        raise DisputeError(f"该纠纷已{dispute.status}，不能重复办结", "status")
    on = local(at).date() if at else today()
    dispute.status, dispute.closed_on = status.value, max(on, dispute.received_on)


def resolve(
    session: Session,
    dispute: Dispute,
    agreement: AgreementIn,
    officer: Officer,
    *,
    by_user_id: int | None,
    at: datetime | None = None,
) -> None:
    """调解成功 with its agreement, as of `at` (now); booking the agreed amount as recovered
    happens in the same transaction and, thanks to the status check and a unique index, at
    most once."""
    if not agreement.obligations.strip():
        raise DisputeError("请填写协议内容（各方义务）", "obligations")
    if agreement.book_recovery and not agreement.agreement_fen:
        raise DisputeError("计入挽回损失须填写协议金额", "agreement_amount")
    _close(dispute, DisputeStatus.RESOLVED, at)
    if agreement.perform_by and agreement.perform_by < (dispute.closed_on or today()):
        raise DisputeError("履行期限不能早于协议日期", "perform_by")
    dispute.sqlmodel_update(
        agreement.model_dump(include=set(AgreementBase.model_fields)),
        update={"obligations": agreement.obligations.strip()},
    )
    dispute.performance = agreement.performance.value
    session.add(dispute)
    session.flush()
    if agreement.book_recovery and agreement.agreement_fen:
        project = session.get(Project, dispute.project_id)
        assert project is not None
        recoveries.record(
            session,
            project,
            officer,
            RecoveryIn(
                amount_fen=agreement.agreement_fen,
                recovered_on=dispute.closed_on or today(),
                source=RecoverySource.DISPUTE,
                dispute_id=dispute.id,
                case_number=dispute.code,
                note="调解协议约定",
            ),
            by_user_id=by_user_id,
            at=at,
        )


def fail(session: Session, dispute: Dispute, reason: str) -> None:
    if not reason.strip():
        raise DisputeError("请填写调解失败的原因", "reason")
    _close(dispute, DisputeStatus.FAILED)
    dispute.outcome_note = reason.strip()
    session.add(dispute)
    session.flush()


def transfer(session: Session, dispute: Dispute, to: str, reason: str) -> None:
    if not to.strip() or not reason.strip():
        raise DisputeError("请填写移交单位和原因", "transferred_to")
    _close(dispute, DisputeStatus.TRANSFERRED)
    dispute.transferred_to, dispute.outcome_note = to.strip(), reason.strip()
    session.add(dispute)
    session.flush()


def set_performance(session: Session, dispute: Dispute, performance: Performance) -> None:
    if dispute.performance != Performance.PERFORMING.value or performance == Performance.PERFORMING:
        raise DisputeError("只有履行中的协议可以登记履行结果", "performance")
    dispute.performance = performance.value
    session.add(dispute)
    session.flush()


def follow_up(
    session: Session, dispute: Dispute, *, visited_on: date, summary: str, by_user_id: int | None
) -> DisputeFollowUp:
    if dispute.status != DisputeStatus.RESOLVED.value:
        raise DisputeError("调解成功后才能回访", "summary")
    if visited_on > today() or (dispute.closed_on and visited_on < dispute.closed_on):
        raise DisputeError("回访日期应在协议日期和今天之间", "visited_on")
    if not summary.strip():
        raise DisputeError("请填写回访情况", "summary")
    visit = DisputeFollowUp(
        dispute_id=dispute.id or 0,
        visited_on=visited_on,
        summary=summary.strip(),
        by_user_id=by_user_id,
    )
    session.add(visit)
    session.flush()
    return visit


def judicial_deadline(dispute: Dispute) -> date | None:
    """The last day to apply for court confirmation, when the parties want it."""
    if not dispute.judicial_confirmation or dispute.closed_on is None:
        return None
    return dispute.closed_on + timedelta(days=JUDICIAL_CONFIRMATION_DAYS)


def import_disputes(
    session: Session, rows: Iterable[tuple[Dispute | None, Fields]], *, by_user_id: int | None
) -> list[Dispute]:
    """Cases as a checked ledger has them (dates in order, the status matching its 办结日期)."""
    return put_all(session, Dispute, rows, created={"created_by_id": by_user_id})


def parties(session: Session, dispute: Dispute) -> list[DisputeParty]:
    """The case's parties as they were entered: its page and its agreement list them."""
    return _case_rows(session, DisputeParty, dispute, col(DisputeParty.id))


def follow_ups(session: Session, dispute: Dispute) -> list[DisputeFollowUp]:
    return _case_rows(session, DisputeFollowUp, dispute, col(DisputeFollowUp.visited_on))


CaseRow = TypeVar("CaseRow", DisputeParty, DisputeFollowUp)


def _case_rows(
    session: Session, model: type[CaseRow], dispute: Dispute, order: Any
) -> list[CaseRow]:
    """A case's own rows, parties or follow-up visits, in `order`."""
    query = select(model).where(model.dispute_id == dispute.id).order_by(order)
    return list(session.exec(query).all())
