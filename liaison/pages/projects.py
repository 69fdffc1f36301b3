"""Project pages: the list, the file (档案), assignment, visits, coverage and workloads."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field, field_validator
from sqlmodel import Session, col, select

from liaison import clock
from liaison.auth.deps import Principal, ReaderDep, SettingsDep, require
from liaison.auth.policy import Action, OnProject, can, require_action
from liaison.auth.roles import Role
from liaison.db import SessionDep, paginate, pk
from liaison.enterprises import queries as enterprise_queries
from liaison.enterprises.models import Enterprise
from liaison.fields import form_field
from liaison.forms import Filled, PostedForm, refusals, validate
from liaison.listing import Id, OptionalId, PageNumber, id_in
from liaison.money import FEN_PER_WAN, parse_amount, wan_input
from liaison.notify.routing import away
from liaison.org.models import Officer, Station
from liaison.org.queries import active_officers, active_stations
from liaison.pages.lists import workbook
from liaison.pii import keep_if_masked, mask_phone
from liaison.projects import queries, service
from liaison.projects.models import CATEGORIES, Level, Project, Stage, VisitKind
from liaison.projects.schemas import ProjectIn
from liaison.projects.sheet import PROJECTS
from liaison.projects.timeline import timeline
from liaison.scope import get_visible
from liaison.web import FormPage, filter_params, redirect, render, render_list, render_with_errors

router = APIRouter()


@dataclass
class Panel:
    """A section another domain adds to the home page (pages/home.py) or the project page."""

    template: str
    context: dict[str, Any]


# The sections later domains (hazards, disputes, the desk…) add to the project page;
# liaison/wiring.py fills the list.
project_panels: list[Callable[[Session, Principal, Project, date], Panel | None]] = []

MANAGERS = (Role.ADMIN, Role.LEADER, Role.CHIEF)
StaffDep = Annotated[Principal, Depends(require(Role.ADMIN, Role.LEADER, Role.CHIEF, Role.OFFICER))]
ManagerDep = Annotated[Principal, Depends(require(*MANAGERS))]
EditorDep = Annotated[Principal, Depends(require_action(Action.PROJECT_EDIT))]


def _target(project: Project, officer: Officer | None) -> OnProject:
    """The policy's view of a project whose current officer is already loaded."""
    return OnProject(station_id=project.station_id, officer_id=officer.id if officer else None)


# ---- the list --------------------------------------------------------------------------


@router.get("/projects")
def project_list(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    principal: ReaderDep,
    filters: Annotated[queries.ProjectFilter, Query()],
    after: str = "",
    format: str = "",
) -> Response:
    """50 rows a page, each starting after the last row of the one before (keyset), so a page
    deep in a province's list costs what the first does."""
    today, interval = clock.today(), settings.visit_interval_days
    if format == "xlsx":
        query = queries.project_list_query(
            principal.scope, filters, today=today, interval_days=interval
        )
        return workbook(session, PROJECTS, query, Project.id)
    results = queries.project_page(
        session, principal.scope, filters, today=today, interval_days=interval, after=after
    )
    params = {k: v for k, v in filter_params(request).items() if k != "after"}
    stations = active_stations(session, principal.scope)
    # The officer filter offers one unit's officers: the chosen unit's, or the chosen officer's.
    unit = filters.station_id
    if not unit and filters.officer_id:
        unit = getattr(session.get(Officer, filters.officer_id), "station_id", None)
    one_unit = unit or len(stations) <= 1
    officers = active_officers(session, principal.scope, unit) if one_unit else []
    return render_list(
        request,
        "projects/list.html",
        {
            "results": results,
            "f": filters,
            "params": params,
            "stations": stations,
            "officers": officers,
            "levels": list(Level),
            "stages": list(Stage),
            "can_create": principal.role in MANAGERS,
        },
    )


# ---- create and edit -------------------------------------------------------------------


class ProjectForm(ProjectIn):
    """The project form: ProjectIn as a person types it, the enterprise by its credit code and
    the investment in 万元 (`project_in` makes the input of it once both are resolved)."""

    enterprise_id: int = 0  # resolved from enterprise_uscc
    # The enterprise as typed: its credit code, or its name (a suggestion picked or typed whole).
    enterprise_uscc: str = Field(min_length=1, max_length=128, title="企业")
    investment_wan: str = Field(default="", max_length=24, title="总投资（万元）")

    @field_validator("investment_wan")
    @classmethod
    def _investment(cls, value: str) -> str:
        if value:
            fen = parse_amount(value, unit=FEN_PER_WAN)
            if fen < 0:
                raise ValueError("投资额不能为负数")
        return value

    def project_in(self, enterprise: Enterprise) -> ProjectIn:
        fen = parse_amount(self.investment_wan, unit=FEN_PER_WAN) if self.investment_wan else None
        own = self.model_dump(include=set(ProjectIn.model_fields))
        return ProjectIn.model_validate(
            {**own, "enterprise_id": pk(enterprise), "investment_fen": fen}
        )


def _project_fields(session: Session, principal: Principal) -> list[dict[str, Any]]:
    def spec(name: str, **extra: Any) -> dict[str, Any]:
        return form_field(ProjectForm, name, **extra)

    stations = active_stations(session, principal.scope)
    return [
        spec("code"),
        spec("name"),
        spec(
            "enterprise_uscc",
            hint="输入企业名称或统一社会信用代码，从提示中选择；须是已登记的企业",
            lookup="/projects/enterprise-choices",
        ),
        spec("level"),
        spec("category", type="select", options=[(c, c) for c in CATEGORIES]),
        spec("stage", required=True),  # a blank choice means nothing; the form starts at 在建
        spec("investment_wan", type="decimal"),
        spec("station_id", type="select", options=[(s.id, s.name) for s in stations]),
        spec("site_security_contact"),
        spec("site_security_phone", type="tel"),
        spec("workforce"),
        spec("key_risks"),
        spec("notes"),
    ]


PROJECT_PAGE = FormPage("/projects", "新建重点项目", "编辑")


def _project_form(
    request: Request,
    session: Session,
    principal: Principal,
    project: Project | None,
    form: Filled,
) -> Response:
    return PROJECT_PAGE.render(request, project, form, fields=_project_fields(session, principal))


@router.get("/projects/enterprise-choices")
def enterprise_choices(
    request: Request, session: SessionDep, _staff: StaffDep, enterprise_uscc: str = ""
) -> Response:
    """The suggestions of the project form's enterprise field for what is typed so far."""
    choices = enterprise_queries.enterprise_choices(session, enterprise_uscc)
    return render(request, "projects/_enterprise_choices.html", {"enterprises": choices})


@router.get("/projects/new")
def project_new(
    request: Request, session: SessionDep, principal: ManagerDep, enterprise: str = ""
) -> Response:
    values: dict[str, Any] = {
        "enterprise_uscc": enterprise,
        "stage": Stage.BUILDING.value,
        "station_id": principal.scope.station_id or "",
    }
    return _project_form(request, session, principal, None, Filled(values))


def _project_values(session: Session, project: Project) -> dict[str, Any]:
    enterprise = session.get(Enterprise, project.enterprise_id)
    return {
        **project.model_dump(),
        "enterprise_uscc": enterprise.uscc if enterprise else "",
        "investment_wan": wan_input(project.investment_fen),
        "site_security_phone": mask_phone(project.site_security_phone),
    }


@router.get("/projects/{project_id}/edit")
def project_edit(
    request: Request, session: SessionDep, principal: StaffDep, project_id: int
) -> Response:
    project = get_visible(session, Project, project_id, principal.scope)
    if not can(principal, Action.PROJECT_EDIT, service.on_project(session, project)):
        raise HTTPException(status_code=403)
    values = _project_values(session, project)
    return _project_form(request, session, principal, project, Filled(values))


def _project_to_save(
    session: Session, principal: Principal, project_id: int | None
) -> Project | None:
    """None for a manager's create, or the visible project the user may edit."""
    if project_id is None:
        if principal.role not in MANAGERS:
            raise HTTPException(status_code=403)
        return None
    project = get_visible(session, Project, project_id, principal.scope)
    if not can(principal, Action.PROJECT_EDIT, service.on_project(session, project)):
        raise HTTPException(status_code=403)
    return project


def _check_references(
    session: Session,
    principal: Principal,
    project: Project | None,
    form: ProjectForm,
    errors: dict[str, str],
) -> Enterprise | None:
    """The registered enterprise of the typed USCC; an error beside each field the form alone
    cannot check: an unknown enterprise, a station out of reach, an officer moving the project."""
    enterprise = enterprise_queries.enterprise_named(session, form.enterprise_uscc)
    if enterprise is None:
        errors["enterprise_uscc"] = "没有这个名称或统一社会信用代码的企业，请先登记企业"
    if form.station_id not in {s.id for s in active_stations(session, principal.scope)}:
        errors["station_id"] = "请选择您有权管理的单位"
    if principal.role == Role.OFFICER and project and project.station_id != form.station_id:
        errors["station_id"] = "项目警官不能把项目移交其他单位"
    return enterprise


@router.post("/projects")
@router.post("/projects/{project_id}")
def project_save(
    request: Request,
    session: SessionDep,
    posted: PostedForm,
    principal: StaffDep,
    project_id: int | None = None,
) -> Response:
    project = _project_to_save(session, principal, project_id)
    raw = dict(posted)
    stored_phone = project.site_security_phone if project else None
    phone = keep_if_masked(str(raw.get("site_security_phone", "")), stored_phone)
    form, errors = validate(ProjectForm, {**raw, "site_security_phone": phone})
    enterprise = _check_references(session, principal, project, form, errors) if form else None
    if form and enterprise and not errors:
        data = form.project_in(enterprise)
        with refusals(session, errors, "code", service.ProjectError):
            saved = service.save_project(session, project, data)
            session.commit()
            return redirect(request, f"/projects/{saved.id}", f"已保存项目 {saved.name}")
    return _project_form(request, session, principal, project, Filled(raw, errors))


@router.post("/projects/{project_id}/archive")
def project_archive(
    request: Request, session: SessionDep, principal: ManagerDep, project_id: int
) -> Response:
    project = get_visible(session, Project, project_id, principal.scope)
    if project.archived_at is None:
        service.archive_project(session, project, by_user_id=principal.user.id)
        message = "项目已归档，项目警官任期同时结束"
    else:
        service.restore_project(session, project)
        message = "项目已恢复，请任命项目警官"
    session.commit()
    return redirect(request, f"/projects/{project.id}", message)


# ---- the file --------------------------------------------------------------------------


def _detail(
    request: Request,
    session: Session,
    settings: Any,
    principal: Principal,
    project: Project,
    form: Filled | None = None,
) -> Response:
    form = form or Filled()
    file = queries.project_file(
        session, project, today=clock.today(), interval_days=settings.visit_interval_days
    )
    target = _target(project, file.officer)
    can_log_visit = project.archived_at is None and can(principal, Action.VISIT_LOG, target)
    return render_with_errors(
        request,
        "projects/detail.html",
        {
            "file": file,
            **_backup(session, project, file.officer),
            "entries": timeline(session, pk(project), principal.scope),
            "today": clock.today(),
            "panels": [
                p
                for panel in project_panels
                if (p := panel(session, principal, project, clock.today()))
            ],
            "can_edit": can(principal, Action.PROJECT_EDIT, target),
            "can_manage": principal.role in MANAGERS,
            "can_log_visit": can_log_visit,
            "visit_kinds": list(VisitKind),
            "values": form.values,
        },
        form.errors,
    )


def _backup(session: Session, project: Project, officer: Officer | None) -> dict[str, Any]:
    """The project page's B角: the backup officer, who of the two is away today, and the
    station's other officers to choose from."""
    backup = session.get(Officer, project.backup_officer_id) if project.backup_officer_id else None
    present = [o.id for o in (officer, backup) if o is not None and o.id is not None]
    return {
        "backup": backup,
        "away": away(session, present),
        "backup_choices": queries.officer_choices(
            session, project.station_id, leaving_out=officer.id if officer else None
        ),
    }


@router.get("/projects/{project_id}")
def project_detail(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    principal: ReaderDep,
    project_id: int,
) -> Response:
    project = get_visible(session, Project, project_id, principal.scope)
    return _detail(request, session, settings, principal, project)


class AssignForm(BaseModel):
    officer_id: Id
    reason: str = Field(min_length=1, max_length=255)


@router.post("/projects/{project_id}/assign")
def project_assign(
    request: Request,
    session: SessionDep,
    posted: PostedForm,
    settings: SettingsDep,
    principal: ManagerDep,
    project_id: int,
) -> Response:
    project = get_visible(session, Project, project_id, principal.scope)
    raw = dict(posted)
    form, errors = validate(AssignForm, raw)
    if form:
        officer = session.get(Officer, form.officer_id)
        if officer is None:
            errors["officer_id"] = "请选择民警"
        else:
            with refusals(session, errors, "officer_id", service.ProjectError):
                service.assign_officer(
                    session, project, officer, by_user_id=principal.user.id, reason=form.reason
                )
                session.commit()
                return redirect(
                    request, f"/projects/{project.id}", f"已任命 {officer.name} 为项目警官"
                )
    return _detail(request, session, settings, principal, project, Filled(raw, errors))


class BackupForm(BaseModel):
    backup_officer_id: OptionalId = None  # blank: not chosen, which is refused beside it


def _backup_editable(session: Session, principal: Principal, project_id: int) -> Project:
    """The project, if the login sees it (404) and may edit its file (403): who names its B角."""
    project = get_visible(session, Project, project_id, principal.scope)
    if not can(principal, Action.PROJECT_EDIT, service.on_project(session, project)):
        raise HTTPException(status_code=403)
    return project


@router.post("/projects/{project_id}/backup")
def project_backup(
    request: Request,
    session: SessionDep,
    posted: PostedForm,
    settings: SettingsDep,
    principal: EditorDep,
    project_id: int,
) -> Response:
    """Make an officer the project's backup officer (B角)."""
    project = _backup_editable(session, principal, project_id)
    raw = dict(posted)
    form, errors = validate(BackupForm, raw)
    chosen = form.backup_officer_id if form else None
    officer = session.get(Officer, chosen) if chosen else None
    if form and officer is None:
        errors["backup_officer_id"] = "请选择民警"
    if officer is not None and not errors:
        with refusals(session, errors, "backup_officer_id", service.ProjectError):
            service.set_backup(session, project, officer)
            session.commit()
            return redirect(request, f"/projects/{project.id}", f"已设 {officer.name} 为 B角")
    return _detail(request, session, settings, principal, project, Filled(raw, errors))


@router.post("/projects/{project_id}/backup/clear")
def project_backup_clear(
    request: Request, session: SessionDep, principal: EditorDep, project_id: int
) -> Response:
    """Leave the project without a backup officer: while its officer is away, the duty desk."""
    project = _backup_editable(session, principal, project_id)
    service.set_backup(session, project, None)
    session.commit()
    return redirect(request, f"/projects/{project.id}", "已取消 B角")


class VisitForm(BaseModel):
    visit_date: date
    kind: VisitKind
    summary: str = Field(min_length=1, max_length=2000)


@router.post("/projects/{project_id}/visits")
def project_visit(
    request: Request,
    session: SessionDep,
    posted: PostedForm,
    settings: SettingsDep,
    principal: StaffDep,
    project_id: int,
) -> Response:
    project = get_visible(session, Project, project_id, principal.scope)
    officer = session.get(Officer, principal.user.officer_id or 0)
    if officer is None or not can(
        principal, Action.VISIT_LOG, service.on_project(session, project)
    ):
        raise HTTPException(status_code=403, detail="只有本项目的项目警官或所长可以登记走访")
    raw = dict(posted)
    form, errors = validate(VisitForm, raw)
    if form and not errors:
        with refusals(session, errors, "summary", service.ProjectError):
            service.log_visit(
                session,
                project,
                officer,
                visit_date=form.visit_date,
                kind=form.kind,
                summary=form.summary,
                by_user_id=principal.user.id,
            )
            session.commit()
            return redirect(request, f"/projects/{project.id}", f"已登记{form.kind.value}")
    return _detail(request, session, settings, principal, project, Filled(raw, errors))


# ---- coverage, auto-assign, workloads --------------------------------------------------


def _station_ids(principal: Principal) -> list[int] | None:
    return None if principal.scope.everything else [principal.scope.station_id or 0]


@router.get("/coverage")
def coverage(
    request: Request, session: SessionDep, settings: SettingsDep, principal: StaffDep
) -> Response:
    stations = queries.coverage_by_station(session, principal.scope)
    active = sum(s.active for s in stations)
    covered = sum(s.covered for s in stations)
    uncovered = queries.to_rows(
        list(
            session.exec(
                queries.project_list_query(
                    principal.scope,
                    queries.ProjectFilter(covered="no"),
                    today=clock.today(),
                    interval_days=settings.visit_interval_days,
                )
            ).all()
        ),
        settings.visit_interval_days,
    )
    return render(
        request,
        "projects/coverage.html",
        {
            "stations": stations,
            "active": active,
            "covered": covered,
            "rate": covered / active if active else None,
            "uncovered": uncovered,
            "can_manage": principal.role in MANAGERS,
        },
    )


@router.get("/coverage/auto-assign")
def auto_assign_preview(request: Request, session: SessionDep, principal: ManagerDep) -> Response:
    proposals, stranded = service.auto_assign_proposal(session, _station_ids(principal))
    stations = {s.id: s for s in session.exec(select(Station)).all()}
    return render(
        request,
        "projects/auto_assign.html",
        {"proposals": proposals, "stranded": stranded, "stations": stations},
    )


@router.post("/coverage/auto-assign")
def auto_assign_confirm(
    request: Request, session: SessionDep, form: PostedForm, principal: ManagerDep
) -> Response:
    pairs = []
    for value in form.getlist("pair"):
        project_id, _, officer_id = (id_in(part) for part in str(value).partition(":"))
        if project_id is None or officer_id is None:
            raise HTTPException(status_code=400)
        pairs.append((project_id, officer_id))
    allowed = _station_ids(principal)
    projects = {
        p.id: p
        for p in session.exec(
            select(Project).where(col(Project.id).in_([p for p, _ in pairs]))
        ).all()
    }
    if any(
        pid not in projects or (allowed is not None and projects[pid].station_id not in allowed)
        for pid, _ in pairs
    ):
        raise HTTPException(status_code=404)
    try:
        count = service.confirm_auto_assign(session, pairs, by_user_id=principal.user.id)
        session.commit()
    except service.ProjectError as exc:
        session.rollback()
        return redirect(request, "/coverage/auto-assign", str(exc), "error")
    return redirect(request, "/coverage", f"已按方案任命 {count} 个项目的项目警官")


@router.get("/officers")
def officer_loads(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    principal: StaffDep,
    q: str = "",
    station: OptionalId = None,
    page: PageNumber = 1,
) -> Response:
    """The officers and their workloads: projects held and visits overdue, by station."""
    query = queries.workload_query(
        principal.scope,
        today=clock.today(),
        interval_days=settings.visit_interval_days,
        q=q.strip(),
        station_id=station,
    )
    results = paginate(session, query, page=page)
    results.items = queries.to_loads(results.items)
    return render_list(
        request,
        "projects/officers.html",
        {
            "results": results,
            "away": away(session, [pk(load.officer) for load in results.items]),
            "stations": active_stations(session, principal.scope),
            "station": station,
            "q": q,
            "can_manage": principal.role in MANAGERS,
        },
    )


class ReassignForm(BaseModel):
    officer_id: Id
    reason: str = Field(min_length=1, max_length=255)


@router.get("/officers/{officer_id}/reassign")
def reassign_page(
    request: Request, session: SessionDep, principal: ManagerDep, officer_id: int
) -> Response:
    return _reassign(request, session, principal, officer_id, Filled())


def _reassign(
    request: Request,
    session: Session,
    principal: Principal,
    officer_id: int,
    form: Filled,
) -> Response:
    officer = get_visible(session, Officer, officer_id, principal.scope)
    colleagues = queries.officer_choices(session, officer.station_id, leaving_out=officer.id)
    return render_with_errors(
        request,
        "projects/reassign.html",
        {
            "officer": officer,
            "held": service.projects_held(session, officer_id),
            "colleagues": colleagues,
            "values": form.values,
        },
        form.errors,
    )


@router.post("/officers/{officer_id}/reassign")
def reassign(
    request: Request,
    session: SessionDep,
    posted: PostedForm,
    principal: ManagerDep,
    officer_id: int,
) -> Response:
    source = get_visible(session, Officer, officer_id, principal.scope)
    raw = dict(posted)
    form, errors = validate(ReassignForm, raw)
    target = session.get(Officer, form.officer_id) if form else None
    if form and target is None:
        errors["officer_id"] = "请选择民警"
    if form and target is not None and not errors:
        with refusals(session, errors, "officer_id", service.ProjectError):
            count = service.reassign_all(
                session, source, target, by_user_id=principal.user.id, reason=form.reason
            )
            session.commit()
            return redirect(
                request, "/officers", f"已将 {source.name} 的 {count} 个项目改派给 {target.name}"
            )
    return _reassign(request, session, principal, officer_id, Filled(raw, errors))
