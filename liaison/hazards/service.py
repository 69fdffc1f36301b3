"""The hazard loop: 待整改 → 整改中 → 待复查 → 已销号, a failed review back to 整改中. The only
module that writes the hazard tables. Who must act next is told (liaison/notify), in the
step's own transaction: the project's officer on duty of a hazard found or sent back, the
verifier of one sent for review, the leaders of a 重大 one (挂牌督办)."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlmodel import Session, col, select

from liaison.attachments import service as attachments
from liaison.auth.models import User
from liaison.auth.policy import POLICY, Action, OnReview, independent_reviewer
from liaison.auth.roles import Role
from liaison.clock import local, now, today
from liaison.config import Settings
from liaison.db import Fields, add_numbered, pk, put_all
from liaison.errors import FieldError, Problems, happened_checks, problems
from liaison.hazards.models import Hazard, HazardEvent, HazardLevel, HazardStatus
from liaison.hazards.schemas import HazardIn
from liaison.notify import routing
from liaison.notify import service as notify
from liaison.notify.kinds import Kind
from liaison.org.models import Officer
from liaison.projects.models import Project

OWNER = "hazard"
S = HazardStatus


class HazardError(FieldError):
    """A refused step or record of the hazard loop."""


@dataclass(frozen=True)
class Step:
    """A legal transition, its words for hazards and for complex areas, and the action of the
    policy it is: the project's handling, or the review (which `transition` checks itself)."""

    source: HazardStatus
    target: HazardStatus
    label: str
    area_label: str
    action: Action


HANDLE, REVIEW = Action.HAZARD_HANDLE, Action.HAZARD_SIGN_OFF
STEPS = {
    "start": Step(S.OPEN, S.RECTIFYING, "开始整改", "挂牌整治", HANDLE),
    "submit": Step(S.RECTIFYING, S.REVIEW, "提交复查", "申请验收", HANDLE),
    "sign_off": Step(S.REVIEW, S.CLOSED, "复查通过，销号", "验收摘牌", REVIEW),
    "reject": Step(S.REVIEW, S.RECTIFYING, "复查未通过", "验收未通过", REVIEW),
}
AREA_STATUS = {S.OPEN: "已排查", S.RECTIFYING: "挂牌整治中", S.REVIEW: "待验收", S.CLOSED: "已摘牌"}


def default_deadline(found_on: date, level: HazardLevel, settings: Settings) -> date:
    days = {
        HazardLevel.MAJOR: settings.hazard_days_major,
        HazardLevel.SERIOUS: settings.hazard_days_serious,
        HazardLevel.GENERAL: settings.hazard_days_general,
    }[level]
    return found_on + timedelta(days=days)


def is_overdue(hazard: Hazard, on: date | None = None) -> bool:
    return hazard.status != S.CLOSED.value and hazard.deadline < (on or today())


def status_label(hazard: Hazard) -> str:
    return AREA_STATUS[S(hazard.status)] if hazard.is_area else hazard.status


def step_label(action: str, area: bool) -> str:
    step = STEPS[action]
    return step.area_label if area else step.label


def found_problems(found_on: date, deadline: date | None, *, as_of: date | None = None) -> Problems:
    """What is wrong with a hazard's dates as of `as_of` (today), (field, reason): by the form and
    by the import."""
    return problems(
        *happened_checks(found_on, "found_on", "发现日期", as_of or today()),
        (deadline is not None and deadline < found_on, "deadline", "整改期限不能早于发现日期"),
    )


def log_hazard(
    session: Session,
    settings: Settings,
    project: Project,
    finder: Officer,
    data: HazardIn,
    *,
    by_user_id: int | None,
    photos: Sequence[tuple[str, bytes]] = (),
    at: datetime | None = None,
) -> Hazard:
    """Record a hazard with its photos (taken before the fix), all or nothing, as of `at` (now):
    it cannot have been found after that day."""
    if project.archived_at is not None:
        raise HazardError("项目已归档")
    moment = at or now()
    deadline = data.deadline or default_deadline(data.found_on, data.level, settings)
    HazardError.refuse(found_problems(data.found_on, deadline, as_of=local(moment).date()))
    hazard = Hazard(
        **data.model_dump(mode="json", exclude={"deadline", "found_on"}),
        code="",
        project_id=project.id or 0,
        found_on=data.found_on,
        found_by_id=finder.id or 0,
        deadline=deadline,
        created_by_id=by_user_id,
    )
    add_numbered(session, hazard, f"YH{data.found_on:%Y%m%d}-")
    session.add(
        HazardEvent(
            hazard_id=hazard.id or 0,
            action="found",
            to_status=S.OPEN.value,
            comment=data.description[:1000],
            officer_id=hazard.found_by_id,
            by_user_id=by_user_id,
            at=moment,
        )
    )
    if photos:
        _attach(session, hazard, photos, "before", by_user_id)
    session.flush()
    _tell_found(session, hazard, finder, by_user_id=by_user_id, at=at)
    return hazard


def _tell(
    session: Session,
    hazard: Hazard,
    users: list[int],
    kind: Kind,
    *,
    by_user_id: int | None,
    at: datetime | None,
) -> None:
    """Tell these users (not whoever took the step) of `kind`; a step entered with its own
    past moment `at` in the app only."""
    subject = f"{hazard.code} {notify.excerpt(hazard.description)}"
    message = notify.Message(kind, subject, f"/hazards/{hazard.id}")
    notify.notify(session, [u for u in users if u != by_user_id], message, at=at)


def _on_duty(session: Session, hazard: Hazard, at: datetime | None) -> list[int]:
    """The login of the project's officer on duty `at` (now), else the duty desk's."""
    return routing.on_duty_users(session, hazard.project_id, local(at or now()).date())


def _tell_found(
    session: Session,
    hazard: Hazard,
    finder: Officer,
    *,
    by_user_id: int | None,
    at: datetime | None,
) -> None:
    """The project's officer on duty learns of a hazard someone else found on it; the leaders
    of a 重大 one at once, which they supervise (挂牌督办)."""
    on = local(at or now()).date()
    if routing.duty_officer(session, hazard.project_id, on) != finder.id:
        users = _on_duty(session, hazard, at)
        _tell(session, hazard, users, Kind.HAZARD_FOUND, by_user_id=by_user_id, at=at)
    if hazard.level == HazardLevel.MAJOR.value:
        leaders = routing.leaders(session)
        _tell(session, hazard, leaders, Kind.HAZARD_MAJOR, by_user_id=by_user_id, at=at)


def _verifiers(session: Session, hazard: Hazard) -> list[int]:
    """Who is asked to review a hazard sent for review: its station's chiefs who neither found
    nor rectified it; without one, the leaders (who may review any)."""
    project = session.get(Project, hazard.project_id)
    chiefs = routing.chiefs(session, project.station_id if project else None)
    target = review_target(session, hazard)
    logins = session.exec(select(User.id, User.officer_id).where(col(User.id).in_(chiefs))).all()
    independent = [
        user for user, officer in logins if independent_reviewer(Role.CHIEF, officer, user, target)
    ]
    leaders = [u for u in routing.leaders(session) if u != target.rectified_by_user_id]
    return [u for u in independent if u is not None] or leaders


def _attach(
    session: Session,
    hazard: Hazard,
    photos: Sequence[tuple[str, bytes]],
    tag: str,
    by_user_id: int | None,
) -> None:
    """Photos taken `before` the fix (with the finding) or `after` it, refused beside 照片."""
    try:
        attachments.add(
            session,
            owner_type=OWNER,
            owner_id=hazard.id or 0,
            files=list(photos),
            tag=tag,
            uploaded_by_id=by_user_id,
        )
    except attachments.AttachmentError as exc:
        raise HazardError(str(exc), "photos") from None


def after_photos(session: Session, hazard_id: int) -> int:
    return sum(1 for a in attachments.for_owner(session, OWNER, hazard_id) if a.tag == "after")


def review_target(session: Session, hazard: Hazard) -> OnReview:
    """Who found the hazard and who last sent it for review: neither may review it."""
    submitted_by = session.exec(
        select(HazardEvent.by_user_id)
        .where(HazardEvent.hazard_id == hazard.id, HazardEvent.action == "submit")
        .order_by(col(HazardEvent.id).desc())
    ).first()
    return OnReview(found_by_officer_id=hazard.found_by_id, rectified_by_user_id=submitted_by)


def may_sign_off(
    session: Session, hazard: Hazard, role: Role, officer_id: int | None, user_id: int | None
) -> bool:
    """Policy Action.HAZARD_SIGN_OFF, for callers that hold a role and ids, not a principal."""
    if role not in POLICY[Action.HAZARD_SIGN_OFF].roles:
        return False
    return independent_reviewer(role, officer_id, user_id, review_target(session, hazard))


def transition(
    session: Session,
    hazard: Hazard,
    action: str,
    *,
    comment: str,
    role: Role,
    by_user_id: int | None,
    officer_id: int | None,
    photos: Sequence[tuple[str, bytes]] = (),
    at: datetime | None = None,
    after_photo_required: bool = True,
) -> HazardEvent:
    """Move the hazard one legal step as of `at` (now). Photos sent with the step were taken
    after the fix. A sign-off needs one unless `after_photo_required` is False: only for
    history entered after the fact, whose photos stayed in the paper ledger."""
    step = STEPS.get(action)
    if step is None or hazard.status != step.source.value:
        raise HazardError(f"当前状态「{status_label(hazard)}」不能执行此操作", "action")
    if not comment.strip():
        raise HazardError("请填写说明", "comment")
    if step.action == REVIEW and not may_sign_off(session, hazard, role, officer_id, by_user_id):
        raise HazardError(
            "发现人和提交整改的人不能复查，请由其他所长、分局领导或民警复查", "action"
        )
    if photos:
        add_after_photos(session, hazard, photos, by_user_id=by_user_id)
    if action == "sign_off" and after_photo_required and after_photos(session, hazard.id or 0) == 0:
        raise HazardError("销号前须上传至少一张整改后的照片", "photos")
    event = HazardEvent(
        hazard_id=hazard.id or 0,
        action=action,
        from_status=hazard.status,
        to_status=step.target.value,
        comment=comment.strip(),
        officer_id=officer_id,
        by_user_id=by_user_id,
        at=at or now(),
    )
    hazard.status = step.target.value
    if step.target == S.CLOSED:
        hazard.closed_on, hazard.closed_by_id = local(event.at).date(), by_user_id
    session.add_all([hazard, event])
    session.flush()
    if action == "submit":
        users = _verifiers(session, hazard)
        _tell(session, hazard, users, Kind.HAZARD_REVIEW, by_user_id=by_user_id, at=at)
    elif action == "reject":
        users = _on_duty(session, hazard, at)
        _tell(session, hazard, users, Kind.HAZARD_RETURNED, by_user_id=by_user_id, at=at)
    return event


def add_after_photos(
    session: Session, hazard: Hazard, photos: Sequence[tuple[str, bytes]], *, by_user_id: int | None
) -> None:
    if hazard.status == S.CLOSED.value:
        raise HazardError("已销号的隐患不能再添加照片", "photos")
    _attach(session, hazard, photos, "after", by_user_id)


def import_hazards(
    session: Session, rows: Sequence[tuple[Hazard | None, Fields]], *, by_user_id: int | None
) -> list[Hazard]:
    """Hazards as a checked ledger has them (their dates passed `found_problems`), each with an
    event in its history that says the ledger put it there."""
    hazards = put_all(session, Hazard, rows, created={"created_by_id": by_user_id})
    session.flush()
    for hazard, (record, _) in zip(hazards, rows, strict=True):
        session.add(
            HazardEvent(
                hazard_id=pk(hazard),
                action="import",
                to_status=hazard.status,
                comment="台账导入" if record is None else "台账导入更新",
                by_user_id=by_user_id,
            )
        )
    return hazards
