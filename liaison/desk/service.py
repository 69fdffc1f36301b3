"""The desk's rules: submission (once), routing, tracking, the handling steps, the rating, the
service levels and the calendar. The only module that writes the desk's tables, the ledger
import and the demo included. Each step that puts a request in someone's hands tells them
(liaison/notify), and the person who sent it, if they agreed, gets an SMS when it is answered
and when it is closed: in the step's own transaction."""

import hmac
from collections.abc import Iterable
from datetime import date, datetime, timedelta

from sqlmodel import Session, col, select

from liaison.clock import local, now
from liaison.config import Settings
from liaison.db import Fields, add_numbered, pk, put_all, submitted_before
from liaison.desk import numbers, sla
from liaison.desk.models import (
    CalendarDay,
    RequestEvent,
    RequestStatus,
    RequestType,
    Satisfaction,
    ServiceLevel,
    ServiceRequest,
)
from liaison.desk.schemas import RequestBase, RequestIn
from liaison.errors import FieldError
from liaison.notify import routing
from liaison.notify import service as notify
from liaison.notify.kinds import Kind
from liaison.org.models import Officer, Station
from liaison.projects.models import Project
from liaison.projects.service import current_assignment, current_terms

RESENT_WITHIN = timedelta(minutes=30)  # the same request again this soon is the same request
OWNER = "request"  # attachments of a request; who may read them is decided in pages/requests.py
S = RequestStatus
OPEN = (S.NEW, S.ACCEPTED, S.IN_PROGRESS, S.ANSWERED)
# Public events in the requester's own words: none of them is the desk's first response.
FROM_REQUESTER = frozenset({"contact_reply", "rate", "reopen"})


class DeskError(FieldError):
    """A refused request, reply or step at the request desk."""


def submit(
    session: Session,
    data: RequestIn,
    *,
    settings: Settings,
    project: Project | None = None,
    submission_key: str | None = None,
    by_user_id: int | None = None,
    at: datetime | None = None,
) -> tuple[ServiceRequest, bool]:
    """Record a request received `at` (now), route it (`route`) and tell whom it went to, and fix
    its deadlines. The same submission sent twice makes one request: by its
    key, or, sent again from a page the browser reloaded with a fresh key (the back button),
    by the same text from the same phone about the same project within RESENT_WITHIN:
    (request, new?)."""
    earlier = submitted_before(session, ServiceRequest, submission_key)
    if earlier is None and at is None:
        earlier = _resent(session, data, project)
    if earlier is not None:
        return earlier, False
    level = sla.levels(session, settings)[data.type]
    received_at = at or now()
    officer_id, station_id = route(session, project, local(received_at).date())
    given = set(RequestBase.model_fields) | {"enterprise_id", "sms_consent"}
    request = ServiceRequest(
        **data.model_dump(mode="json", include=given),
        tracking_no="",
        phone_last4=data.submitter_phone[-4:],
        project_id=project.id if project else None,
        officer_id=officer_id,
        station_id=station_id,
        submission_key=submission_key or None,
        created_by_id=by_user_id,
        received_at=received_at,
        respond_by=sla.respond_deadline(level, received_at),
        close_by=sla.close_deadline(session, level, received_at),
    )
    added = add_numbered(
        session, request, f"YY{local(received_at):%Y%m%d}-", field="tracking_no", draw=numbers.drawn
    )
    if added is request:
        _tell(session, request, Kind.REQUEST_ROUTED, by_user_id=by_user_id, at=at)
    return added, added is request


def route(session: Session, project: Project | None, on: date) -> tuple[int | None, int | None]:
    """Where a request about `project` received `on` goes, (officer, station): to the project's
    officer on duty (its backup officer while its officer is away) in its station; to the
    station alone (its chief assigns it) when the project has no officer; to the duty desk
    (neither) without a project, or when its officer is away with no backup."""
    if project is None:
        return None, None
    officer_id = routing.duty_officer(session, pk(project), on)
    if officer_id is not None:
        return officer_id, project.station_id
    if current_assignment(session, pk(project)) is None:
        return None, project.station_id
    return None, None


def _handlers(session: Session, request: ServiceRequest) -> list[int]:
    """The logins a request waits on, as the inboxes have it: its officer's; else (an officer
    without a login, or none) its station's chiefs; else the duty desk's, the leaders."""
    if request.officer_id is not None:
        users = routing.users_of(session, [request.officer_id])
        if users:
            return list(users.values())
    return routing.chiefs(session, request.station_id) or routing.leaders(session)


def _tell(
    session: Session,
    request: ServiceRequest,
    kind: Kind,
    *,
    by_user_id: int | None,
    at: datetime | None,
) -> None:
    """Tell those the request waits on (not whoever took the step) of `kind`; a step entered
    with its own past moment `at` in the app only."""
    users = [u for u in _handlers(session, request) if u != by_user_id]
    subject = f"{request.tracking_no} {notify.excerpt(request.content)}"
    notify.notify(session, users, notify.Message(kind, subject, f"/requests/{request.id}"), at=at)


def _tell_requester(
    session: Session, request: ServiceRequest, done: str, at: datetime | None
) -> None:
    """The SMS the person who sent the request agreed to, saying it is `done` (已答复, 已办结):
    its number and the tracking page, never its content. Not for history entered with its own
    moment, nor once the person's data is gone."""
    if at is not None or not request.sms_consent or request.deidentified_at is not None:
        return
    if not request.submitter_phone:
        return
    number = request.tracking_no
    text = f"您的诉求{number}{done}，查询：\n/track?no={number}"
    notify.tell_requester(session, request.submitter_phone, text)


def _resent(session: Session, data: RequestIn, project: Project | None) -> ServiceRequest | None:
    since = now() - RESENT_WITHIN
    return session.exec(
        select(ServiceRequest).where(
            ServiceRequest.submitter_phone == data.submitter_phone,
            ServiceRequest.content == data.content,
            ServiceRequest.project_id == (project.id if project else None),
            col(ServiceRequest.received_at) >= since,
        )
    ).first()


def find_for_tracking(session: Session, tracking_no: str, last4: str) -> ServiceRequest | None:
    """The request only when both the number and the phone's last 4 digits match; the same None
    for a wrong pair and an unknown number."""
    request = session.exec(
        select(ServiceRequest).where(
            ServiceRequest.tracking_no == numbers.tracking_number(tracking_no)
        )
    ).first()
    expected = request.phone_last4 if request else "0000"
    matches = hmac.compare_digest(expected.encode(), last4.strip().encode())
    return request if request is not None and matches and len(last4.strip()) == 4 else None


def _event(
    session: Session,
    request: ServiceRequest,
    kind: str,
    *,
    body: str = "",
    public: bool = False,
    to: RequestStatus | None = None,
    by_user_id: int | None = None,
    at: datetime | None = None,
) -> None:
    at = at or now()
    event = RequestEvent(
        request_id=request.id or 0,
        kind=kind,
        public=public,
        body=body,
        from_status=request.status,
        to_status=(to or S(request.status)).value,
        by_user_id=by_user_id,
        at=at,
    )
    if to is not None:
        request.status = to.value
    if public and kind not in FROM_REQUESTER and request.first_response_at is None:
        request.first_response_at = at
    session.add_all([request, event])
    session.flush()


def _require(request: ServiceRequest, *allowed: RequestStatus) -> None:
    if S(request.status) not in allowed:
        raise DeskError(f"诉求当前为「{request.status}」，不能执行此操作", "action")


def accept(
    session: Session, request: ServiceRequest, *, by_user_id: int | None, at: datetime | None = None
) -> None:
    _require(request, S.NEW)
    _event(
        session,
        request,
        "accept",
        body="已受理",
        public=True,
        to=S.ACCEPTED,
        by_user_id=by_user_id,
        at=at,
    )


def decline(
    session: Session,
    request: ServiceRequest,
    reason: str,
    *,
    by_user_id: int | None,
    at: datetime | None = None,
) -> None:
    _require(request, S.NEW)
    _end(
        session,
        request,
        "decline",
        reason,
        S.DECLINED,
        by_user_id,
        "请填写不予受理的理由",
        "reason",
        at,
    )


def reply(
    session: Session,
    request: ServiceRequest,
    body: str,
    *,
    public: bool,
    by_user_id: int | None,
    at: datetime | None = None,
) -> None:
    """A public reply (the requester sees it) or an internal note (staff only)."""
    _require(request, S.ACCEPTED, S.IN_PROGRESS, S.ANSWERED)
    if not body.strip():
        raise DeskError("请填写内容", "body")
    to = S.ANSWERED if public else (S.IN_PROGRESS if request.status == S.ACCEPTED.value else None)
    _event(
        session,
        request,
        "reply" if public else "note",
        body=body.strip(),
        public=public,
        to=to,
        by_user_id=by_user_id,
        at=at,
    )
    if public:
        _tell_requester(session, request, "已答复", at)


def add_contact_reply(
    session: Session,
    request: ServiceRequest,
    body: str,
    *,
    by_user_id: int | None,
    at: datetime | None = None,
) -> None:
    """An enterprise contact's 补充说明 on an open request: public (their own words, on its
    timeline), no response of the desk and no change of status; whom it waits on is told."""
    _require(request, *OPEN)
    if not body.strip():
        raise DeskError("请填写补充说明", "body")
    _event(
        session,
        request,
        "contact_reply",
        body=body.strip(),
        public=True,
        by_user_id=by_user_id,
        at=at,
    )
    _tell(session, request, Kind.REQUEST_REPLY, by_user_id=by_user_id, at=at)


def transfer(
    session: Session,
    request: ServiceRequest,
    *,
    officer: Officer | None,
    station: Station | None,
    reason: str,
    by_user_id: int | None,
    at: datetime | None = None,
) -> None:
    """Hand a request to an officer, to a station (its chief assigns it), or back to the duty
    desk (neither). The deadlines stay: a transfer does not restart the clock."""
    _require(request, *OPEN)
    if not reason.strip():
        raise DeskError("请填写转办原因", "reason")
    if officer is not None:
        request.officer_id, request.station_id = officer.id, officer.station_id
        target = officer.name
    else:
        request.officer_id, request.station_id = None, station.id if station else None
        target = station.name if station else "值班台"
    _event(
        session,
        request,
        "transfer",
        body=f"转至 {target}：{reason.strip()}",
        by_user_id=by_user_id,
        at=at,
    )
    _tell(session, request, Kind.REQUEST_ROUTED, by_user_id=by_user_id, at=at)


def close(
    session: Session,
    request: ServiceRequest,
    summary: str,
    *,
    by_user_id: int | None,
    at: datetime | None = None,
) -> None:
    _require(request, S.ACCEPTED, S.IN_PROGRESS, S.ANSWERED)
    _end(session, request, "close", summary, S.CLOSED, by_user_id, "请填写办结情况", "summary", at)
    _tell_requester(session, request, "已办结", at)


def _end(
    session: Session,
    request: ServiceRequest,
    kind: str,
    text: str,
    to: RequestStatus,
    by_user_id: int | None,
    missing: str,
    field: str,
    at: datetime | None = None,
) -> None:
    """Decline or close: the outcome, which the submitter reads, is required."""
    if not text.strip():
        raise DeskError(missing, field)
    at = at or now()
    request.outcome, request.closed_at = text.strip(), at
    _event(
        session, request, kind, body=text.strip(), public=True, to=to, by_user_id=by_user_id, at=at
    )


def rating_problems(current: str | None, new: str | None) -> list[str]:
    """A requester's rating, once given, is theirs: nobody rates again or rewrites it (the form,
    the ledger import)."""
    if current is not None and new != current:
        return [f"已评价（{current}），评价不能更改"]
    return []


def rate(
    session: Session,
    request: ServiceRequest,
    satisfaction: Satisfaction,
    *,
    settings: Settings,
    reason: str = "",
    at: datetime | None = None,
    reopen: bool = True,
) -> None:
    """The requester's rating of a closed request, given `at` (now). A 不满意 says why (the
    desk redoes the work by it); the first reopens the request (重办) with a new closure
    deadline, and the rating is asked again at the next closure; the event log keeps both.
    `reopen=False` only enters history whose desk did not reopen it: the 不满意 is then kept as
    the rating, with whatever reason the history has."""
    _require(request, S.CLOSED)
    if request.satisfaction is not None:
        raise DeskError("已评价", "satisfaction")
    reason = reason.strip()[:1000]
    unsatisfied = satisfaction == Satisfaction.UNSATISFIED
    if unsatisfied and reopen and not reason:
        raise DeskError("请说明不满意的原因，我们将据此重新办理", "reason")
    moment = at or now()
    if unsatisfied and not request.reopened and reopen:
        level = sla.levels(session, settings)[RequestType(request.type)]
        request.reopened, request.closed_at = True, None
        request.close_by = sla.close_deadline(session, level, moment)
        body = f"不满意，重办：{reason}"
        _event(session, request, "reopen", body=body, public=True, to=S.IN_PROGRESS, at=moment)
        _tell(session, request, Kind.REQUEST_REOPENED, by_user_id=None, at=at)
        return
    request.satisfaction = satisfaction.value
    body = f"{satisfaction.value}：{reason}" if reason else satisfaction.value
    _event(session, request, "rate", body=body, public=True, at=moment)


# ---- service levels and the working calendar (the system administrator's) --------------


def set_service_level(
    session: Session, kind: RequestType, *, response_hours: int, close_days: int, working_days: bool
) -> ServiceLevel:
    """A type's deadlines; they apply to requests received from now on."""
    level = session.get(ServiceLevel, kind.value) or ServiceLevel(
        type=kind.value, response_hours=response_hours, close_days=close_days
    )
    level.response_hours, level.close_days = response_hours, close_days
    level.working_days = working_days
    session.add(level)
    return level


def set_calendar_day(session: Session, day: date, *, workday: bool, note: str) -> CalendarDay:
    """Enter a day the official calendar moves (a 调休 workday, an extra holiday), or correct it."""
    entry = session.get(CalendarDay, day) or CalendarDay(day=day, workday=workday)
    entry.workday, entry.note = workday, note
    session.add(entry)
    return entry


def remove_calendar_day(session: Session, day: date) -> bool:
    """Drop an entered day (the official calendar applies again); False when none was entered."""
    entry = session.get(CalendarDay, day)
    if entry is None:
        return False
    session.delete(entry)
    return True


def import_requests(
    session: Session,
    rows: Iterable[tuple[ServiceRequest | None, Fields, Project | None, sla.Level]],
    *,
    by_user_id: int | None,
) -> None:
    """Requests as a checked ledger has them, with the project each names and its service
    level. One that comes to a project, or moves to another, is routed as `submit` routes: to
    the project's station and current officer."""
    rows = list(rows)
    officers = {
        project_id: term.officer_id
        for project_id, term in current_terms(
            session, {pk(project) for _, _, project, _ in rows if project}
        ).items()
    }
    for record, fields, project, level in rows:
        project_id = project.id if project else None
        moved = record is None or record.project_id != project_id
        # Worked out before the row is added: a deadline in working days reads the calendar,
        # and that query would flush a new row that has no deadline yet.
        received = fields.get("received_at") or (record.received_at if record else now())
        close_by = sla.close_deadline(session, level, received)
        [request] = put_all(
            session,
            ServiceRequest,
            [(record, {**fields, "close_by": close_by})],
            created={"created_by_id": by_user_id},
        )
        if moved:
            request.project_id = project_id
            request.station_id = project.station_id if project else None
            request.officer_id = officers.get(project_id) if project_id else None
