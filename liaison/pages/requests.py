"""The desk's logged-in side: the inboxes (an officer's, a station's, the duty desk's, an
enterprise's), a request's page with its handling steps, requests logged by staff from a phone
call or the counter and by enterprise contacts as themselves."""

import uuid
from collections.abc import Iterable
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import Response
from pydantic import Field
from sqlmodel import Session, col, select

from liaison.attachments import service as attachments
from liaison.auth.deps import Principal, ReaderDep, SettingsDep, require
from liaison.auth.models import User
from liaison.auth.policy import Action, can
from liaison.auth.roles import STAFF_ROLES, Role
from liaison.clock import local, now
from liaison.config import Settings, get_settings
from liaison.db import SessionDep
from liaison.desk import queries, service, sla
from liaison.desk.models import (
    CLOSED_STATUSES,
    Channel,
    RequestEvent,
    RequestStatus,
    RequestType,
    Satisfaction,
    ServiceRequest,
)
from liaison.desk.service import OWNER
from liaison.desk.sheet import REQUESTS
from liaison.enterprises.models import Enterprise, EnterpriseContact
from liaison.fields import form_field
from liaison.forms import Filled, PostedForm, validate
from liaison.listing import id_in
from liaison.org.models import Officer, Station
from liaison.pages.attachments import Kept, attached, form_photos, keep
from liaison.pages.lists import ListingDep, workbook
from liaison.pages.projects import Panel
from liaison.pages.public import RequestForm, request_fields
from liaison.projects.models import Project
from liaison.projects.timeline import Entry
from liaison.scope import Scope, get_visible, visible
from liaison.web import redirect, render, render_with_errors

router = APIRouter()
WORKERS = STAFF_ROLES
SUBMITTERS = (*WORKERS, Role.ENTERPRISE)  # who logs a request as themselves or for a caller
SubmitterDep = Annotated[Principal, Depends(require(*SUBMITTERS))]
HandlerDep = Annotated[Principal, Depends(require(*WORKERS, Role.ENTERPRISE))]
UPLOAD_LIMIT = attachments.MAX_PER_RECORD * attachments.MAX_BYTES + 1024 * 1024


def attachment_owner(session: Session, request_id: int, scope: object) -> ServiceRequest:
    assert isinstance(scope, Scope)
    return get_visible(session, ServiceRequest, request_id, scope)


# ---- the inboxes -----------------------------------------------------------------------


def _rows(items: Iterable[Any], settings: Settings) -> list[dict[str, Any]]:
    at = now()
    return [
        {
            "request": r,
            "project_name": name,
            "station": station,
            "officer": officer,
            "clock": sla.clock(r, at, settings),
        }
        for r, name, station, officer in items
    ]


@router.get("/requests")
def request_list(
    listing: ListingDep,
    settings: SettingsDep,
    principal: ReaderDep,
    filters: Annotated[queries.RequestFilter, Query()],
) -> Response:
    staff = principal.role in WORKERS
    boxes = (queries.Box.MINE, queries.Box.DUTY, queries.Box.ALL)
    if filters.box not in boxes:
        # An unknown box is no box: the login's own, never the widest.
        filters.box = queries.Box.MINE if staff else queries.Box.ALL
    at = now()
    query = queries.request_list_query(principal, filters, settings, at)
    if listing.wants_workbook:
        return workbook(listing.session, REQUESTS, query, ServiceRequest.id)
    results = listing.rows(query)
    results.items = _rows(results.items, settings)
    return listing.render(
        "desk/list.html",
        {
            "results": results,
            "f": filters,
            "staff": staff,
            "can_submit": principal.role in SUBMITTERS,
            "counts": (
                queries.urgency_counts(listing.session, principal, settings, at) if staff else {}
            ),
            "statuses": list(RequestStatus),
            "types": list(RequestType),
            "urgencies": [sla.Urgency.BREACHED, sla.Urgency.DUE_SOON],
        },
    )


# ---- logging a request as staff or as an enterprise contact ---------------------------


class StaffRequestForm(RequestForm):
    """A request received by phone or at the counter, or an enterprise contact's own (from the
    web); consent is the caller's, told aloud."""

    channel: Channel = Field(default=Channel.PHONE, title="渠道")
    project_code: str = Field(default="", max_length=32, title="项目编号")


def _defaults(session: Session, principal: Principal) -> dict[str, Any]:
    """An enterprise contact submits as themselves: their name and phone, filled in."""
    if principal.role != Role.ENTERPRISE:
        return {"channel": Channel.PHONE.value}
    contact = session.exec(
        select(EnterpriseContact).where(EnterpriseContact.user_id == principal.user.id)
    ).first()
    return {
        "name": contact.name if contact else principal.user.display_name,
        "phone": contact.phone if contact else "",
    }


def _new_form(
    request: Request,
    session: Session,
    principal: Principal,
    form: Filled,
    kept: list[Kept] | None = None,
) -> Response:
    enterprise = (
        session.get(Enterprise, principal.user.enterprise_id)
        if principal.user.enterprise_id
        else None
    )
    return render_with_errors(
        request,
        "desk/new.html",
        {
            "values": {"submission_key": uuid.uuid4().hex, **form.values},
            "staff": principal.role in WORKERS,
            "enterprise": enterprise,
            "kept": kept or [],
            "pending_url": "/uploads/pending",
            "fields": {
                **request_fields(StaffRequestForm, staff=principal.role in WORKERS),
                "channel": form_field(
                    StaffRequestForm,
                    "channel",
                    required=True,
                    options=[(c.value, c.value) for c in (Channel.PHONE, Channel.COUNTER)],
                ),
                "project_code": _project_field(session, principal, enterprise),
            },
        },
        form.errors,
    )


def _project_field(
    session: Session, principal: Principal, enterprise: Enterprise | None
) -> dict[str, Any]:
    """Staff type a project's code; an enterprise contact picks one of their enterprise's
    active projects, so the request goes straight to that project's officer."""
    hint = "涉及重点项目时填写，诉求将转给该项目的项目警官"
    if enterprise is None:
        return form_field(StaffRequestForm, "project_code", hint=hint)
    projects = session.exec(
        select(Project)
        .where(
            Project.enterprise_id == enterprise.id,
            col(Project.archived_at).is_(None),
            visible(Project, principal.scope),
        )
        .order_by(col(Project.name))
    ).all()
    return form_field(
        StaffRequestForm,
        "project_code",
        type="select",
        label="涉及的项目（选填）",
        options=[(p.code, p.name) for p in projects],
        hint=hint,
    )


@router.get("/requests/new")
def request_new(request: Request, session: SessionDep, principal: SubmitterDep) -> Response:
    return _new_form(request, session, principal, Filled(_defaults(session, principal)))


def _project_by_code(session: Session, principal: Principal, code: str) -> Project | None:
    if not code.strip():
        return None
    project = session.exec(
        select(Project).where(
            Project.code == code.strip(),
            col(Project.archived_at).is_(None),
            visible(Project, principal.scope),
        )
    ).first()
    if project is None:
        raise service.DeskError("没有这个项目编号", "project_code")
    return project


@router.post("/requests/new", max_body_size=UPLOAD_LIMIT)
def request_create(
    request: Request,
    session: SessionDep,
    form_data: PostedForm,
    settings: SettingsDep,
    principal: SubmitterDep,
) -> Response:
    raw = {k: v for k, v in form_data.items() if isinstance(v, str)}
    staff = principal.role in WORKERS
    # What the login says, whatever was posted: its enterprise, and the web for a contact.
    fixed = {"consent": "on", "enterprise_name": "", "enterprise_id": principal.user.enterprise_id}
    if not staff:
        fixed["channel"] = Channel.WEB.value
    # A request's photos are the public's, as on the public form: photos only, no originals.
    holder = attachments.Holder(form="desk-new:", user_id=principal.user.id, public=True)
    photos = form_photos(session, form_data, holder)

    def refused(errors: dict[str, str]) -> Response:
        session.rollback()
        kept = keep(session, photos, errors)
        session.commit()
        return _new_form(request, session, principal, Filled(raw, errors), kept)

    form, errors = validate(StaffRequestForm, {**raw, **fixed})
    if form is None or errors:
        return refused(errors)
    try:
        project = _project_by_code(session, principal, form.project_code)
        if staff and form.channel not in (Channel.PHONE, Channel.COUNTER):
            raise service.DeskError("请选择电话或窗口", "channel")
        created, _ = service.submit(
            session,
            form.request_in(),
            settings=settings,
            project=project,
            submission_key=form.submission_key or None,
            by_user_id=principal.user.id,
        )
        attachments.add(
            session,
            owner_type=OWNER,
            owner_id=created.id or 0,
            files=photos.files,
            uploaded_by_id=principal.user.id,
            public=True,
        )
        attached(session, photos)
        session.commit()
    except service.DeskError as exc:
        return refused({exc.field or "content": str(exc)})
    except attachments.AttachmentError as exc:
        return refused({"photos": str(exc)})
    reached = session.exec(
        select(ServiceRequest.id).where(
            ServiceRequest.id == created.id, visible(ServiceRequest, principal.scope)
        )
    ).first()
    if reached is None:  # no project: it went to the bureau's duty desk, beyond a station's scope
        return redirect(
            request, "/requests", f"已登记，受理编号 {created.tracking_no}，已转分局值班台办理"
        )
    return redirect(request, f"/requests/{created.id}", f"已登记，受理编号 {created.tracking_no}")


# ---- a request's page ------------------------------------------------------------------


def _targets(session: Session) -> dict[str, Any]:
    """Where a request may be transferred: any station, any active officer."""
    stations = session.exec(
        select(Station).where(col(Station.active)).order_by(col(Station.code))
    ).all()
    officers = session.exec(
        select(Officer, Station.name)
        .join(Station, col(Station.id) == Officer.station_id)
        .where(col(Officer.active))
        .order_by(col(Station.code), col(Officer.name))
    ).all()
    return {"stations": stations, "officers": officers}


def _detail(
    request: Request,
    session: Session,
    settings: Settings,
    principal: Principal,
    found: ServiceRequest,
    form: Filled | None = None,
    status_code: int = 200,
) -> Response:
    form = form or Filled()
    staff = principal.role in WORKERS or principal.role == Role.ADMIN
    events = session.exec(
        select(RequestEvent, User.display_name)
        .outerjoin(User, col(User.id) == RequestEvent.by_user_id)
        .where(RequestEvent.request_id == found.id)
        .where(col(RequestEvent.public) if not staff else col(RequestEvent.id).is_not(None))
        .order_by(col(RequestEvent.id))
    ).all()
    handling = can(principal, Action.REQUEST_HANDLE, found)
    return render(
        request,
        "desk/detail.html",
        {
            "r": found,
            "clock": sla.clock(found, now(), settings),
            "project": session.get(Project, found.project_id) if found.project_id else None,
            "enterprise": session.get(Enterprise, found.enterprise_id)
            if found.enterprise_id
            else None,
            "officer": session.get(Officer, found.officer_id) if found.officer_id else None,
            "station": session.get(Station, found.station_id) if found.station_id else None,
            "events": events,
            "photos": attachments.for_owner(session, OWNER, found.id or 0),
            "staff": staff,
            "can_handle": handling,
            "can_rate": found.created_by_id == principal.user.id
            and found.status == RequestStatus.CLOSED.value
            and found.satisfaction is None,
            "can_supplement": _may(principal, found, "supplement")
            and found.status not in CLOSED_STATUSES,
            "satisfactions": list(Satisfaction),
            "errors": form.errors,
            "values": form.values,
            **(_targets(session) if handling else {}),
        },
        status_code=status_code,
    )


@router.get("/requests/{request_id}")
def request_detail(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    principal: ReaderDep,
    request_id: int,
) -> Response:
    found = get_visible(session, ServiceRequest, request_id, principal.scope)
    return _detail(request, session, settings, principal, found)


def _transfer(session: Session, found: ServiceRequest, raw: dict[str, Any], by: int) -> str:
    """Transfer as the form asks; the name of whom it went to."""
    target = str(raw.get("to", ""))
    officer = station = None
    if target.startswith("o") and (officer_id := id_in(target[1:])):
        officer = session.get(Officer, officer_id)
        if officer is None or not officer.active:
            raise service.DeskError("请选择转办对象", "to")
    elif target.startswith("s") and (station_id := id_in(target[1:])):
        station = session.get(Station, station_id)
        if station is None:
            raise service.DeskError("请选择转办对象", "to")
    elif target != "duty":
        raise service.DeskError("请选择转办对象", "to")
    if (officer, station) == (None, None) and found.station_id is None:
        raise service.DeskError("诉求已在值班台", "to")
    service.transfer(
        session,
        found,
        officer=officer,
        station=station,
        reason=str(raw.get("reason", ""))[:1000],
        by_user_id=by,
    )
    return officer.name if officer else station.name if station else "值班台"


def _act(
    session: Session,
    settings: Settings,
    principal: Principal,
    found: ServiceRequest,
    action: str,
    raw: dict[str, Any],
) -> str:
    """Run one handling step; the message to show after it."""
    by = principal.user.id
    text = str(raw.get("body", raw.get("reason", raw.get("summary", ""))))[:2000]
    if action == "rate":
        value = str(raw.get("satisfaction", ""))
        if value not in Satisfaction.__members__.values():
            raise service.DeskError("请选择评价", "satisfaction")
        reason = str(raw.get("reason", ""))
        service.rate(session, found, Satisfaction(value), settings=settings, reason=reason)
        return "感谢您的评价"
    if action == "accept":
        service.accept(session, found, by_user_id=by)
        return f"已受理 {found.tracking_no}"
    if action == "decline":
        service.decline(session, found, text, by_user_id=by)
        return "已不予受理，理由已告知诉求人"
    if action in ("reply", "note"):
        service.reply(session, found, text, public=action == "reply", by_user_id=by)
        return "已答复诉求人" if action == "reply" else "已记下备注（仅民警可见）"
    if action == "supplement":
        service.add_contact_reply(session, found, text, by_user_id=by)
        return "已提交补充说明，承办民警将收到提醒"
    if action == "transfer":
        return f"已转办给 {_transfer(session, found, raw, by or 0)}"
    service.close(session, found, text, by_user_id=by)
    return f"已办结 {found.tracking_no}，诉求人可以评价"


ACTIONS = frozenset(
    {"accept", "decline", "reply", "note", "transfer", "close", "rate", "supplement"}
)


def _may(principal: Principal, found: ServiceRequest, action: str) -> bool:
    """rate: the contact who submitted it; supplement (补充说明): a contact of the enterprise
    that submitted it, who may follow it as the scope has it; the handling steps: those who
    handle it."""
    if action == "rate":
        return found.created_by_id == principal.user.id
    if action == "supplement":
        enterprise = principal.user.enterprise_id
        return principal.role == Role.ENTERPRISE and enterprise == found.enterprise_id
    return can(principal, Action.REQUEST_HANDLE, found)


@router.post("/requests/{request_id}/{action}")
def request_action(
    request: Request,
    session: SessionDep,
    posted: PostedForm,
    settings: SettingsDep,
    principal: HandlerDep,
    request_id: int,
    action: str,
) -> Response:
    """accept, decline, reply, note, transfer or close (those who handle it); rate (the
    enterprise contact who submitted it); supplement (its enterprise's contacts)."""
    if action not in ACTIONS:
        raise HTTPException(status_code=404)
    found = get_visible(session, ServiceRequest, request_id, principal.scope)
    if not _may(principal, found, action):
        raise HTTPException(status_code=403)
    raw = {k: v for k, v in posted.items() if isinstance(v, str)}
    try:
        message = _act(session, settings, principal, found, action, raw)
        session.commit()
    except service.DeskError as exc:
        session.rollback()
        found = get_visible(session, ServiceRequest, request_id, principal.scope)
        field = exc.field if exc.field and exc.field != "action" else None
        errors = {f"{action}.{field}" if field else "action": str(exc)}
        return _detail(request, session, settings, principal, found, Filled(raw, errors), 422)
    still_visible = session.exec(
        select(ServiceRequest.id).where(
            ServiceRequest.id == request_id, visible(ServiceRequest, principal.scope)
        )
    ).first()
    target = f"/requests/{request_id}" if still_visible else "/requests"
    return redirect(request, target, message)


# ---- on the project's page and timeline ------------------------------------------------


def timeline_entries(session: Session, project_id: int, scope: Scope) -> Iterable[Entry]:
    rows = session.exec(
        select(ServiceRequest).where(
            ServiceRequest.project_id == project_id, visible(ServiceRequest, scope)
        )
    ).all()
    for r in rows:
        url = f"/requests/{r.id}"
        yield Entry(local(r.received_at).date(), "诉求", f"收到{r.type} {r.tracking_no}", url=url)
        if r.closed_at is not None:
            yield Entry(local(r.closed_at).date(), "诉求", f"{r.status} {r.tracking_no}", url=url)


def project_panel(
    session: Session, principal: Principal, project: Project, today: date
) -> Panel | None:
    rows = session.exec(
        select(ServiceRequest)
        .where(
            ServiceRequest.project_id == project.id,
            queries.is_open,
            visible(ServiceRequest, principal.scope),
        )
        .order_by(queries.due_at)
        .limit(10)
    ).all()
    return Panel(
        "desk/_project_panel.html",
        {"open_requests": rows, "project": project},
    )


def home_panel(session: Session, principal: Principal, on: date) -> Panel | None:
    """What waits on this login and how it stands: the first few by deadline, with the counts."""
    if principal.role not in WORKERS:
        return None
    settings = get_settings()
    at = now()
    query = queries.request_list_query(
        principal, queries.RequestFilter(box=queries.Box.MINE), settings, at
    )
    rows = _rows(session.exec(query.limit(5)).all(), settings)
    counts = queries.urgency_counts(session, principal, settings, at)
    return Panel("desk/_home_panel.html", {"rows": rows, "counts": counts})
