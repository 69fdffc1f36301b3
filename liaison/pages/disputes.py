"""Dispute pages: opening a case with its parties, mediation outcomes, performance, follow-up
visits, the printable agreement, lists, and what disputes add to the project page."""

from collections.abc import Callable, Iterable
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field, field_validator
from sqlmodel import Session, col, select

from liaison import downloads
from liaison.auth.deps import Principal, ReaderDep, require
from liaison.auth.policy import Action, can
from liaison.auth.roles import Role
from liaison.clock import today
from liaison.db import SessionDep, paginate, pk
from liaison.disputes import queries, service
from liaison.disputes.models import Dispute, DisputeStatus, DisputeType, PartyRole, Performance
from liaison.disputes.sheet import DISPUTES
from liaison.forms import Filled, refusals, validate
from liaison.listing import PageNumber
from liaison.money import parse_amount, rmb_upper
from liaison.org.models import Officer, Station
from liaison.org.queries import active_officers, active_stations
from liaison.pages.projects import Panel
from liaison.projects.models import Project
from liaison.projects.service import on_project
from liaison.projects.timeline import Entry
from liaison.recoveries.service import entries_for_dispute
from liaison.scope import Scope, get_visible
from liaison.web import own_officer, redirect, render, render_list, render_with_errors

router = APIRouter()
NOT_AN_OFFICER = "须由民警本人办理"
HandlerDep = Annotated[Principal, Depends(require(Role.LEADER, Role.CHIEF, Role.OFFICER))]
PARTY_ROWS = 4


def _amount(value: str, field: str, errors: dict[str, str]) -> int | None:
    if not value:
        return None
    try:
        fen = parse_amount(value)
    except ValueError as exc:
        errors[field] = str(exc)
        return None
    if fen < 0:
        errors[field] = "金额不能为负数"
    return fen


@router.get("/disputes")
def dispute_list(
    request: Request,
    session: SessionDep,
    principal: ReaderDep,
    filters: Annotated[queries.DisputeFilter, Query()],
    page: PageNumber = 1,
    format: str = "",
) -> Response:
    query = queries.dispute_list_query(principal.scope, filters)
    if format == "xlsx":
        ids = downloads.ids_of(query, col(Dispute.id))
        return downloads.sheet_response(session, DISPUTES, ids)
    results = paginate(session, query, page=page)
    stations = active_stations(session, principal.scope)
    officers = active_officers(session, principal.scope)
    return render_list(
        request,
        "disputes/list.html",
        {
            "results": results,
            "status": filters.status,
            "type": filters.type,
            "station": filters.station_id,
            "officer": filters.officer_id,
            "stations": stations,
            "officers": officers,
            "statuses": list(DisputeStatus),
            "types": list(DisputeType),
        },
    )


class CaseForm(BaseModel):
    type: DisputeType
    facts: str = Field(min_length=1, max_length=4000)
    received_on: date
    amount: str = Field(default="", max_length=24)


def _parties(raw: dict[str, Any], errors: dict[str, str]) -> list[service.Party]:
    parties = []
    for n in range(PARTY_ROWS):
        name = str(raw.get(f"party_name_{n}", "")).strip()
        if not name:
            continue
        role = str(raw.get(f"party_role_{n}", ""))
        phone = str(raw.get(f"party_phone_{n}", "")).strip()
        id_number = str(raw.get(f"party_id_{n}", "")).strip().upper()
        if role not in PartyRole.__members__.values():
            errors[f"party_role_{n}"] = "请选择申请人或被申请人"
            continue
        if phone and not (phone.isdigit() and 7 <= len(phone) <= 12):
            errors[f"party_phone_{n}"] = "电话格式不正确"
        parties.append(service.Party(PartyRole(role), name[:64], phone, id_number))
    return parties


def _case_form(request: Request, project: Project, form: Filled) -> Response:
    return render_with_errors(
        request,
        "disputes/form.html",
        {
            "project": project,
            "values": form.values,
            "types": list(DisputeType),
            "roles": list(PartyRole),
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
async def dispute_create(
    request: Request, session: SessionDep, principal: HandlerDep, project_id: int
) -> Response:
    project = get_visible(session, Project, project_id, principal.scope)
    handler = own_officer(session, principal.user, NOT_AN_OFFICER)
    raw = dict(await request.form())
    form, errors = validate(CaseForm, raw)
    parties = _parties(raw, errors)
    amount = _amount(str(raw.get("amount", "")), "amount", errors)
    if form and not errors:
        with refusals(session, errors, "facts", service.DisputeError):
            dispute = service.open_case(
                session,
                project,
                handler,
                service.Case(
                    type=form.type,
                    facts=form.facts,
                    received_on=form.received_on,
                    amount_fen=amount,
                    parties=parties,
                ),
                by_user_id=principal.user.id,
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
            "can_handle": project is not None
            and can(principal, Action.DISPUTE_HANDLE, on_project(session, project)),
            "values": form.values,
        },
        form.errors,
    )


@router.get("/disputes/{dispute_id}")
def dispute_detail(
    request: Request, session: SessionDep, principal: ReaderDep, dispute_id: int
) -> Response:
    return _detail(
        request, session, principal, get_visible(session, Dispute, dispute_id, principal.scope)
    )


@router.get("/disputes/{dispute_id}/agreement")
def dispute_agreement(
    request: Request, session: SessionDep, principal: ReaderDep, dispute_id: int
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


class ResolveForm(BaseModel):
    obligations: str = Field(min_length=1, max_length=4000)
    agreement_amount: str = Field(default="", max_length=24)
    performance_method: str = Field(default="", max_length=255)
    perform_by: date | None = None
    judicial_confirmation: bool = False
    book_recovery: bool = False

    @field_validator("perform_by", mode="before")
    @classmethod
    def _blank_is_none(cls, value: Any) -> Any:
        return None if value == "" else value


def _resolve(
    session: Session, principal: Principal, dispute: Dispute, raw: dict[str, Any]
) -> dict[str, str]:
    """Records the agreement, or returns the form's errors and records nothing."""
    form, errors = validate(ResolveForm, raw)
    amount = _amount(str(raw.get("agreement_amount", "")), "agreement_amount", errors)
    if form is None or errors:
        return errors
    handler = session.get(Officer, dispute.handler_id)
    assert handler is not None
    service.resolve(
        session,
        dispute,
        service.Agreement(
            obligations=form.obligations,
            amount_fen=amount,
            performance_method=form.performance_method,
            perform_by=form.perform_by,
            judicial_confirmation=form.judicial_confirmation,
            book_recovery=form.book_recovery,
        ),
        handler,
        by_user_id=principal.user.id,
    )
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


async def _outcome(
    request: Request, session: Session, principal: Principal, dispute_id: int, step: Step
) -> Response:
    dispute = get_visible(session, Dispute, dispute_id, principal.scope)
    owner = session.get(Project, dispute.project_id)
    if owner is None or not can(principal, Action.DISPUTE_HANDLE, on_project(session, owner)):
        raise HTTPException(status_code=403)
    raw: dict[str, Any] = dict(await request.form())
    errors: dict[str, str] = {}
    with refusals(session, errors, "status", service.DisputeError):
        errors = step(session, principal, dispute, raw)
        if not errors:
            session.commit()
            return redirect(request, f"/disputes/{dispute.id}", "已保存")
    dispute = get_visible(session, Dispute, dispute_id, principal.scope)
    return _detail(request, session, principal, dispute, Filled(raw, errors))


@router.post("/disputes/{dispute_id}/{action}")
async def dispute_outcome(
    request: Request, session: SessionDep, principal: HandlerDep, dispute_id: int, action: str
) -> Response:
    """resolve, fail, transfer, performance or follow-up: each step of a case, one route."""
    if action not in STEPS:
        raise HTTPException(status_code=404)
    return await _outcome(request, session, principal, dispute_id, STEPS[action])


def timeline_entries(session: Session, project_id: int, scope: Scope) -> Iterable[Entry]:
    for dispute in session.exec(select(Dispute).where(Dispute.project_id == project_id)).all():
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
    open_cases = session.exec(
        select(Dispute).where(
            Dispute.project_id == project.id, Dispute.status == DisputeStatus.MEDIATING.value
        )
    ).all()
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
