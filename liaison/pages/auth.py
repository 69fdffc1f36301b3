"""Login, logout, the password page, and the security administrator's user pages."""

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, HTTPException, Query, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, Field

from liaison.audit.service import record_event
from liaison.auth import service
from liaison.auth.deps import (
    PASSWORD_PAGE,
    LoginRequired,
    PasswordChangeRequired,
    Principal,
    SettingsDep,
    _principal,
    client_ip,
    public,
    require_login,
)
from liaison.auth.models import ApiToken, User
from liaison.auth.passwords import policy_hint
from liaison.auth.policy import Action, OnAccount, can, require_action
from liaison.auth.queries import UserFilter, users_matching
from liaison.auth.roles import Role, home_path
from liaison.clock import now
from liaison.config import Settings
from liaison.db import SessionDep
from liaison.enterprises.models import Enterprise
from liaison.forms import Filled, PostedForm, refusals, validate
from liaison.org.models import Officer
from liaison.pages.lists import ListingDep
from liaison.web import clear_cookie, get_or_404, redirect, render, render_with_errors

router = APIRouter()
# The user pages are the security administrator's; what he may change is ACCOUNT_MANAGE's rule.
AccountsDep = Annotated[Principal, Depends(require_action(Action.ACCOUNT_MANAGE))]
CLI_ONLY = "三员账号只能在服务器上用 liaison 命令办理"


def safe_next(target: str | None) -> str | None:
    """Only local paths: never an open redirect to another site."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return None


@router.get("/", dependencies=[Depends(public)])
def index(request: Request, session: SessionDep, settings: SettingsDep) -> Response:
    try:
        principal = _principal(request, session, settings)
    except LoginRequired:
        return RedirectResponse("/login", status_code=303)
    except PasswordChangeRequired:
        return RedirectResponse(PASSWORD_PAGE, status_code=303)
    return RedirectResponse(home_path(principal.user.role), status_code=303)


@router.get("/healthz", dependencies=[Depends(public)])
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/login", dependencies=[Depends(public)])
def login_page(request: Request, next: str | None = None) -> Response:
    return render(request, "auth/login.html", {"next": safe_next(next) or ""})


@router.post("/login", dependencies=[Depends(public)])
def login(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    username: Annotated[str, Form(max_length=64)] = "",
    password: Annotated[str, Form(max_length=1024)] = "",
    next: Annotated[str, Form(max_length=512)] = "",
) -> Response:
    result = service.login(
        session, settings, username=username, password=password, client_ip=client_ip(request)
    )
    session.commit()
    if result.user is None or result.token is None:
        return render(
            request,
            "auth/login.html",
            {"error": service.LOGIN_FAILED, "username": username, "next": safe_next(next) or ""},
            status_code=401,
        )
    target = safe_next(next) or home_path(result.user.role)
    if service.must_change_password(result.user, settings):
        target = PASSWORD_PAGE
    if result.second_factor_page:
        target = result.second_factor_page + (f"?next={quote(next)}" if safe_next(next) else "")
    response = RedirectResponse(target, status_code=303)
    set_session_cookie(response, settings, result.token)
    return response


def set_session_cookie(response: Response, settings: Settings, token: str) -> None:
    response.set_cookie(
        settings.session_cookie,
        token,
        httponly=True,
        samesite="lax",
        secure=settings.is_production,
        path="/",
    )


@router.post("/logout")
def logout(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    principal: Annotated[Principal, Depends(require_login)],
) -> Response:
    if principal.user_session is not None:
        service.logout(session, principal.user_session)
        session.commit()
    response = redirect(request, "/login", "已安全退出")
    clear_cookie(response, settings.session_cookie)
    return response


@router.get("/account/keepalive")
def keepalive(_principal: Annotated[Principal, Depends(require_login)]) -> Response:
    """The session goes on (any signed-in request renews it): what the warning a page shows
    before its session would lapse calls when the person says they are still there."""
    return Response("已续期", media_type="text/plain; charset=utf-8")


@router.get("/account/tokens")
def token_page(
    request: Request, session: SessionDep, principal: Annotated[Principal, Depends(require_login)]
) -> Response:
    """The login's own API tokens: what each is for, when made, last used and expiring, and a
    button to revoke it. Tokens are made on the server (`liaison token create`)."""
    tokens = [t for t, _ in service.api_tokens(session, principal.user)]
    return render(request, "auth/tokens.html", {"tokens": tokens, "now": now()})


@router.post("/account/tokens/{token_id}/revoke")
def token_revoke(
    request: Request,
    session: SessionDep,
    principal: Annotated[Principal, Depends(require_login)],
    token_id: int,
) -> Response:
    token = session.get(ApiToken, token_id)
    if token is None or token.user_id != principal.user.id:
        raise HTTPException(status_code=404)  # another's token is not there for this login
    service.revoke_api_token(session, token)
    session.commit()
    return redirect(request, "/account/tokens", f"已吊销令牌 {token.name or token.id}")


@router.get("/account/password")
def password_page(
    request: Request, settings: SettingsDep, principal: Annotated[Principal, Depends(require_login)]
) -> Response:
    return render(
        request,
        "auth/password.html",
        {
            "hint": policy_hint(settings),
            "forced": service.must_change_password(principal.user, settings),
        },
    )


class PasswordForm(BaseModel):
    current_password: str = Field(min_length=1, max_length=1024)
    new_password: str = Field(min_length=1, max_length=1024)
    confirm_password: str = Field(min_length=1, max_length=1024)


@router.post("/account/password")
def change_password(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    principal: Annotated[Principal, Depends(require_login)],
    posted: PostedForm,
) -> Response:
    form, errors = validate(PasswordForm, posted)
    if form and form.new_password != form.confirm_password:
        errors["confirm_password"] = "两次输入的新密码不一致"  # noqa: S105
    if form and not errors:
        with refusals(session, errors, "new_password", service.AccountError):
            service.change_password(
                session,
                settings,
                principal.user,
                current=form.current_password,
                new=form.new_password,
                keep_session_id=principal.user_session.id if principal.user_session else None,
            )
            session.commit()
            return redirect(
                request, home_path(principal.user.role), "密码已修改，其他设备上的登录已退出"
            )
    return render(
        request,
        "auth/password.html",
        {
            "errors": errors,
            "hint": policy_hint(settings),
            "forced": service.must_change_password(principal.user, settings),
        },
        status_code=422,
    )


# ---- admin: users ----------------------------------------------------------------------


@router.get("/admin/users")
def user_list(
    listing: ListingDep, _manager: AccountsDep, filters: Annotated[UserFilter, Query()]
) -> Response:
    users = listing.rows(users_matching(filters))
    locked = service.locked_usernames(listing.session, [u.username for u in users.items])
    return listing.render(
        "admin/users/list.html",
        {
            "users": users,
            "q": filters.q,
            "role": filters.role,
            "active": filters.active,
            "roles": list(Role),
            "locked": locked,
        },
    )


class UserForm(BaseModel):
    username: str = Field(default="", max_length=64, pattern=r"^[A-Za-z0-9_.\-]*$")
    display_name: str = Field(min_length=1, max_length=64)
    role: Role
    badge_no: str = Field(default="", max_length=32)
    enterprise_uscc: str = Field(default="", max_length=18)
    password: str = Field(default="", max_length=1024)


def _form_context(session: SessionDep, **extra: object) -> dict[str, object]:
    return {"roles": list(Role), **extra}


@router.get("/admin/users/new")
def user_new(
    request: Request, session: SessionDep, settings: SettingsDep, _manager: AccountsDep
) -> Response:
    return render(
        request,
        "admin/users/form.html",
        _form_context(session, values={}, errors={}, hint=policy_hint(settings)),
    )


@router.post("/admin/users")
def user_create(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    manager: AccountsDep,
    raw: PostedForm,
) -> Response:
    form, errors = validate(UserForm, raw)
    if form and not form.username:
        errors["username"] = "此项必填"
    if form and not can(manager, Action.ACCOUNT_MANAGE, OnAccount(form.role)):
        errors["role"] = CLI_ONLY
    if form and not errors:
        with refusals(session, errors, "username", service.AccountError):
            user = service.create_user(
                session,
                settings,
                username=form.username,
                password=form.password,
                role=form.role,
                display_name=form.display_name,
                badge_no=form.badge_no or None,
                enterprise_uscc=form.enterprise_uscc.upper() or None,
            )
            session.commit()
            return redirect(
                request,
                f"/admin/users/{user.id}",
                f"已创建用户 {user.username}，首次登录须修改密码",
            )
    values = {k: v for k, v in raw.items() if k not in ("password", "csrf_token")}
    return render(
        request,
        "admin/users/form.html",
        _form_context(session, values=values, errors=errors, hint=policy_hint(settings)),
        status_code=422,
    )


def user_or_404(session: SessionDep, user_id: int) -> User:
    return get_or_404(session, User, user_id)


def managed_user(session: SessionDep, manager: Principal, user_id: int) -> User:
    """The account to change, if this manager may change it from the web (else 403)."""
    user = user_or_404(session, user_id)
    if not can(manager, Action.ACCOUNT_MANAGE, OnAccount(user.role)):
        raise HTTPException(status_code=403, detail=CLI_ONLY)
    return user


def _user_detail(
    request: Request,
    session: SessionDep,
    manager: Principal,
    user: User,
    *,
    form: Filled | None = None,
    temporary_password: str | None = None,
) -> Response:
    officer = session.get(Officer, user.officer_id) if user.officer_id else None
    enterprise = session.get(Enterprise, user.enterprise_id) if user.enterprise_id else None
    if form is None:
        values = {
            "display_name": user.display_name,
            "role": user.role,
            "badge_no": officer.badge_no if officer else "",
            "enterprise_uscc": enterprise.uscc if enterprise else "",
        }
        form = Filled(values)
    return render_with_errors(
        request,
        "admin/users/detail.html",
        {
            "subject": user,
            "officer": officer,
            "enterprise": enterprise,
            "locked": service.is_locked(session, user.username),
            "manageable": can(manager, Action.ACCOUNT_MANAGE, OnAccount(user.role)),
            "values": form.values,
            "temporary_password": temporary_password,
        },
        form.errors,
    )


@router.get("/admin/users/{user_id}")
def user_detail(
    request: Request, session: SessionDep, manager: AccountsDep, user_id: int
) -> Response:
    return _user_detail(request, session, manager, user_or_404(session, user_id))


class UserEditForm(BaseModel):
    display_name: str = Field(min_length=1, max_length=64)
    role: Role
    badge_no: str = Field(default="", max_length=32)
    enterprise_uscc: str = Field(default="", max_length=18)


@router.post("/admin/users/{user_id}")
def user_update(
    request: Request, session: SessionDep, manager: AccountsDep, user_id: int, raw: PostedForm
) -> Response:
    user = managed_user(session, manager, user_id)
    form, errors = validate(UserEditForm, raw)
    if form and not can(manager, Action.ACCOUNT_MANAGE, OnAccount(form.role)):
        errors["role"] = CLI_ONLY
    if form and not errors:
        with refusals(session, errors, "role", service.AccountError):
            service.update_user(
                session,
                user,
                display_name=form.display_name,
                role=form.role,
                badge_no=form.badge_no or None,
                enterprise_uscc=form.enterprise_uscc.upper() or None,
            )
            session.commit()
            return redirect(request, f"/admin/users/{user.id}", f"已更新账号 {user.username}")
    values: dict[str, object] = {k: v for k, v in raw.items() if k != "csrf_token"}
    return _user_detail(request, session, manager, user, form=Filled(values, errors))


@router.post("/admin/users/{user_id}/active")
def user_set_active(
    request: Request,
    session: SessionDep,
    manager: AccountsDep,
    user_id: int,
    active: Annotated[bool, Form()],
) -> Response:
    user = managed_user(session, manager, user_id)
    service.set_active(session, user, active)
    session.commit()
    message = "已启用" if active else "已停用，该用户的登录和令牌已全部失效"
    return redirect(request, f"/admin/users/{user.id}", message)


@router.post("/admin/users/{user_id}/reset-password")
def user_reset_password(
    request: Request, session: SessionDep, manager: AccountsDep, user_id: int
) -> Response:
    user = managed_user(session, manager, user_id)
    temporary = service.reset_password(session, user)
    session.commit()
    return _user_detail(request, session, manager, user, temporary_password=temporary)


@router.post("/admin/users/{user_id}/unlock")
def user_unlock(
    request: Request, session: SessionDep, manager: AccountsDep, user_id: int
) -> Response:
    user = managed_user(session, manager, user_id)
    service.unlock(session, user.username)
    record_event(session, "unlock", object_type="User", object_id=user.id)
    session.commit()
    return redirect(request, f"/admin/users/{user.id}", "已解除锁定")


@router.post("/admin/users/{user_id}/end-sessions")
def user_end_sessions(
    request: Request, session: SessionDep, manager: AccountsDep, user_id: int
) -> Response:
    user = managed_user(session, manager, user_id)
    service.end_sessions(session, user)
    record_event(session, "end_sessions", object_type="User", object_id=user.id)
    session.commit()
    return redirect(request, f"/admin/users/{user.id}", "该用户的所有登录已结束")
