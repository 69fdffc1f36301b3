"""The admin's pages for stations and officer records."""

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from sqlmodel import Field, col, func, select

from liaison.auth.deps import require
from liaison.auth.models import User
from liaison.auth.roles import Role
from liaison.db import SessionDep, paginate
from liaison.fields import form_field
from liaison.forms import Filled, PostedForm, refusals, validate
from liaison.listing import PageNumber, searching
from liaison.org import service
from liaison.org.models import Officer, Station
from liaison.org.schemas import OfficerIn, StationIn
from liaison.pii import keep_if_masked, mask_phone
from liaison.web import FormPage, get_or_404, redirect, render, render_list

router = APIRouter(dependencies=[Depends(require(Role.ADMIN))])  # every page is the admin's


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


@router.get("/admin/stations")
def station_list(request: Request, session: SessionDep) -> Response:
    rows = session.exec(
        select(Station, func.count(col(Officer.id)))
        .outerjoin(Officer, col(Officer.station_id) == Station.id)
        .group_by(col(Station.id))
        .order_by(Station.code)
    ).all()
    return render(request, "admin/stations/list.html", {"rows": rows})


@router.get("/admin/stations/new")
def station_new(request: Request) -> Response:
    return STATION_PAGE.render(request, None, Filled({"active": True}))


@router.get("/admin/stations/{station_id}")
def station_edit(request: Request, session: SessionDep, station_id: int) -> Response:
    station = get_or_404(session, Station, station_id)
    return STATION_PAGE.render(request, station, Filled(station.model_dump()))


@router.post("/admin/stations")
@router.post("/admin/stations/{station_id}")
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


@router.get("/admin/officers")
def officer_list(
    request: Request, session: SessionDep, q: str = "", page: PageNumber = 1
) -> Response:
    query = (
        select(Officer, Station, User)
        .join(Station, col(Station.id) == Officer.station_id)
        .outerjoin(User, col(User.officer_id) == Officer.id)
    )
    query = searching(query, q, Officer.badge_no, Officer.name)
    rows = paginate(session, query.order_by(Officer.badge_no), page=page)
    return render_list(
        request,
        "admin/officers/list.html",
        {"rows": rows, "q": q},
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


@router.get("/admin/officers/new")
def officer_new(request: Request, session: SessionDep) -> Response:
    return _officer_form(request, session, None, Filled({"active": True}))


@router.get("/admin/officers/{officer_id}")
def officer_edit(request: Request, session: SessionDep, officer_id: int) -> Response:
    officer = get_or_404(session, Officer, officer_id)
    station = session.get(Station, officer.station_id)
    values = {
        **officer.model_dump(),
        "phone": mask_phone(officer.phone),
        "station_code": station.code if station else "",
    }
    return _officer_form(request, session, officer, Filled(values))


@router.post("/admin/officers")
@router.post("/admin/officers/{officer_id}")
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
