"""Hazard pages: logging one with photos, the loop, the lists (hazards and complex areas), and
the sections hazards add to the home page, the project page and its timeline."""

from collections.abc import Iterable
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import Response
from sqlmodel import Session, col, select

from liaison.attachments import service as attachments
from liaison.auth.deps import Principal, ReaderDep, SettingsDep, StaffDep, require
from liaison.auth.models import User
from liaison.auth.policy import Action, can
from liaison.auth.roles import STAFF_ROLES, Role
from liaison.clock import local, today
from liaison.config import Settings
from liaison.db import SessionDep, pk
from liaison.fields import form_field
from liaison.forms import Filled, PostedForm, refusals, validate
from liaison.hazards import queries, service
from liaison.hazards.models import Hazard, HazardCategory, HazardEvent, HazardLevel, HazardStatus
from liaison.hazards.schemas import HazardIn
from liaison.hazards.sheet import HAZARDS
from liaison.org.models import Officer
from liaison.org.queries import active_officers, active_stations
from liaison.pages.attachments import Kept, attached, form_photos, keep, uploads
from liaison.pages.lists import ListingDep, workbook
from liaison.pages.projects import Panel
from liaison.projects.models import Project
from liaison.projects.service import on_project
from liaison.projects.timeline import Entry
from liaison.scope import Scope, get_visible
from liaison.web import own_officer, redirect, render_with_errors

router = APIRouter()
WORKERS = STAFF_ROLES
FinderDep = Annotated[Principal, Depends(require(Role.CHIEF, Role.OFFICER))]
UPLOAD_LIMIT = attachments.MAX_PER_RECORD * attachments.MAX_BYTES + 1024 * 1024


def attachment_owner(session: Session, hazard_id: int, scope: object) -> Hazard:
    assert isinstance(scope, Scope)
    return get_visible(session, Hazard, hazard_id, scope)


# ---- lists -----------------------------------------------------------------------------


@router.get("/hazards")
@router.get("/areas")
def hazard_list(
    listing: ListingDep, principal: ReaderDep, filters: Annotated[queries.HazardFilter, Query()]
) -> Response:
    """Hazards; at /areas the complex public-order areas (hazards of that category), in their
    own words."""
    filters.areas = listing.request.url.path == "/areas"
    if filters.areas:
        filters.category = ""
    query = queries.hazard_list_query(principal.scope, filters, today=today())
    if listing.wants_workbook:
        return workbook(listing.session, HAZARDS, query, Hazard.id)
    results = listing.rows(query)
    results.items = queries.to_rows(results.items)
    return listing.render(
        "hazards/list.html",
        {
            "results": results,
            "f": filters,
            "stations": active_stations(listing.session, principal.scope),
            "officers": active_officers(listing.session, principal.scope),
            "status_options": [
                (s.value, service.AREA_STATUS[s] if filters.areas else s.value)
                for s in HazardStatus
            ],
            "levels": list(HazardLevel),
            "categories": [c for c in HazardCategory if c != HazardCategory.COMPLEX_AREA],
            "area_status": service.AREA_STATUS,
            "path": "/areas" if filters.areas else "/hazards",
        },
    )


# ---- logging a hazard ------------------------------------------------------------------


def _hazard_fields(settings: Settings) -> list[dict[str, Any]]:
    """The form's fields as HazardIn declares them; the deadline's hint tells each level's
    default number of days."""
    days = (
        f"重大 {settings.hazard_days_major} 天，较大 {settings.hazard_days_serious} 天，"
        f"一般 {settings.hazard_days_general} 天"
    )
    return [
        form_field(HazardIn, "category"),
        form_field(HazardIn, "level", hint="重大隐患由分局挂牌督办"),
        form_field(HazardIn, "description"),
        form_field(HazardIn, "location"),
        form_field(HazardIn, "found_on", type="date"),
        form_field(HazardIn, "deadline", type="date", hint=f"不填则按等级：{days}"),
        form_field(HazardIn, "responsible_party"),
    ]


def _form(
    request: Request,
    project: Project,
    settings: Settings,
    form: Filled,
    kept: list[Kept] | None = None,
) -> Response:
    return render_with_errors(
        request,
        "hazards/form.html",
        {
            "project": project,
            "values": form.values,
            "fields": _hazard_fields(settings),
            "kept": kept or [],
        },
        form.errors,
    )


def _holder(principal: Principal, form: str) -> attachments.Holder:
    """A staff form's pending photos belong to the login that chose them."""
    return attachments.Holder(form=form, user_id=principal.user.id)


@router.get("/projects/{project_id}/hazards/new")
def hazard_new(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    principal: FinderDep,
    project_id: int,
    area: bool = False,
) -> Response:
    project = get_visible(session, Project, project_id, principal.scope)
    values = {
        "found_on": today(),
        "level": "一般",
        "category": HazardCategory.COMPLEX_AREA.value if area else "",
    }
    return _form(request, project, settings, Filled(values))


@router.post("/projects/{project_id}/hazards", max_body_size=UPLOAD_LIMIT)
def hazard_create(
    request: Request,
    session: SessionDep,
    form_data: PostedForm,
    settings: SettingsDep,
    principal: FinderDep,
    project_id: int,
) -> Response:
    project = get_visible(session, Project, project_id, principal.scope)
    finder = own_officer(session, principal.user)
    raw = {k: v for k, v in form_data.items() if isinstance(v, str)}
    form, errors = validate(HazardIn, raw)
    chosen = form_photos(session, form_data, _holder(principal, f"hazard-new:{project_id}"))
    if form and not errors:
        with refusals(session, errors, "description", service.HazardError):
            hazard = service.log_hazard(
                session,
                settings,
                project,
                finder,
                form,
                by_user_id=principal.user.id,
                photos=chosen.files,
            )
            attached(session, chosen)
            session.commit()
            return redirect(
                request,
                f"/hazards/{hazard.id}",
                f"已登记{'复杂区域' if hazard.is_area else '隐患'} {hazard.code}",
            )
    kept = keep(session, chosen, errors)
    session.commit()
    return _form(request, project, settings, Filled(raw, errors), kept)


# ---- one hazard and its loop -----------------------------------------------------------


def _detail(
    request: Request,
    session: Session,
    principal: Principal,
    hazard: Hazard,
    errors: dict[str, str] | None = None,
    kept: list[Kept] | None = None,
    comment: str = "",
) -> Response:
    project = session.get(Project, hazard.project_id)
    assert project is not None  # a foreign key
    finder = session.get(Officer, hazard.found_by_id)
    events = session.exec(
        select(HazardEvent, Officer.name, User.display_name)
        .outerjoin(Officer, col(Officer.id) == HazardEvent.officer_id)
        .outerjoin(User, col(User.id) == HazardEvent.by_user_id)
        .where(HazardEvent.hazard_id == hazard.id)
        .order_by(col(HazardEvent.id))
    ).all()
    files = attachments.for_owner(session, service.OWNER, pk(hazard))
    allowed = {
        Action.HAZARD_HANDLE: can(principal, Action.HAZARD_HANDLE, on_project(session, project)),
        Action.HAZARD_SIGN_OFF: can(
            principal, Action.HAZARD_SIGN_OFF, service.review_target(session, hazard)
        ),
    }
    steps = [
        (action, service.step_label(action, hazard.is_area))
        for action, step in service.STEPS.items()
        if step.source.value == hazard.status and allowed[step.action]
    ]
    return render_with_errors(
        request,
        "hazards/detail.html",
        {
            "hazard": hazard,
            "project": project,
            "finder": finder,
            "events": events,
            "files": files,
            "status": service.status_label(hazard),
            "overdue": service.is_overdue(hazard),
            "steps": steps if principal.role in WORKERS else [],
            "step_labels": {a: service.step_label(a, hazard.is_area) for a in service.STEPS},
            "can_add_photos": principal.role in WORKERS
            and hazard.status != HazardStatus.CLOSED.value,
            "kept": kept or [],
            "comment": comment,
        },
        errors,
    )


@router.get("/hazards/{hazard_id}")
def hazard_detail(
    request: Request, session: SessionDep, principal: ReaderDep, hazard_id: int
) -> Response:
    return _detail(
        request, session, principal, get_visible(session, Hazard, hazard_id, principal.scope)
    )


@router.post("/hazards/{hazard_id}/steps", max_body_size=UPLOAD_LIMIT)
def hazard_step(
    request: Request,
    session: SessionDep,
    form_data: PostedForm,
    principal: StaffDep,
    hazard_id: int,
) -> Response:
    hazard = get_visible(session, Hazard, hazard_id, principal.scope)
    action, comment = str(form_data.get("action", "")), str(form_data.get("comment", ""))[:1000]
    project = session.get(Project, hazard.project_id)
    assert project is not None  # a foreign key
    step = service.STEPS.get(action)
    if (
        step
        and step.action == Action.HAZARD_HANDLE
        and not can(principal, step.action, on_project(session, project))
    ):
        raise HTTPException(status_code=403)
    chosen = form_photos(session, form_data, _holder(principal, f"hazard-step:{hazard_id}"))
    try:
        service.transition(
            session,
            hazard,
            action,
            comment=comment,
            role=principal.role,
            by_user_id=principal.user.id,
            officer_id=principal.user.officer_id,
            photos=chosen.files,
        )
        attached(session, chosen)
        session.commit()
    except service.HazardError as exc:
        session.rollback()
        # Beside this form's own photo field, not the field of the page's other photo form.
        field = "step_photos" if exc.field == "photos" else exc.field or "action"
        errors = {field: str(exc)}
        existing = attachments.count(session, service.OWNER, pk(hazard))
        kept = keep(session, chosen, errors, "step_photos", existing=existing)
        session.commit()
        return _detail(request, session, principal, hazard, errors, kept, comment)
    return redirect(
        request, f"/hazards/{hazard.id}", f"已{service.step_label(action, hazard.is_area)}"
    )


@router.post("/hazards/{hazard_id}/photos", max_body_size=UPLOAD_LIMIT)
def hazard_photos(
    request: Request, session: SessionDep, posted: PostedForm, principal: StaffDep, hazard_id: int
) -> Response:
    hazard = get_visible(session, Hazard, hazard_id, principal.scope)
    photos = uploads(posted)
    try:
        if not photos:
            raise service.HazardError("请选择照片", "photos")
        service.add_after_photos(session, hazard, photos, by_user_id=principal.user.id)
        session.commit()
    except service.HazardError as exc:
        session.rollback()
        return _detail(request, session, principal, hazard, {exc.field or "photos": str(exc)})
    return redirect(request, f"/hazards/{hazard.id}", f"已添加 {len(photos)} 张整改后照片")


# ---- what hazards add to other pages ---------------------------------------------------


def timeline_entries(session: Session, project_id: int, scope: Scope) -> Iterable[Entry]:
    rows = session.exec(
        select(HazardEvent, Hazard)
        .join(Hazard, col(Hazard.id) == HazardEvent.hazard_id)
        .where(Hazard.project_id == project_id)
    ).all()
    for event, hazard in rows:
        kind = "复杂区域" if hazard.is_area else "隐患"
        if event.action == "found":
            title = f"发现{hazard.level}{kind}：{hazard.category}"
        else:
            title = f"{kind} {hazard.code} {service.step_label(event.action, hazard.is_area)}"
        day = hazard.found_on if event.action == "found" else local(event.at).date()
        yield Entry(day, kind, title, event.comment, url=f"/hazards/{hazard.id}")


def project_panel(
    session: Session, principal: Principal, project: Project, on: date
) -> Panel | None:
    rows = queries.to_rows(
        list(
            session.exec(
                queries.hazard_list_query(
                    principal.scope,
                    queries.HazardFilter(project_id=project.id, open_only=True),
                    today=on,
                )
            ).all()
        )
    )
    areas = queries.to_rows(
        list(
            session.exec(
                queries.hazard_list_query(
                    principal.scope,
                    queries.HazardFilter(project_id=project.id, open_only=True, areas=True),
                    today=on,
                )
            ).all()
        )
    )
    can_log = principal.role in (Role.CHIEF, Role.OFFICER) and project.archived_at is None
    return Panel(
        "hazards/_project_panel.html",
        {"rows": rows + areas, "project": project, "can_log": can_log},
    )


def home_panel(session: Session, principal: Principal, on: date) -> Panel | None:
    """An officer: the overdue hazards of their own projects still theirs to act on. A chief:
    the station's overdue hazards, reviews included. Leaders: 重大 hazards under supervision."""
    scope = principal.scope
    if principal.role == Role.LEADER:
        filters = queries.HazardFilter(level=HazardLevel.MAJOR.value, open_only=True)
        query, title = queries.hazard_list_query(scope, filters, today=on), "挂牌督办的重大隐患"
    elif principal.role == Role.OFFICER and scope.officer_id is not None:
        query = queries.my_overdue_query(scope, scope.officer_id, today=on)
        title = "我的逾期未整改隐患"
    elif principal.role == Role.CHIEF:
        filters = queries.HazardFilter(overdue=True)
        query, title = queries.hazard_list_query(scope, filters, today=on), "本所逾期未整改的隐患"
    else:
        return None
    rows = queries.to_rows(list(session.exec(query.limit(20)).all()))
    return Panel("hazards/_home_panel.html", {"rows": rows, "title": title})
