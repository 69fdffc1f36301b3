"""Projects, assignments and visits: what writes their tables. The ledger import
still writes some rows itself (tests/test_writers.py lists every such writer and fails
on a new one)."""

from dataclasses import dataclass
from datetime import date, timedelta

from sqlmodel import Session, col, func, select

from liaison.auth.policy import OnProject
from liaison.clock import now, today
from liaison.enterprises.models import Enterprise
from liaison.errors import FieldError
from liaison.org.models import Officer, Station
from liaison.projects.models import Assignment, Level, Project, Stage, Visit, VisitKind


class ProjectError(FieldError):
    """A refused change to a project, its assignment or its visits."""


# ---- projects --------------------------------------------------------------------------


@dataclass
class ProjectData:
    code: str
    name: str
    enterprise_id: int
    level: Level
    station_id: int
    category: str = ""
    stage: Stage = Stage.BUILDING
    investment_fen: int | None = None
    site_security_contact: str = ""
    site_security_phone: str = ""
    workforce: int | None = None
    key_risks: str = ""
    notes: str = ""


def project_by_code(session: Session, code: str) -> Project | None:
    return session.exec(select(Project).where(Project.code == code)).first()


def save_project(session: Session, project: Project | None, data: ProjectData) -> Project:
    """Edit `project`, or (None) create one. Moving it to another station ends its officer's
    term there."""
    clash = project_by_code(session, data.code)
    if clash is not None and (project is None or clash.id != project.id):
        raise ProjectError(f"项目编号 {data.code} 已被「{clash.name}」使用", "code")
    if session.get(Enterprise, data.enterprise_id) is None:
        raise ProjectError("企业不存在", "enterprise_id")
    station = session.get(Station, data.station_id)
    if station is None or not station.active:
        raise ProjectError("单位不存在或已停用", "station_id")
    moved = project is not None and project.station_id != data.station_id
    project = project or Project(
        code=data.code, name=data.name, enterprise_id=0, level="", station_id=0
    )
    for key, value in vars(data).items():
        setattr(project, key, value.value if isinstance(value, Level | Stage) else value)
    session.add(project)
    session.flush()
    if moved:
        end_current_assignment(session, project, by_user_id=None, reason="项目移交其他单位")
    return project


def archive_project(session: Session, project: Project, *, by_user_id: int | None) -> None:
    """Archive: the project leaves every count; its officer's term ends, its history stays."""
    if project.archived_at is not None:
        raise ProjectError("项目已归档")
    end_current_assignment(session, project, by_user_id=by_user_id, reason="项目归档")
    project.archived_at = now()
    session.add(project)
    session.flush()


def restore_project(session: Session, project: Project) -> None:
    project.archived_at = None
    session.add(project)
    session.flush()


# ---- assignments -----------------------------------------------------------------------


def current_assignment(session: Session, project_id: int) -> Assignment | None:
    return session.exec(
        select(Assignment).where(
            Assignment.project_id == project_id, col(Assignment.end_date).is_(None)
        )
    ).first()


def on_project(session: Session, project: Project) -> OnProject:
    """What the policy's rule for writes on a project reads: its station and current officer."""
    term = current_assignment(session, project.id or 0)
    return OnProject(station_id=project.station_id, officer_id=term.officer_id if term else None)


def end_current_assignment(
    session: Session,
    project: Project,
    *,
    by_user_id: int | None,
    reason: str,
    on: date | None = None,
) -> Assignment | None:
    term = current_assignment(session, project.id or 0)
    if term is None:
        return None
    term.end_date = max(on or today(), term.start_date)
    term.ended_by_id, term.end_reason = by_user_id, reason
    session.add(term)
    session.flush()
    return term


def assign_officer(
    session: Session,
    project: Project,
    officer: Officer,
    *,
    by_user_id: int | None,
    reason: str,
    on: date | None = None,
) -> Assignment:
    """Make `officer` the project's liaison officer from `on` (today), ending the previous term."""
    on = on or today()
    if project.archived_at is not None:
        raise ProjectError("项目已归档，不能任命项目警官")
    if not officer.active:
        raise ProjectError(f"{officer.name} 已停用，不能任命", "officer_id")
    if officer.station_id != project.station_id:
        raise ProjectError(f"{officer.name} 不属于本项目所在单位", "officer_id")
    previous = current_assignment(session, project.id or 0)
    if previous is not None and previous.officer_id == officer.id:
        raise ProjectError(f"{officer.name} 已是本项目的项目警官", "officer_id")
    if previous is not None and on < previous.start_date:
        raise ProjectError("任命日期不能早于上一任的任命日期", "start_date")
    if previous is not None:
        end_current_assignment(session, project, by_user_id=by_user_id, reason=reason, on=on)
    term = Assignment(
        project_id=project.id or 0,
        officer_id=officer.id or 0,
        start_date=on,
        reason=reason,
        assigned_by_id=by_user_id,
    )
    session.add(term)
    session.flush()
    return term


def projects_held(session: Session, officer_id: int) -> list[Project]:
    """The active projects whose current officer this is."""
    return list(
        session.exec(
            select(Project)
            .join(Assignment, col(Assignment.project_id) == Project.id)
            .where(
                Assignment.officer_id == officer_id,
                col(Assignment.end_date).is_(None),
                col(Project.archived_at).is_(None),
            )
            .order_by(Project.code)
        ).all()
    )


def reassign_all(
    session: Session, source: Officer, target: Officer, *, by_user_id: int | None, reason: str
) -> int:
    """Hand every project of `source` to `target` in one transaction; returns how many."""
    if source.id == target.id:
        raise ProjectError("请选择另一位民警", "officer_id")
    held = projects_held(session, source.id or 0)
    for project in held:
        assign_officer(session, project, target, by_user_id=by_user_id, reason=reason)
    return len(held)


def holding_guard(session: Session, officer: Officer) -> str | None:
    held = len(projects_held(session, officer.id or 0))
    return f"{officer.name} 名下还有 {held} 个项目，请先改派" if held else None


@dataclass(frozen=True)
class Proposal:
    project: Project
    officer: Officer


def auto_assign_proposal(
    session: Session, station_ids: list[int] | None
) -> tuple[list[Proposal], list[Project]]:
    """For each uncovered active project, the least-loaded active officer of its station,
    counting the proposal's own picks; and the projects whose station has no active officer."""
    uncovered_query = (
        select(Project)
        .outerjoin(
            Assignment,
            (col(Assignment.project_id) == Project.id) & col(Assignment.end_date).is_(None),
        )
        .where(col(Assignment.id).is_(None), col(Project.archived_at).is_(None))
        .order_by(col(Project.station_id), col(Project.code))
    )
    officers_query = select(Officer).where(col(Officer.active)).order_by(Officer.badge_no)
    if station_ids is not None:
        uncovered_query = uncovered_query.where(col(Project.station_id).in_(station_ids))
        officers_query = officers_query.where(col(Officer.station_id).in_(station_ids))
    uncovered = session.exec(uncovered_query).all()
    officers = session.exec(officers_query).all()
    loads = officer_loads(session)
    by_station: dict[int, list[Officer]] = {}
    for officer in officers:
        by_station.setdefault(officer.station_id, []).append(officer)
    proposals, stranded = [], []
    for project in uncovered:
        candidates = by_station.get(project.station_id)
        if not candidates:
            stranded.append(project)
            continue
        pick = min(candidates, key=lambda o: (loads.get(o.id or 0, 0), o.badge_no))
        loads[pick.id or 0] = loads.get(pick.id or 0, 0) + 1
        proposals.append(Proposal(project, pick))
    return proposals, stranded


def confirm_auto_assign(
    session: Session, pairs: list[tuple[int, int]], *, by_user_id: int | None
) -> int:
    """Apply a confirmed proposal, all or nothing: any project that got an officer meanwhile,
    or any officer who left, fails the whole."""
    for project_id, officer_id in pairs:
        project, officer = session.get(Project, project_id), session.get(Officer, officer_id)
        if project is None or officer is None:
            raise ProjectError("方案已过期，请重新生成")
        if current_assignment(session, project_id) is not None:
            raise ProjectError(f"{project.name} 已有项目警官，请重新生成方案")
        assign_officer(session, project, officer, by_user_id=by_user_id, reason="自动分配")
    return len(pairs)


def officer_loads(session: Session) -> dict[int, int]:
    """Officer id → active projects held, for officers holding any."""
    rows = session.exec(
        select(Assignment.officer_id, func.count())
        .join(Project, col(Project.id) == Assignment.project_id)
        .where(col(Assignment.end_date).is_(None), col(Project.archived_at).is_(None))
        .group_by(col(Assignment.officer_id))
    ).all()
    return dict(rows)


# ---- visits ----------------------------------------------------------------------------


def log_visit(
    session: Session,
    project: Project,
    officer: Officer,
    *,
    visit_date: date,
    kind: VisitKind,
    summary: str,
    by_user_id: int | None,
) -> Visit:
    if project.archived_at is not None:
        raise ProjectError("项目已归档")
    if visit_date > today():
        raise ProjectError("走访日期不能晚于今天", "visit_date")
    if visit_date < today() - timedelta(days=366):
        raise ProjectError("走访日期不能早于一年前", "visit_date")
    visit = Visit(
        project_id=project.id or 0,
        officer_id=officer.id or 0,
        visit_date=visit_date,
        kind=kind.value,
        summary=summary,
        created_by_id=by_user_id,
    )
    session.add(visit)
    session.flush()
    return visit
