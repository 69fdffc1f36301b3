"""HTML rendering shared by every domain: templates, flash messages, redirects, htmx fragments."""

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, TypeVar

from fastapi import HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from itsdangerous import BadSignature, URLSafeSerializer
from jinja2_fragments.fastapi import Jinja2Blocks
from sqlmodel import Session

from liaison import clock, money, pii
from liaison.auth.models import User
from liaison.auth.policy import Action, can
from liaison.auth.roles import ADMIN_ROLES, PII_REVEAL_ROLES, ROLE_LABELS, Role
from liaison.config import get_settings
from liaison.forms import Filled
from liaison.org.models import Officer

ROOT = Path(__file__).resolve().parent.parent
templates = Jinja2Blocks(directory=str(ROOT / "templates"))
M = TypeVar("M")


def _local_datetime(value: Any, fmt: str = "%Y-%m-%d %H:%M") -> str:
    return clock.local(value).strftime(fmt) if value else ""


templates.env.filters.update(
    local_dt=_local_datetime,
    duration=clock.duration_label,
    mask_phone=pii.mask_phone,
    mask_id=pii.mask_id,
    mask_numbers=pii.mask_numbers,
    role_label=lambda role: ROLE_LABELS.get(Role(role), role) if role else "",
    yuan=money.yuan,
    wan=money.wan,
    percent=lambda rate: "—" if rate is None else f"{rate * 100:.1f}%",
    zip=lambda left, right: list(zip(left, right, strict=True)),
)
templates.env.globals["ROLE_OPTIONS"] = [(r.value, r.label) for r in Role]
# What the web may give an account: never one of the three administrators (liaison/auth/roles.py).
templates.env.globals["ACCOUNT_ROLE_OPTIONS"] = [
    (r.value, r.label) for r in Role if r not in ADMIN_ROLES
]
templates.env.globals["PII_REVEAL_ROLES"] = PII_REVEAL_ROLES  # components/pii.html


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(get_settings().secret_key, salt="flash")


def is_htmx_fragment(request: Request) -> bool:
    """A partial is rendered only for htmx requests that are not boosted whole-page loads."""
    return (
        request.headers.get("hx-request") == "true" and request.headers.get("hx-boosted") != "true"
    )


def nav_items(role: Role | None) -> list[tuple[str, str]]:
    """The navigation of each role: (path, label)."""
    if role is None:
        return []
    if role == Role.ADMIN:
        return [
            ("/admin/stations", "单位管理"),
            ("/admin/officers", "民警名录"),
            ("/admin/service-levels", "办理时限"),
            ("/projects", "重点项目"),
            ("/enterprises", "企业"),
            ("/coverage", "覆盖率"),
            ("/ledger", "台账导入"),
            ("/admin/deliveries", "消息投递"),
            ("/admin/robots", "值班群机器人"),
            ("/admin/policy", "权限策略"),
        ]
    if role == Role.SECURITY:
        return [("/admin/users", "用户管理"), ("/admin/policy", "权限策略")]
    if role == Role.AUDITOR:
        return [("/audit", "审计日志"), ("/admin/policy", "权限策略")]
    if role == Role.ENTERPRISE:
        return [("/home", "我的企业"), ("/requests", "我的诉求")]
    staff = [
        ("/home", "工作台"),
        *([("/dashboard", "营商环境指标")] if role in (Role.LEADER, Role.CHIEF) else []),
        ("/requests", "接诉即办"),
        ("/projects", "重点项目"),
        ("/enterprises", "企业"),
        ("/hazards", "隐患"),
        ("/areas", "复杂区域"),
        ("/disputes", "纠纷"),
        ("/recoveries", "挽回损失"),
        ("/coverage", "覆盖率"),
        ("/officers", "民警工作量"),
    ]
    return [*staff, ("/ledger", "台账")] if role == Role.LEADER else staff


def render(
    request: Request,
    name: str,
    context: dict[str, Any] | None = None,
    *,
    status_code: int = 200,
    block: str | None = None,
) -> Response:
    """Render a page, or only `block` of it for an htmx request."""
    principal = getattr(request.state, "principal", None)
    flashes = _read_flashes(request)
    settings = get_settings()
    ctx = {
        "request": request,
        # Who this deployment is, as the public's notices and the printed documents name it.
        "bureau_name": settings.bureau_name,
        "bureau_phone": settings.bureau_phone,
        "idle_minutes": settings.session_idle_minutes,
        "principal": principal,
        "user": principal.user if principal else None,
        "nav": nav_items(principal.role if principal else None),
        "bell": principal is not None
        and getattr(request.state, "through_gates", False)
        and can(principal, Action.NOTIFICATIONS_READ),
        "csrf_token": getattr(request.state, "csrf_token", ""),
        "flashes": flashes,
        **(context or {}),
    }
    if block and is_htmx_fragment(request):
        response = templates.TemplateResponse(
            request, name, ctx, status_code=status_code, block_name=block
        )
    else:
        response = templates.TemplateResponse(request, name, ctx, status_code=status_code)
    if flashes:
        clear_cookie(response, settings.flash_cookie)
    return response


def filter_params(request: Request) -> dict[str, str]:
    """The list's filters from the query string, for pagination links (page itself dropped)."""
    return {k: v for k, v in request.query_params.items() if k != "page" and v}


def render_list(request: Request, name: str, context: dict[str, Any]) -> Response:
    """A list page: its filters as `params` for the pagination links (unless `context` has its
    own), and only its `results` block for htmx, which the active search swaps in."""
    return render(request, name, {"params": filter_params(request), **context}, block="results")


def render_with_errors(
    request: Request, name: str, context: dict[str, Any], errors: dict[str, str] | None
) -> Response:
    """A page holding a form: `errors` beside their fields (None: no errors), 422 if any."""
    return render(
        request, name, {**context, "errors": errors or {}}, status_code=422 if errors else 200
    )


class Named(Protocol):
    """A row a form page edits: its id makes the URL, its name the title."""

    id: int | None
    name: str


@dataclass(frozen=True)
class FormPage:
    """The create/edit page of one kind of row (templates/generic/form.html): a new row's form
    posts to `path` and an existing row's to `path/<id>`, which is also where Cancel leads back
    to unless `back` names the list."""

    path: str
    new_title: str
    edit_title: str  # followed by the row's name
    back: str | None = None
    fields: list[dict[str, Any]] = field(default_factory=list)

    def render(
        self,
        request: Request,
        row: Named | None,
        form: Filled,
        *,
        fields: list[dict[str, Any]] | None = None,
        links: list[tuple[str, str]] | None = None,
    ) -> Response:
        """The page for `row` (None: a new one), its fields from specs; 422 with errors."""
        action = f"{self.path}/{row.id}" if row else self.path
        return render_with_errors(
            request,
            "generic/form.html",
            {
                "title": f"{self.edit_title} {row.name}" if row else self.new_title,
                "action": action,
                "back": self.back or action,
                "fields": self.fields if fields is None else fields,
                "values": form.values,
                "links": links or [],
            },
            form.errors,
        )


def get_or_404(session: Session, model: type[M], object_id: int) -> M:
    """The row a page is about; a 404 page when there is none. (Rows a login may see only
    some of go through liaison.scope.get_visible instead.)"""
    row = session.get(model, object_id)
    if row is None:
        raise HTTPException(status_code=404)
    return row


def own_officer(session: Session, user: User, refusal: str | None = None) -> Officer:
    """The officer the login is, who the work is booked under; 403 (`refusal` says why) for a
    login that is no officer."""
    officer = session.get(Officer, user.officer_id or 0)
    if officer is None:
        raise HTTPException(status_code=403, detail=refusal)
    return officer


def _read_flashes(request: Request) -> list[dict[str, str]]:
    raw = request.cookies.get(get_settings().flash_cookie)
    if not raw:
        return []
    try:
        data = _serializer().loads(raw)
    except BadSignature:
        return []
    return data if isinstance(data, list) else []


def clear_cookie(response: Response, name: str) -> None:
    """Clear one of the app's cookies with the attributes it was set with: a browser ignores a
    clearing Set-Cookie for a __Host- cookie that lacks Secure."""
    response.delete_cookie(
        name, path="/", secure=get_settings().is_production, httponly=True, samesite="lax"
    )


def flash(response: Response, message: str, kind: str = "success") -> Response:
    settings = get_settings()
    response.set_cookie(
        settings.flash_cookie,
        _serializer().dumps([{"kind": kind, "message": message}]),
        httponly=True,
        samesite="lax",
        secure=settings.is_production,
        path="/",
    )
    return response


def redirect(
    request: Request, url: str, message: str | None = None, kind: str = "success"
) -> Response:
    """After a successful POST: 303 to `url`, or HX-Redirect for htmx, with a flash message."""
    if request.headers.get("hx-request") == "true":
        response: Response = Response(status_code=204, headers={"HX-Redirect": url})
    else:
        response = RedirectResponse(url, status_code=303)
    if message:
        flash(response, message, kind)
    return response


def htmx_headers_json(csrf_token: str) -> str:
    return json.dumps({"X-CSRF-Token": csrf_token})


templates.env.filters["htmx_headers"] = htmx_headers_json
