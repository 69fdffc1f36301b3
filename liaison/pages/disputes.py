"""Dispute pages: opening a case with its parties, mediation outcomes, performance, follow-up
visits, the printable agreement, lists, and what disputes add to the project page."""

from collections.abc import Callable, Iterable
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import Response
from pydantic import Field, field_validator
from sqlmodel import Session, select

from liaison.auth.deps import CaseReaderDep, Principal, require
from liaison.auth.policy import Action, can
from liaison.auth.roles import Role
from liaison.clock import today
from liaison.db import SessionDep, pk
from liaison.disputes import queries, service
from liaison.disputes.models import Dispute
from liaison.disputes.schemas import (
    AgreementIn,
    DisputeIn,
    DisputeStatus,
    DisputeType,
    PartyIn,
    Performance,
)
from liaison.disputes.sheet import DISPUTES
from liaison.fields import form_field
from liaison.forms import Filled, PostedForm, refusals, validate
from liaison.money import parse_amount, rmb_upper
from liaison.org.models import Officer, Station
from liaison.org.queries import active_officers, active_stations
from liaison.pages.lists import ListingDep, workbook
from liaison.pages.projects import Panel
from liaison.projects.models import Project
from liaison.projects.service import on_project
from liaison.projects.timeline import Entry
from liaison.recoveries.service import entries_for_dispute
from liaison.scope import Scope, get_visible, restrict
from liaison.web import own_officer, redirect, render, render_with_errors

router = APIRouter()
NOT_AN_OFFICER = "须由民警本人办理"
HandlerDep = Annotated[Principal, Depends(require(Role.LEADER, Role.CHIEF, Role.OFFICER))]
PARTY_ROWS = 4


def _yuan(value: str) -> str:
    """An amount typed in yuan, refused beside its field unless it is a sum of fen, not below 0."""
    if value and parse_amount(value) < 0:
        raise ValueError("金额不能为负数")
    return value


def _fen(value: str) -> int | None:
    return parse_amount(value) if value else None


@router.get("/disputes")
def dispute_list(
    listing: ListingDep,
    principal: CaseReaderDep,
    filters: Annotated[queries.DisputeFilter, Query()],
) -> Response:
    query = queries.dispute_list_query(principal.scope, filters)
    if listing.wants_workbook:
        return workbook(listing.session, DISPUTES, query, Dispute.id)
    return listing.render(
        "disputes/list.html",
        {
            "results": listing.rows(query),
            "status": filters.status,
            "type": filters.type,
            "station": filters.station_id,
            "officer": filters.officer_id,
            "stations": active_stations(listing.session, principal.scope),
            "officers": active_officers(listing.session, principal.scope),
            "statuses": list(DisputeStatus),
            "types": list(DisputeType),
        },
    )


class CaseForm(DisputeIn):
    """The case form: DisputeIn as a person types it, the amount in yuan and the parties in
    numbered rows (`case_in` makes the input of it once the rows are read)."""

    amount: str = Field(default="", max_length=24, title="涉及金额（元）")

    _amount = field_validator("amount")(_yuan)

    def case_in(self, parties: list[PartyIn]) -> DisputeIn:
        # The page never numbers a case: the service does, by its day.
        own = self.model_dump(include=set(DisputeIn.model_fields) - {"code", "parties"})
        return DisputeIn.model_validate(
            {**own, "amount_fen": _fen(self.amount), "parties": parties}
        )


# A party's fields as the form names them in row n: party_{name}_{n}.
PARTY_NAMES = {"role": "role", "name": "name", "phone": "phone", "id_number": "id"}


def _parties(raw: dict[str, Any], errors: dict[str, str]) -> list[PartyIn]:
    """The rows with a name, each validated as a PartyIn; errors beside the row's fields."""
    parties = []
    for n in range(PARTY_ROWS):
        row = {key: raw.get(f"party_{name}_{n}", "") for key, name in PARTY_NAMES.items()}
        if not str(row["name"]).strip():
            continue
        party, wrong = validate(PartyIn, row)
        errors.update({f"party_{PARTY_NAMES[key]}_{n}": reason for key, reason in wrong.items()})
        if party is not None:
            parties.append(party)
    return parties


def case_fields() -> dict[str, dict[str, Any]]:
    """The case form's fields (label, required, length) as CaseForm and PartyIn declare them,
    by name, the party rows' included."""
    specs = [
        form_field(CaseForm, "type"),
        form_field(CaseForm, "received_on", type="date"),
        form_field(CaseForm, "amount", type="decimal"),
        form_field(CaseForm, "facts"),
    ]
    party = {  # a row left blank is no party: none of its fields is required
        "role": form_field(PartyIn, "role", required=False),
        "name": form_field(PartyIn, "name", required=False),
        "phone": form_field(PartyIn, "phone", type="tel"),
        "id_number": form_field(PartyIn, "id_number", hint="18 位，系统校验末位"),
    }
    for n in range(PARTY_ROWS):
        specs += [{**party[key], "name": f"party_{name}_{n}"} for key, name in PARTY_NAMES.items()]
    return {spec["name"]: spec for spec in specs}


def _case_form(request: Request, project: Project, form: Filled) -> Response:
    return render_with_errors(
        request,
        "disputes/form.html",
        {
            "project": project,
            "values": form.values,
            "fields": case_fields(),
            "rows": range(PARTY_ROWS),
        },
        form.errors,
    )


@router.get("/projects/{project_id}/disputes/new")
def dispute_new(
    request: Request, session: SessionDep, principal: HandlerDep, project_id: int
) -> Response:
    project = get_visible(session, Project, project_id, principal.scope)
    own_officer(session, principal.user, NOT_AN_OFFICER)
    values = {"received_on": today(), "party_role_0": "申请人", "party_role_1": "被申请人"}
    return _case_form(request, project, Filled(values))


@router.post("/projects/{project_id}/disputes")
def dispute_create(
    request: Request,
    session: SessionDep,
    principal: HandlerDep,
    posted: PostedForm,
    project_id: int,
) -> Response:
    project = get_visible(session, Project, project_id, principal.scope)
    handler = own_officer(session, principal.user, NOT_AN_OFFICER)
    raw = dict(posted)
    form, errors = validate(CaseForm, raw)
    parties = _parties(raw, errors)
    if form and not errors:
        with refusals(session, errors, "facts", service.DisputeError):
            dispute = service.open_case(
                session, project, handler, form.case_in(parties), by_user_id=principal.user.id
            )
            session.commit()
            return redirect(request, f"/disputes/{dispute.id}", f"已受理纠纷 {dispute.code}")
    return _case_form(request, project, Filled(raw, errors))


def _detail(
    request: Request,
    session: Session,
    principal: Principal,
    dispute: Dispute,
    form: Filled | None = None,
) -> Response:
    form = form or Filled()
    project = session.get(Project, dispute.project_id)
    handler = session.get(Officer, dispute.handler_id)
    return render_with_errors(
        request,
        "disputes/detail.html",
        {
            "dispute": dispute,
            "project": project,
            "handler": handler,
            "parties": service.parties(session, dispute),
            "follow_ups": service.follow_ups(session, dispute),
            "recoveries": entries_for_dispute(session, pk(dispute)),
            "judicial_deadline": service.judicial_deadline(dispute),
            "today": today(),
            "fields": agreement_fields(),
            "can_handle": project is not None
            and can(principal, Action.DISPUTE_HANDLE, on_project(session, project)),
            "values": form.values,
        },
        form.errors,
    )


@router.get("/disputes/{dispute_id}")
def dispute_detail(
    request: Request, session: SessionDep, principal: CaseReaderDep, dispute_id: int
) -> Response:
    return _detail(
        request, session, principal, get_visible(session, Dispute, dispute_id, principal.scope)
    )


@router.get("/disputes/{dispute_id}/agreement")
def dispute_agreement(
    request: Request, session: SessionDep, principal: CaseReaderDep, dispute_id: int
) -> Response:
    """The mediation agreement (调解协议书), laid out for A4."""
    dispute = get_visible(session, Dispute, dispute_id, principal.scope)
    if dispute.status != DisputeStatus.RESOLVED.value:
        raise HTTPException(status_code=404)
    project = session.get(Project, dispute.project_id)
    station = session.get(Station, project.station_id) if project else None
    return render(
        request,
        "disputes/agreement.html",
        {
            "dispute": dispute,
            "parties": service.parties(session, dispute),
            "project": project,
            "station": station,
            "upper": rmb_upper(dispute.agreement_fen) if dispute.agreement_fen else "",
        },
    )


class ResolveForm(AgreementIn):
    """The agreement form: AgreementIn with its amount typed in yuan."""

    agreement_amount: str = Field(default="", max_length=24, title="协议金额（元）")

    _amount = field_validator("agreement_amount")(_yuan)

    def agreement_in(self) -> AgreementIn:
        own = self.model_dump(include=set(AgreementIn.model_fields) - {"performance"})
        return AgreementIn.model_validate({**own, "agreement_fen": _fen(self.agreement_amount)})


def agreement_fields() -> dict[str, dict[str, Any]]:
    """The agreement form's fields as ResolveForm declares them, by name."""
    specs = [
        form_field(ResolveForm, "obligations"),
        form_field(ResolveForm, "agreement_amount", type="decimal"),
        form_field(ResolveForm, "performance_method", hint="如：一次性银行转账"),
        form_field(ResolveForm, "perform_by", type="date"),
        form_field(ResolveForm, "judicial_confirmation", type="checkbox"),
        form_field(ResolveForm, "book_recovery", type="checkbox"),
    ]
    return {spec["name"]: spec for spec in specs}


def _resolve(
    session: Session, principal: Principal, dispute: Dispute, raw: dict[str, Any]
) -> dict[str, str]:
    """Records the agreement, or returns the form's errors and records nothing."""
    form, errors = validate(ResolveForm, raw)
    if form is None or errors:
        return errors
    handler = session.get(Officer, dispute.handler_id)
    assert handler is not None
    service.resolve(session, dispute, form.agreement_in(), handler, by_user_id=principal.user.id)
    return {}


def _fail(
    session: Session, principal: Principal, dispute: Dispute, raw: dict[str, Any]
) -> dict[str, str]:
    service.fail(session, dispute, str(raw.get("reason", ""))[:1000])
    return {}


def _transfer(
    session: Session, principal: Principal, dispute: Dispute, raw: dict[str, Any]
) -> dict[str, str]:
    service.transfer(
        session,
        dispute,
        str(raw.get("transferred_to", ""))[:128],
        str(raw.get("reason", ""))[:1000],
    )
    return {}


def _performance(
    session: Session, principal: Principal, dispute: Dispute, raw: dict[str, Any]
) -> dict[str, str]:
    value = str(raw.get("performance", ""))
    if value not in Performance.__members__.values():
        raise service.DisputeError("请选择履行结果", "performance")
    service.set_performance(session, dispute, Performance(value))
    return {}


def _follow_up(
    session: Session, principal: Principal, dispute: Dispute, raw: dict[str, Any]
) -> dict[str, str]:
    try:
        visited_on = date.fromisoformat(str(raw.get("visited_on", "")))
    except ValueError:
        raise service.DisputeError("请填写回访日期", "visited_on") from None
    service.follow_up(
        session,
        dispute,
        visited_on=visited_on,
        summary=str(raw.get("summary", ""))[:2000],
        by_user_id=principal.user.id,
    )
    return {}


Step = Callable[[Session, Principal, Dispute, dict[str, Any]], dict[str, str]]
# Each step of a case: it writes, or returns errors beside the form's fields, or raises
# DisputeError for the service's own refusals.
STEPS: dict[str, Step] = {
    "resolve": _resolve,
    "fail": _fail,
    "transfer": _transfer,
    "performance": _performance,
    "follow-up": _follow_up,
}


def _done(session: Session, dispute: Dispute, step: Step) -> str:
    """What the step did, in the words the officer would say it."""
    if step is _resolve:
        booked = "，协议金额已计入挽回损失" if entries_for_dispute(session, pk(dispute)) else ""
        return f"{dispute.code} 调解成功，已记下协议{booked}"
    done: dict[Step, str] = {
        _fail: f"{dispute.code} 已记为调解失败",
        _transfer: f"{dispute.code} 已移交{dispute.transferred_to}",
        _performance: f"履行情况已改为{dispute.performance}",
        _follow_up: "已记下回访",
    }
    return done[step]


def _outcome(
    request: Request,
    session: Session,
    principal: Principal,
    raw: dict[str, Any],
    dispute_id: int,
    step: Step,
) -> Response:
    dispute = get_visible(session, Dispute, dispute_id, principal.scope)
    owner = session.get(Project, dispute.project_id)
    if owner is None or not can(principal, Action.DISPUTE_HANDLE, on_project(session, owner)):
        raise HTTPException(status_code=403)
    errors: dict[str, str] = {}
    with refusals(session, errors, "status", service.DisputeError):
        errors = step(session, principal, dispute, raw)
        if not errors:
            session.commit()
            return redirect(request, f"/disputes/{dispute.id}", _done(session, dispute, step))
    dispute = get_visible(session, Dispute, dispute_id, principal.scope)
    return _detail(request, session, principal, dispute, Filled(raw, errors))


@router.post("/disputes/{dispute_id}/{action}")
def dispute_outcome(
    request: Request,
    session: SessionDep,
    principal: HandlerDep,
    posted: PostedForm,
    dispute_id: int,
    action: str,
) -> Response:
    """resolve, fail, transfer, performance or follow-up: each step of a case, one route."""
    if action not in STEPS:
        raise HTTPException(status_code=404)
    return _outcome(request, session, principal, dict(posted), dispute_id, STEPS[action])


def timeline_entries(session: Session, project_id: int, scope: Scope) -> Iterable[Entry]:
    cases = restrict(select(Dispute).where(Dispute.project_id == project_id), Dispute, scope)
    for dispute in session.exec(cases).all():
        url = f"/disputes/{dispute.id}"
        yield Entry(dispute.received_on, "纠纷", f"受理{dispute.type} {dispute.code}", url=url)
        if dispute.closed_on:
            yield Entry(
                dispute.closed_on,
                "纠纷",
                f"{dispute.code} {dispute.status}",
                dispute.outcome_note,
                url=url,
            )


def project_panel(
    session: Session, principal: Principal, project: Project, on: date
) -> Panel | None:
    mediating = select(Dispute).where(
        Dispute.project_id == project.id, Dispute.status == DisputeStatus.MEDIATING.value
    )
    open_cases = session.exec(restrict(mediating, Dispute, principal.scope)).all()
    can_open = principal.user.officer_id is not None and principal.role in (
        Role.CHIEF,
        Role.OFFICER,
        Role.LEADER,
    )
    return Panel(
        "disputes/_project_panel.html",
        {
            "open_cases": open_cases,
            "project": project,
            "can_open": can_open and project.archived_at is None,
        },
    )
