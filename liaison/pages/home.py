"""The home page (工作台) every login but the administrators lands on: their projects and what is
overdue, with the panels later domains add (the desk's requests, the hazards due); the panels
are listed in liaison/wiring.py."""

from collections.abc import Callable
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from sqlmodel import Session

from liaison import clock
from liaison.auth.deps import Principal, SettingsDep, require
from liaison.auth.roles import Role
from liaison.db import SessionDep
from liaison.enterprises.models import Enterprise
from liaison.org.models import Officer
from liaison.pages.projects import Panel
from liaison.projects import queries
from liaison.web import render

router = APIRouter()

home_panels: list[Callable[[Session, Principal, date], Panel | None]] = []
HomeDep = Annotated[
    Principal, Depends(require(Role.LEADER, Role.CHIEF, Role.OFFICER, Role.ENTERPRISE))
]


@router.get("/home")
def home(
    request: Request, session: SessionDep, settings: SettingsDep, principal: HomeDep
) -> Response:
    user, scope = principal.user, principal.scope
    today = clock.today()
    interval = settings.visit_interval_days
    context: dict[str, Any] = {"today": today}
    if principal.role == Role.ENTERPRISE:
        context["enterprise"] = session.get(Enterprise, user.enterprise_id or 0)
    if user.officer_id is not None:
        officer = session.get(Officer, user.officer_id)
        context["officer"] = officer
        mine = queries.to_rows(
            list(
                session.exec(
                    queries.project_list_query(
                        scope,
                        queries.ProjectFilter(officer_id=user.officer_id, sort="code"),
                        today=today,
                        interval_days=interval,
                    )
                ).all()
            ),
            interval,
        )
        context["my_projects"] = sorted(mine, key=lambda r: r.next_visit_due or date.min)
    if principal.role != Role.OFFICER:
        rows = list(
            session.exec(
                queries.project_list_query(
                    scope,
                    queries.ProjectFilter(overdue=True),
                    today=today,
                    interval_days=interval,
                ).limit(20)
            ).all()
        )
        context["overdue"] = queries.to_rows(rows, interval)
        context["coverage"] = queries.coverage_by_station(session, scope)
    context["panels"] = [p for panel in home_panels if (p := panel(session, principal, today))]
    return render(request, "home.html", context)
