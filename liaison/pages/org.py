"""The admin's pages for stations and officer records, and each officer's own page: their
absences (外出), which send their projects' work to the backup officers meanwhile."""

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import Response
from pydantic import BaseModel
from sqlmodel import Field, Session, col, func, select

from liaison import clock
from liaison.auth.deps import Principal, require
from liaison.auth.models import User
from liaison.auth.policy import Action, OnOfficer, can, require_action
from liaison.auth.roles import Role
from liaison.db import SessionDep, pk
from liaison.fields import form_field
from liaison.forms import Filled, PostedForm, refusals, validate
from liaison.listing import Day, searching
from liaison.notify.routing import away
from liaison.org import service
from liaison.org.models import Absence, Officer, Station
from liaison.org.schemas import OfficerIn, StationIn
from liaison.pages.lists import ListingDep
from liaison.pii import keep_if_masked, mask_phone
from liaison.projects import service as projects
from liaison.scope import get_visible
from liaison.web import FormPage, get_or_404, redirect, render, render_with_errors

router = APIRouter()
ADMIN_ONLY = [Depends(require(Role.ADMIN))]  # every /admin page; an officer's page is staff's


# ---- stations --------------------------------------------------------------------------


class StationForm(StationIn):
    """StationIn as the admin's form sends it: an unticked box is not sent at all."""

    active: bool = Field(default=False, title="启用")


STATION_FIELDS: list[dict[str, Any]] = [
    form_field(StationForm, "code", hint="字母、数字、下划线或连字符"),
    form_field(StationForm, "name"),
    form_field(StationForm, "active", type="checkbox"),
]
STATION_PAGE = FormPage(
    "/admin/stations", "新建单位", "编辑单位", back="/admin/stations", fields=STATION_FIELDS
)
OFFICER_PAGE = FormPage("/admin/officers", "新建民警", "编辑民警", back="/admin/officers")


@router.get("/admin/stations", dependencies=ADMIN_ONLY)
def station_list(request: Request, session: SessionDep) -> Response:
    rows = session.exec(
        select(Station, func.count(col(Officer.id)))
        .outerjoin(Officer, col(Officer.station_id) == Station.id)
        .group_by(col(Station.id))
        .order_by(Station.code)
    ).all()
    return render(request, "admin/stations/list.html", {"rows": rows})


@router.get("/admin/stations/new", dependencies=ADMIN_ONLY)
def station_new(request: Request) -> Response:
    return STATION_PAGE.render(request, None, Filled({"active": True}))


@router.get("/admin/stations/{station_id}", dependencies=ADMIN_ONLY)
def station_edit(request: Request, session: SessionDep, station_id: int) -> Response:
    station = get_or_404(session, Station, station_id)
    return STATION_PAGE.render(request, station, Filled(station.model_dump()))


@router.post("/admin/stations", dependencies=ADMIN_ONLY)
@router.post("/admin/stations/{station_id}", dependencies=ADMIN_ONLY)
def station_save(
    request: Request, session: SessionDep, posted: PostedForm, station_id: int | None = None
) -> Response:
    station = get_or_404(session, Station, station_id) if station_id else None
    raw = dict(posted)
    form, errors = validate(StationForm, raw)
    if form and not errors:
        with refusals(session, errors, "code", service.OrgError):
            service.save_station(session, station, form)
            session.commit()
            return redirect(request, "/admin/stations", f"已保存单位 {form.name}")
    return STATION_PAGE.render(request, station if station_id else None, Filled(raw, errors))


# ---- officer records -------------------------------------------------------------------


class OfficerForm(OfficerIn):
    """OfficerIn as the admin's form sends it: an unticked box is not sent at all."""

    active: bool = Field(default=False, title="在岗")


def _officer_fields(session: SessionDep) -> list[dict[str, Any]]:
    def spec(name: str, **extra: Any) -> dict[str, Any]:
        return form_field(OfficerForm, name, **extra)

    stations = session.exec(select(Station).where(col(Station.active)).order_by(Station.code)).all()
    return [
        spec("badge_no"),
        spec("name"),
        spec("phone", type="tel", hint="11 位手机号，可不填"),
        spec("station_code", type="select", options=[(s.code, s.name) for s in stations]),
        spec("active", type="checkbox"),
    ]


@router.get("/admin/officers", dependencies=ADMIN_ONLY)
def officer_list(listing: ListingDep, q: str = "") -> Response:
    query = (
        select(Officer, Station, User)
        .join(Station, col(Station.id) == Officer.station_id)
        .outerjoin(User, col(User.officer_id) == Officer.id)
    )
    query = searching(query, q, Officer.badge_no, Officer.name)
    return listing.render(
        "admin/officers/list.html", {"rows": listing.rows(query.order_by(Officer.badge_no)), "q": q}
    )


def _officer_form(
    request: Request,
    session: SessionDep,
    officer: Officer | None,
    form: Filled,
) -> Response:
    # An officer holding projects cannot leave: the page offers the way out.
    links = [(f"/officers/{officer.id}/reassign", "改派名下项目")] if officer else []
    return OFFICER_PAGE.render(request, officer, form, fields=_officer_fields(session), links=links)


@router.get("/admin/officers/new", dependencies=ADMIN_ONLY)
def officer_new(request: Request, session: SessionDep) -> Response:
    return _officer_form(request, session, None, Filled({"active": True}))


@router.get("/admin/officers/{officer_id}", dependencies=ADMIN_ONLY)
def officer_edit(request: Request, session: SessionDep, officer_id: int) -> Response:
    officer = get_or_404(session, Officer, officer_id)
    station = session.get(Station, officer.station_id)
    values = {
        **officer.model_dump(),
        "phone": mask_phone(officer.phone),
        "station_code": station.code if station else "",
    }
    return _officer_form(request, session, officer, Filled(values))


@router.post("/admin/officers", dependencies=ADMIN_ONLY)
@router.post("/admin/officers/{officer_id}", dependencies=ADMIN_ONLY)
def officer_save(
    request: Request, session: SessionDep, posted: PostedForm, officer_id: int | None = None
) -> Response:
    officer = get_or_404(session, Officer, officer_id) if officer_id else None
    raw = dict(posted)
    phone = keep_if_masked(str(raw.get("phone", "")), officer.phone if officer else None)
    form, errors = validate(OfficerForm, {**raw, "phone": phone})
    if form and not errors:
        with refusals(session, errors, "badge_no", service.OrgError):
            service.save_officer(session, officer, form)
            session.commit()
            return redirect(request, "/admin/officers", f"已保存民警 {form.name}")
    return _officer_form(request, session, officer if officer_id else None, Filled(raw, errors))


# ---- an officer's page: absences -----------------------------------------------------------

StaffDep = Annotated[Principal, Depends(require(Role.ADMIN, Role.LEADER, Role.CHIEF, Role.OFFICER))]
AwayDep = Annotated[Principal, Depends(require_action(Action.OFFICER_AWAY))]


class AbsenceForm(BaseModel):
    starts_on: Day
    ends_on: Day
    reason: str = Field(min_length=1, max_length=100)


def _officer_page(
    request: Request, session: Session, principal: Principal, officer: Officer, form: Filled
) -> Response:
    held = projects.projects_held(session, pk(officer))
    return render_with_errors(
        request,
        "org/officer.html",
        {
            "officer": officer,
            "station": session.get(Station, officer.station_id),
            "away": bool(away(session, [pk(officer)])),
            "absences": service.absences_of(session, pk(officer)),
            "held": held,
            "backups": projects.backup_officers(session, held),
            "backing": projects.projects_backed_up(session, pk(officer)),
            "can_mark": officer.active and can(principal, Action.OFFICER_AWAY, _on(officer)),
            "today": clock.today(),
            "values": form.values,
        },
        form.errors,
    )


def _on(officer: Officer) -> OnOfficer:
    return OnOfficer(station_id=officer.station_id, officer_id=pk(officer))


def _markable(session: Session, principal: Principal, officer_id: int) -> Officer:
    """The officer, if the login may see them (404 otherwise) and mark them away (403)."""
    officer = get_visible(session, Officer, officer_id, principal.scope)
    if not can(principal, Action.OFFICER_AWAY, _on(officer)):
        raise HTTPException(status_code=403)
    return officer


def _absence(session: Session, officer: Officer, absence_id: int) -> Absence:
    absence = session.get(Absence, absence_id)
    if absence is None or absence.officer_id != officer.id:
        raise HTTPException(status_code=404)
    return absence


@router.get("/officers/{officer_id}")
def officer_page(
    request: Request, session: SessionDep, principal: StaffDep, officer_id: int
) -> Response:
    """An officer: on duty or away, their absences, the projects they hold and back up."""
    officer = get_visible(session, Officer, officer_id, principal.scope)
    return _officer_page(request, session, principal, officer, Filled())


@router.post("/officers/{officer_id}/absences")
def absence_add(
    request: Request, session: SessionDep, posted: PostedForm, principal: AwayDep, officer_id: int
) -> Response:
    officer = _markable(session, principal, officer_id)
    raw = dict(posted)
    form, errors = validate(AbsenceForm, raw)
    if form and not errors:
        with refusals(session, errors, "starts_on", service.OrgError):
            service.mark_away(
                session,
                officer,
                starts_on=form.starts_on,
                ends_on=form.ends_on,
                reason=form.reason,
                by_user_id=principal.user.id,
            )
            session.commit()
            done = f"已登记 {officer.name} {form.starts_on} 至 {form.ends_on} 外出"
            return redirect(request, f"/officers/{officer.id}", done)
    return _officer_page(request, session, principal, officer, Filled(raw, errors))


@router.post("/officers/{officer_id}/absences/{absence_id}/end")
def absence_end(
    request: Request, session: SessionDep, principal: AwayDep, officer_id: int, absence_id: int
) -> Response:
    """The officer is back early: the absence ends yesterday."""
    officer = _markable(session, principal, officer_id)
    return _absence_change(request, session, officer, absence_id, service.end_absence, "已返岗")


@router.post("/officers/{officer_id}/absences/{absence_id}/remove")
def absence_remove(
    request: Request, session: SessionDep, principal: AwayDep, officer_id: int, absence_id: int
) -> Response:
    """An absence not begun yet, taken back."""
    officer = _markable(session, principal, officer_id)
    return _absence_change(
        request, session, officer, absence_id, service.remove_absence, "已删除外出登记"
    )


def _absence_change(
    request: Request,
    session: Session,
    officer: Officer,
    absence_id: int,
    change: Callable[[Session, Absence], None],
    done: str,
) -> Response:
    """One of the officer's absences changed by `change`, or its refusal as a flash."""
    absence = _absence(session, officer, absence_id)
    page = f"/officers/{officer.id}"
    try:
        change(session, absence)
    except service.OrgError as exc:
        session.rollback()
        return redirect(request, page, str(exc), "error")
    session.commit()
    return redirect(request, page, done)
