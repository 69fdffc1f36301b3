"""The public side of the desk: the request form (general link or a project's QR link), the
confirmation with its tracking number, and tracking by POST with the rating."""

import uuid
from dataclasses import fields
from datetime import timedelta
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field, field_validator
from sqlmodel import Session, col, select

from liaison.attachments import service as attachments
from liaison.auth.deps import SettingsDep, client_ip, public
from liaison.auth.throttle import allow
from liaison.config import Settings
from liaison.db import SessionDep
from liaison.desk import service
from liaison.desk.models import Channel, RequestEvent, RequestType, Satisfaction, Topic
from liaison.forms import Filled, validate
from liaison.pages.attachments import uploads
from liaison.pii import pseudonym
from liaison.projects.models import Project
from liaison.web import render

router = APIRouter(dependencies=[Depends(public)])
# Up to 9 photos from a phone; smaller than the staff's limit, as anyone can send this form.
PUBLIC_UPLOAD_LIMIT = 40 * 1024 * 1024
PHONE = r"^1[3-9]\d{9}$"
TRACK_FAILED = "受理编号或手机号后四位不正确。"


class RequestForm(BaseModel):
    type: RequestType
    topic: Topic = Topic.OTHER
    content: str = Field(min_length=5, max_length=2000)
    name: str = Field(min_length=1, max_length=32)
    phone: str = Field(pattern=PHONE)
    enterprise_name: str = Field(default="", max_length=64)
    consent: bool = False
    website: str = ""  # a honeypot: people never see it, scripts fill it
    submission_key: str = Field(default="", max_length=64)

    @field_validator("topic", mode="before")
    @classmethod
    def _blank_is_other(cls, value: Any) -> Any:
        return value or Topic.OTHER


def _project(session: Session, code: str | None) -> Project | None:
    if code is None:
        return None
    project = session.exec(
        select(Project).where(Project.code == code, col(Project.archived_at).is_(None))
    ).first()
    if project is None:
        raise HTTPException(status_code=404)
    return project


def _form(
    request: Request,
    project: Project | None,
    form: Filled,
    status_code: int = 200,
) -> Response:
    return render(
        request,
        "desk/form.html",
        {
            "project": project,
            "values": {"submission_key": uuid.uuid4().hex, **form.values},
            "errors": form.errors,
            "types": list(RequestType),
            "topics": list(Topic),
        },
        status_code=422 if form.errors and status_code == 200 else status_code,
    )


@router.get("/r")
@router.get("/r/{project_code}")
def request_form(
    request: Request, session: SessionDep, project_code: str | None = None
) -> Response:
    return _form(request, _project(session, project_code), Filled())


def _limited(session: Session, settings: Settings, request: Request, phone: str) -> int | None:
    """Seconds to wait when this address or this phone has sent too many requests."""
    return allow(
        session,
        f"desk-ip:{client_ip(request)}",
        limit=settings.desk_submits_per_hour,
        window=timedelta(hours=1),
    ) or allow(
        session,
        f"desk-phone:{pseudonym(settings, phone)}",
        limit=settings.desk_submits_per_phone_day,
        window=timedelta(days=1),
    )


def _refusals(form: RequestForm) -> dict[str, str]:
    """What a well-formed request still lacks: the consent, or a person behind it (a script
    fills the honeypot, and is told no more than that the submission failed)."""
    errors = {}
    if not form.consent:
        errors["consent"] = "请阅读并勾选个人信息处理告知"
    if form.website:
        errors["content"] = "提交未成功，请刷新页面后重试"
    return errors


def _too_frequent(
    request: Request, project: Project | None, values: dict[str, Any], wait: int
) -> Response:
    refused = Filled(values, {"content": "提交过于频繁，请稍后再试"})
    response = _form(request, project, refused, status_code=429)
    response.headers["Retry-After"] = str(wait)
    return response


def _submission(form: RequestForm) -> service.Submission:
    """The form's fields that a submission has, by name (consent and the honeypot stay here)."""
    return service.Submission(
        **form.model_dump(include={f.name for f in fields(service.Submission)})
    )


@router.post("/r", max_body_size=PUBLIC_UPLOAD_LIMIT)
@router.post("/r/{project_code}", max_body_size=PUBLIC_UPLOAD_LIMIT)
async def request_submit(
    request: Request, session: SessionDep, settings: SettingsDep, project_code: str | None = None
) -> Response:
    project = _project(session, project_code)
    form_data = await request.form()
    raw = {k: v for k, v in form_data.items() if isinstance(v, str)}
    form, errors = validate(RequestForm, raw)
    if form:
        errors.update(_refusals(form))
    values = {k: v for k, v in raw.items() if k != "website"}
    if not form or errors:
        return _form(request, project, Filled(values, errors))
    wait = _limited(session, settings, request, form.phone)
    if wait is not None:
        session.commit()
        return _too_frequent(request, project, values, wait)
    submitted, created = service.submit(
        session,
        _submission(form),
        settings=settings,
        channel=Channel.QR if project else Channel.WEB,
        project=project,
        submission_key=form.submission_key or None,
    )
    try:
        if created:
            attachments.add(
                session,
                owner_type=service.OWNER,
                owner_id=submitted.id or 0,
                files=await uploads(form_data),
            )
    except attachments.AttachmentError as exc:
        session.rollback()
        return _form(request, project, Filled(values, {"photos": str(exc)}))
    session.commit()
    return render(request, "desk/submitted.html", {"tracking_no": submitted.tracking_no})


class TrackForm(BaseModel):
    tracking_no: str = Field(min_length=1, max_length=32)
    last4: str = Field(pattern=r"^\d{4}$")


def _track_page(request: Request, **context: Any) -> Response:
    return render(
        request,
        "desk/track.html",
        {"satisfactions": list(Satisfaction), **context},
        status_code=context.pop("status_code", 200),
    )


@router.get("/track")
def track_form(request: Request) -> Response:
    return _track_page(request)


async def _tracked(
    request: Request, session: Session, settings: Settings
) -> tuple[Any, dict[str, Any]]:
    """The request behind a POSTed number and last 4 digits, after the rate limits; or None."""
    raw = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    form, _errors = validate(TrackForm, raw)
    number = str(raw.get("tracking_no", "")).strip().upper()[:32]
    limit, window = settings.desk_tracks_per_10_minutes, timedelta(minutes=10)
    wait = allow(session, f"track-ip:{client_ip(request)}", limit=limit, window=window) or allow(
        session, f"track-no:{number}", limit=limit, window=window
    )
    session.commit()
    if wait is not None:
        raise HTTPException(
            status_code=429, detail="查询过于频繁，请稍后再试", headers={"Retry-After": str(wait)}
        )
    found = service.find_for_tracking(session, number, form.last4) if form else None
    return found, raw


def _show(
    request: Request, session: Session, found: Any, raw: dict[str, Any], **extra: Any
) -> Response:
    if found is None:
        return _track_page(request, error=TRACK_FAILED, values=raw, status_code=404)
    replies = session.exec(
        select(RequestEvent)
        .where(RequestEvent.request_id == found.id, col(RequestEvent.public))
        .order_by(col(RequestEvent.id))
    ).all()
    return _track_page(request, found=found, replies=replies, values=raw, **extra)


@router.post("/track")
async def track(request: Request, session: SessionDep, settings: SettingsDep) -> Response:
    found, raw = await _tracked(request, session, settings)
    return _show(request, session, found, raw)


@router.post("/track/rate")
async def track_rate(request: Request, session: SessionDep, settings: SettingsDep) -> Response:
    found, raw = await _tracked(request, session, settings)
    if found is None:
        return _show(request, session, None, raw)
    value = str(raw.get("satisfaction", ""))
    try:
        if value not in Satisfaction.__members__.values():
            raise service.DeskError("请选择评价", "satisfaction")
        service.rate(session, found, Satisfaction(value), settings=settings)
        session.commit()
    except service.DeskError as exc:
        session.rollback()
        return _show(request, session, found, raw, rate_error=str(exc))
    return _show(request, session, found, raw, rated=True)
