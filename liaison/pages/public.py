"""The public side of the desk: the request form (general link or a project's QR link), the
confirmation with its tracking number, and tracking by POST with the rating."""

import re
import uuid
from datetime import timedelta
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field, field_validator
from pydantic_core import PydanticCustomError
from sqlmodel import Session, col, select
from starlette.datastructures import FormData

from liaison.attachments import service as attachments
from liaison.auth.deps import SettingsDep, client_ip, public
from liaison.auth.throttle import address_key, allow
from liaison.config import Settings
from liaison.db import SessionDep, pk
from liaison.desk import numbers, service
from liaison.desk.models import Channel, RequestEvent, Satisfaction
from liaison.desk.schemas import MOBILE_PATTERN, RequestIn
from liaison.fields import form_field, label
from liaison.forms import Filled, PostedForm, validate
from liaison.org.models import Officer
from liaison.pages.attachments import Kept, Photos, attached, form_photos, keep, pending_file
from liaison.pii import pseudonym
from liaison.projects.models import Project
from liaison.projects.service import current_assignment
from liaison.web import render

router = APIRouter(dependencies=[Depends(public)])
# Up to 9 photos from a phone; smaller than the staff's limit, as anyone can send this form.
PUBLIC_UPLOAD_LIMIT = 40 * 1024 * 1024
PHONE = MOBILE_PATTERN
CONTENT_AT_LEAST = 5  # characters a person types into the form
TRACK_FAILED = "受理编号或手机号后四位不正确。"
# Tracking's limits, in tries of one number from one address (LIAISON_DESK_TRACKS_PER_10_MINUTES,
# a person mistyping): an address this many times as many (a site's workers or a family share
# one), and one number from anywhere this many times: a botnet holds the owner off only with 20
# addresses, and still needs hours for the 10,000 last 4 digits of a number it knows.
TRACKS_PER_ADDRESS, TRACKS_PER_NUMBER = 3, 20
# Refused forms whose photos one address may have kept in an hour: anyone can send this form.
PENDING_HOLDS_PER_HOUR = 30


class RequestForm(RequestIn):
    """The public form: RequestIn as a citizen sends it (its submitter's fields named `name`
    and `phone`), with the consent, the honeypot and the key that makes a resent form one
    request. Its channel is the page's (a QR link or the general one), never the sender's."""

    consent: bool = False
    website: str = ""  # a honeypot: people never see it, scripts fill it
    submission_key: str = Field(default="", max_length=64)

    @field_validator("content")
    @classmethod
    def _says_enough(cls, value: str) -> str:
        """A person writes what happened and where: a word or two cannot be handled."""
        if len(value) < CONTENT_AT_LEAST:
            raise PydanticCustomError(
                "string_too_short",
                "String should have at least {min_length} characters",
                {"min_length": CONTENT_AT_LEAST},
            )
        return value

    def request_in(self) -> RequestIn:
        return RequestIn.model_validate(self.model_dump(include=set(RequestIn.model_fields)))


def request_fields(model: type[RequestIn] = RequestForm, *, staff: bool = False) -> dict[str, Any]:
    """The form's fields as RequestIn declares them, by the names the form posts. A citizen is
    asked for 手机号 (only a mobile is taken) where the ledger and the staff say 联系电话."""
    return {
        "type": form_field(model, "type"),
        "topic": form_field(model, "topic"),
        "content": form_field(model, "content", hint="请写明时间、地点和需要解决的问题"),
        "name": form_field(
            model,
            "submitter_name",
            name="name",
            label="诉求人姓名" if staff else "姓名",
            autocomplete=None if staff else "name",
        ),
        "phone": form_field(
            model,
            "submitter_phone",
            name="phone",
            type="tel",
            label="联系电话" if staff else "手机号",
            hint="11 位手机号" if staff else "用于回访和查询，页面中只显示后四位",
            autocomplete=None if staff else "tel",
        ),
        "enterprise_name": form_field(
            model, "enterprise_name", label="所在企业（选填）", autocomplete="organization"
        ),
    }


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
    refusal: dict[str, Any] | None = None,
    kept: list[Kept] | None = None,
) -> Response:
    return render(
        request,
        "desk/form.html",
        {
            "project": project,
            "values": {"submission_key": uuid.uuid4().hex, **form.values},
            "errors": form.errors,
            "fields": request_fields(),
            "sms_label": label(RequestForm, "sms_consent"),
            "refusal": refusal,
            "kept": kept or [],
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
    """Seconds to wait when this phone from this address, any phone from this address (a
    looser ceiling: a site's workers share one), or this phone anywhere has sent too many."""
    address, person = client_ip(request), pseudonym(settings, phone)
    hour, day = timedelta(hours=1), timedelta(days=1)
    return (
        allow(
            session,
            address_key(f"desk-ip-phone:{person}", address),
            limit=settings.desk_submits_per_hour,
            window=hour,
        )
        or allow(
            session,
            address_key("desk-ip", address),
            limit=settings.desk_submits_per_address_hour,
            window=hour,
        )
        or allow(
            session, f"desk-phone:{person}", limit=settings.desk_submits_per_phone_day, window=day
        )
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


def _holder(request: Request, settings: Settings, project_code: str | None) -> attachments.Holder:
    """The public form's pending photos belong to the browser that chose them (its CSRF
    cookie, which every POST carries), on this form's link."""
    browser = attachments.browser_identity(request.cookies.get(settings.csrf_cookie, ""))
    return attachments.Holder(form=f"desk:{project_code or ''}", browser=browser, public=True)


def _kept(
    request: Request,
    session: Session,
    settings: Settings,
    chosen: Photos,
    errors: dict[str, str],
    *,
    robot: bool = False,
) -> list[Kept]:
    """Keep the photos of a refused form for it (not a robot's; not past an address's hourly
    ceiling, as anyone may send this form), and commit."""
    hold = bool(chosen.chosen) and not robot
    if hold and allow(
        session,
        address_key("desk-pending-ip", client_ip(request)),
        limit=PENDING_HOLDS_PER_HOUR,
        window=timedelta(hours=1),
    ):
        errors.setdefault("photos", attachments.NOT_KEPT)
        hold = False
    kept = keep(session, chosen, errors, hold_chosen=hold)
    session.commit()
    return kept


def _too_frequent(
    request: Request,
    session: Session,
    project: Project | None,
    values: dict[str, Any],
    wait: int,
    kept: list[Kept],
) -> Response:
    """The refusal at the top of the form, with what else the person can do now: the
    project's officer, the bureau's duty line, 110. What they typed stays in the form."""
    officer = None
    if project is not None and (term := current_assignment(session, pk(project))) is not None:
        officer = session.get(Officer, term.officer_id)
    response = _form(
        request,
        project,
        Filled(values, {}),
        status_code=429,
        refusal={"minutes": max(1, wait // 60), "officer": officer},
        kept=kept,
    )
    response.headers["Retry-After"] = str(wait)
    return response


@router.post("/r", max_body_size=PUBLIC_UPLOAD_LIMIT)
@router.post("/r/{project_code}", max_body_size=PUBLIC_UPLOAD_LIMIT)
def request_submit(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    form_data: PostedForm,
    project_code: str | None = None,
) -> Response:
    """A plain `def`: its photos are decoded and the database's work done in a worker thread,
    never on the event loop. Anyone may send this form, and nine large PNGs decoded on the
    loop held every other request for ten seconds."""
    project = _project(session, project_code)
    raw = {k: v for k, v in form_data.items() if isinstance(v, str)}
    channel = Channel.QR if project else Channel.WEB
    # The page's, whatever was posted: a citizen names neither a channel nor an enterprise.
    fixed = {"channel": channel.value, "enterprise_id": None}
    form, errors = validate(RequestForm, {**raw, **fixed})
    if form:
        errors.update(_refusals(form))
    values = {k: v for k, v in raw.items() if k != "website"}
    chosen = form_photos(session, form_data, _holder(request, settings, project_code))
    if not form or errors:
        robot = bool(form and form.website)
        kept = _kept(request, session, settings, chosen, errors, robot=robot)
        return _form(request, project, Filled(values, errors), kept=kept)
    wait = _limited(session, settings, request, form.submitter_phone)
    if wait is not None:
        session.commit()
        kept = _kept(request, session, settings, chosen, {})
        return _too_frequent(request, session, project, values, wait, kept)
    submitted, created = service.submit(
        session,
        form.request_in(),
        settings=settings,
        project=project,
        submission_key=form.submission_key or None,
    )
    try:
        if created:
            attachments.add(
                session,
                owner_type=service.OWNER,
                owner_id=submitted.id or 0,
                files=chosen.files,
                public=True,
            )
        attached(session, chosen)
    except attachments.AttachmentError as exc:
        session.rollback()
        errors = {"photos": str(exc)}
        kept = _kept(request, session, settings, chosen, errors)
        return _form(request, project, Filled(values, errors), kept=kept)
    session.commit()
    return render(request, "desk/submitted.html", {"tracking_no": submitted.tracking_no})


@router.get("/r/pending/{token}")
def request_pending_photo(
    request: Request, session: SessionDep, settings: SettingsDep, token: str
) -> Response:
    """A photo kept from this browser's refused request form; anyone else's is not found."""
    browser = attachments.browser_identity(request.cookies.get(settings.csrf_cookie, ""))
    return pending_file(
        attachments.pending_owned(session, token[:64], user_id=None, browser=browser)
    )


class TrackForm(BaseModel):
    tracking_no: str = Field(min_length=1, max_length=64)  # spaces read out with it
    last4: str = Field(pattern=r"^\d{4}$")


def _track_page(request: Request, **context: Any) -> Response:
    return render(
        request,
        "desk/track.html",
        {"satisfactions": list(Satisfaction), **context},
        status_code=context.pop("status_code", 200),
    )


@router.get("/track")
def track_form(request: Request, no: str = "") -> Response:
    """The tracking form; `no`, the number the confirmation page carries over, is filled in."""
    number = numbers.tracking_number(no)[:32]
    if not re.fullmatch(r"[A-Z0-9-]*", number):
        number = ""
    return _track_page(request, values={"tracking_no": number})


def _tracked(
    request: Request, session: Session, settings: Settings, posted: FormData
) -> tuple[Any, dict[str, Any]]:
    """The request behind a POSTed number and last 4 digits, after the rate limits; or None."""
    raw = {k: v for k, v in posted.items() if isinstance(v, str)}
    form, _errors = validate(TrackForm, raw)
    number = numbers.tracking_number(str(raw.get("tracking_no", "")))[:32]
    limit, window = settings.desk_tracks_per_10_minutes, timedelta(minutes=10)
    address = client_ip(request)
    wait = (  # in this order: what one limit refuses is not counted by the next
        allow(
            session,
            address_key("track-ip", address),
            limit=TRACKS_PER_ADDRESS * limit,
            window=window,
        )
        or allow(session, address_key(f"track-no-ip:{number}", address), limit=limit, window=window)
        or allow(session, f"track-no:{number}", limit=TRACKS_PER_NUMBER * limit, window=window)
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
def track(
    request: Request, session: SessionDep, settings: SettingsDep, posted: PostedForm
) -> Response:
    found, raw = _tracked(request, session, settings, posted)
    return _show(request, session, found, raw)


@router.post("/track/rate")
def track_rate(
    request: Request, session: SessionDep, settings: SettingsDep, posted: PostedForm
) -> Response:
    found, raw = _tracked(request, session, settings, posted)
    if found is None:
        return _show(request, session, None, raw)
    value = str(raw.get("satisfaction", ""))
    try:
        if value not in Satisfaction.__members__.values():
            raise service.DeskError("请选择评价", "satisfaction")
        reason = str(raw.get("reason", ""))
        service.rate(session, found, Satisfaction(value), settings=settings, reason=reason)
        session.commit()
    except service.DeskError as exc:
        session.rollback()
        refused = {exc.field or "satisfaction": str(exc)}  # beside its field, as a form's are
        return _show(request, session, found, raw, rate_errors=refused, status_code=422)
    return _show(request, session, found, raw, rated=True)
