"""Projects, assignments and visits: the only module that writes their tables (the ledger
import too comes through here; tests/test_writers.py holds every module to its own tables)."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlmodel import Session, col, func, select

from liaison.auth.policy import OnProject
from liaison.clock import local, now, today
from liaison.db import Fields, pk, put_all
from liaison.enterprises.models import Enterprise
from liaison.errors import FieldError, Problems, problems
from liaison.org.models import Officer, Station
from liaison.projects.models import Assignment, Project, Visit, VisitKind
from liaison.projects.schemas import Level, ProjectIn, Stage


class ProjectError(FieldError):
    """A refused change to a project, its assignment or its visits."""


# ---- projects --------------------------------------------------------------------------


def project_by_code(session: Session, code: str) -> Project | None:
    return session.exec(select(Project).where(Project.code == code)).first()


def save_project(session: Session, project: Project | None, data: ProjectIn) -> Project:
    """Edit `project`, or (None) create one. Moving it to another station ends its officer's
    term there and leaves it without a backup officer."""
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
    for key, value in data.model_dump().items():
        setattr(project, key, value.value if isinstance(value, Level | Stage) else value)
    if moved:
        project.backup_officer_id = None  # the old station's officer: the new one names its own
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
    end_reason: str | None = None,
) -> Assignment:
    """Make `officer` the project's liaison officer from `on` (today), ending the previous term
    for `end_reason` (the new term's `reason` unless given)."""
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
        end_current_assignment(
            session, project, by_user_id=by_user_id, reason=end_reason or reason, on=on
        )
    term = _term(project, officer, on, reason, by_user_id)
    session.add(term)
    _no_longer_backup(session, project, officer)
    session.flush()
    return term


def _term(
    project: Project, officer: Officer, start: date, reason: str, by_user_id: int | None
) -> Assignment:
    """A new current term: `officer` is the project's liaison officer from `start`."""
    return Assignment(
        project_id=pk(project),
        officer_id=pk(officer),
        start_date=start,
        reason=reason,
        assigned_by_id=by_user_id,
    )


def _no_longer_backup(session: Session, project: Project, officer: Officer) -> None:
    """The project's backup officer made its officer stops being its backup: one person cannot
    stand in for himself."""
    if project.backup_officer_id == officer.id:
        project.backup_officer_id = None
        session.add(project)


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


# ---- the backup officer (B角) ------------------------------------------------------------

BACKUP_FIELD = "backup_officer_id"


def backup_problems(session: Session, project: Project, officer: Officer) -> Problems:
    """Why `officer` may not be the project's backup officer: a B角 is an active officer of the
    project's station, other than its officer."""
    term = current_assignment(session, pk(project))
    name = officer.name
    return problems(
        (project.archived_at is not None, BACKUP_FIELD, "项目已归档，不能设置 B角"),
        (not officer.active, BACKUP_FIELD, f"{name} 已停用，不能担任 B角"),
        (
            officer.station_id != project.station_id,
            BACKUP_FIELD,
            "该民警不属于本项目所在单位，B角须是本单位民警",  # unnamed: another unit's officer
        ),
        (
            term is not None and term.officer_id == officer.id,
            BACKUP_FIELD,
            f"{name} 是本项目的项目警官，B角须是另一位民警",
        ),
    )


def set_backup(session: Session, project: Project, officer: Officer | None) -> None:
    """Make `officer` the project's backup officer (B角), who takes its requests, reminders and
    escalations while its officer is away; None: the project has none (the duty desk stands
    in). Who set it is the audit log's."""
    if officer is not None:
        ProjectError.refuse(backup_problems(session, project, officer))
    project.backup_officer_id = officer.id if officer is not None else None
    session.add(project)
    session.flush()


def backup_officers(session: Session, projects: Iterable[Project]) -> dict[int, Officer]:
    """The backup officer of each of these projects that has one, by project id, in one query."""
    listed = list(projects)
    ids = {p.backup_officer_id for p in listed if p.backup_officer_id}
    if not ids:
        return {}
    found = {o.id: o for o in session.exec(select(Officer).where(col(Officer.id).in_(ids)))}
    return {pk(p): found[p.backup_officer_id] for p in listed if p.backup_officer_id in found}


def projects_backed_up(session: Session, officer_id: int) -> list[Project]:
    """The active projects this officer is the backup officer of."""
    return list(
        session.exec(
            select(Project)
            .where(Project.backup_officer_id == officer_id, col(Project.archived_at).is_(None))
            .order_by(Project.code)
        ).all()
    )


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
    at: datetime | None = None,
) -> Visit:
    """Log a visit as of `at` (now): its date may be neither after that day nor a year before."""
    [visit] = log_visits(
        session,
        project,
        officer,
        [VisitEntry(visit_date, kind, summary, at=at)],
        by_user_id=by_user_id,
    )
    return visit


@dataclass(frozen=True)
class VisitEntry:
    visit_date: date
    kind: VisitKind
    summary: str
    at: datetime | None = None  # when it is logged (now)


def log_visits(
    session: Session,
    project: Project,
    officer: Officer,
    entries: Iterable[VisitEntry],
    *,
    by_user_id: int | None,
) -> list[Visit]:
    """Log an officer's visits to a project, each checked as `log_visit` checks it, in one
    flush: all or none."""
    if project.archived_at is not None:
        raise ProjectError("项目已归档")
    visits = []
    for entry in entries:
        on = local(entry.at).date() if entry.at else today()
        if entry.visit_date > on:
            raise ProjectError("走访日期不能晚于今天", "visit_date")
        if entry.visit_date < on - timedelta(days=366):
            raise ProjectError("走访日期不能早于一年前", "visit_date")
        visits.append(
            Visit(
                project_id=project.id or 0,
                officer_id=officer.id or 0,
                visit_date=entry.visit_date,
                kind=entry.kind.value,
                summary=entry.summary,
                created_by_id=by_user_id,
            )
        )
    session.add_all(visits)
    session.flush()
    return visits


# ---- the ledger import -----------------------------------------------------------------


IMPORTED = "台账导入"


def current_terms(session: Session, project_ids: Iterable[int]) -> dict[int, Assignment]:
    """The current term of each of these projects that has one, by project id, in one query."""
    terms = session.exec(
        select(Assignment).where(
            col(Assignment.project_id).in_(list(project_ids)), col(Assignment.end_date).is_(None)
        )
    ).all()
    return {t.project_id: t for t in terms}


def import_projects(
    session: Session, rows: Iterable[tuple[Project | None, Fields]]
) -> list[Project]:
    """Projects as a checked ledger has them (references resolved, each officer of its
    project's station)."""
    return put_all(session, Project, rows)


def import_officers_of(
    session: Session,
    changes: Iterable[tuple[Project, Assignment | None, Officer | None, date]],
    *,
    by_user_id: int | None,
) -> None:
    """Each (project, its current term, the ledger's officer, from when): that officer becomes
    the current one from that day, none ends the current term; the history keeps who came
    before."""
    for project, current, officer, start in changes:
        if current is not None and officer is not None and current.officer_id == officer.id:
            continue
        if current is not None:
            current.end_date = max(start, current.start_date)
            current.end_reason, current.ended_by_id = IMPORTED, by_user_id
            session.add(current)
            session.flush()  # the one-current-officer index must see the old term end
        if officer is not None:
            session.add(_term(project, officer, start, IMPORTED, by_user_id))
            _no_longer_backup(session, project, officer)
