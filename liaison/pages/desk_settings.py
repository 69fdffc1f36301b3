"""The admin's pages for the desk: service levels by type of request, and corrections to the
working-day calendar (a holiday or make-up day the package gets wrong or does not know yet)."""

from datetime import date, timedelta

import chinese_calendar
from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field
from sqlmodel import Session, col, select

from liaison.auth.deps import SettingsDep, require
from liaison.auth.roles import Role
from liaison.clock import today
from liaison.config import Settings
from liaison.db import SessionDep
from liaison.desk import service, sla
from liaison.desk.models import CalendarDay, RequestType
from liaison.desk.schemas import ServiceLevelBase
from liaison.forms import Filled, PostedForm, validate
from liaison.web import redirect, render_with_errors

router = APIRouter(dependencies=[Depends(require(Role.ADMIN))])  # every page is the admin's
# The last year the installed chinese-calendar knows; later years need the admin's days.
KNOWN_UNTIL = max(day.year for day in chinese_calendar.holidays)


def _levels_page(
    request: Request,
    session: Session,
    settings: Settings,
    form: Filled | None = None,
) -> Response:
    levels = sla.levels(session, settings)
    current = {
        f"{kind.value}.{name}": getattr(level, name)
        for kind, level in levels.items()
        for name in ServiceLevelBase.model_fields
    }
    return render_with_errors(
        request,
        "desk/admin_levels.html",
        {
            "types": list(RequestType),
            "values": form.values if form else current,
        },
        form.errors if form else None,
    )


@router.get("/admin/service-levels")
def service_levels(request: Request, session: SessionDep, settings: SettingsDep) -> Response:
    return _levels_page(request, session, settings)


@router.post("/admin/service-levels")
def service_levels_save(
    request: Request, session: SessionDep, settings: SettingsDep, posted: PostedForm
) -> Response:
    """All four types at once; one bad value saves none. New deadlines apply to requests
    received from now on."""
    raw = {k: v for k, v in posted.items() if isinstance(v, str)}
    forms, errors = {}, {}
    for kind in RequestType:
        fields = {
            name: raw.get(f"{kind.value}.{name}", "") for name in ServiceLevelBase.model_fields
        }
        form, problems = validate(ServiceLevelBase, {k: v for k, v in fields.items() if v != ""})
        errors.update({f"{kind.value}.{name}": message for name, message in problems.items()})
        forms[kind] = form
    if errors:
        return _levels_page(request, session, settings, Filled(raw, errors))
    for kind, form in forms.items():
        assert form is not None
        service.set_service_level(session, kind, **form.model_dump())
    session.commit()
    return redirect(request, "/admin/service-levels", "已保存，对此后收到的诉求生效")


class DayForm(BaseModel):
    day: date
    workday: bool = False
    note: str = Field(default="", max_length=64)


def _calendar_page(
    request: Request,
    session: Session,
    form: Filled | None = None,
) -> Response:
    form = form or Filled()
    since = today() - timedelta(days=366)
    days = session.exec(
        select(CalendarDay).where(col(CalendarDay.day) >= since).order_by(col(CalendarDay.day))
    ).all()
    return render_with_errors(
        request,
        "desk/admin_calendar.html",
        {
            "days": days,
            "known_until": KNOWN_UNTIL,
            "values": form.values,
        },
        form.errors,
    )


@router.get("/admin/calendar")
def calendar(request: Request, session: SessionDep) -> Response:
    return _calendar_page(request, session)


@router.post("/admin/calendar")
def calendar_save(request: Request, session: SessionDep, posted: PostedForm) -> Response:
    """Enter a day, or correct one already entered."""
    raw = {k: v for k, v in posted.items() if isinstance(v, str)}
    form, errors = validate(DayForm, raw)
    if form is None or errors:
        return _calendar_page(request, session, Filled(raw, errors))
    service.set_calendar_day(session, form.day, workday=form.workday, note=form.note)
    session.commit()
    kind = "工作日" if form.workday else "休息日"
    return redirect(request, "/admin/calendar", f"已将 {form.day} 设为{kind}")


@router.post("/admin/calendar/{day}/delete")
def calendar_delete(request: Request, session: SessionDep, day: date) -> Response:
    if not service.remove_calendar_day(session, day):
        raise HTTPException(status_code=404)
    session.commit()
    return redirect(request, "/admin/calendar", f"已删除 {day} 的调整")
