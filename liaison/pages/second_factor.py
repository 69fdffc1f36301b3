"""The second factor's pages: the code asked after the password, enrolment with a QR code
shown once, recovery codes, and the admin's reset for a lost phone."""

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from liaison.audit.service import record_event
from liaison.auth import second_factor, service
from liaison.auth.deps import Principal, SettingsDep, client_ip, require_login
from liaison.auth.roles import home_path
from liaison.db import SessionDep
from liaison.pages.auth import AccountsDep, managed_user, safe_next, set_session_cookie
from liaison.web import redirect, render

router = APIRouter()
LoginDep = Annotated[Principal, Depends(require_login)]
CodeField = Annotated[str, Form(max_length=32)]
WRONG_CODE = "验证码不正确或已使用，请输入身份验证器上的 6 位数字，或一个未用过的恢复码"


def _after_login(principal: Principal, settings: SettingsDep, next: str | None) -> str:
    if service.must_change_password(principal.user, settings):
        return "/account/password"
    return safe_next(next) or home_path(principal.user.role)


@router.get(second_factor.CODE_PAGE)
def code_page(request: Request, principal: LoginDep, next: str | None = None) -> Response:
    if not (principal.user_session and principal.user_session.second_factor_pending):
        return RedirectResponse("/", status_code=303)
    return render(request, "auth/code.html", {"next": safe_next(next) or ""})


@router.post(second_factor.CODE_PAGE)
def code_submit(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    principal: LoginDep,
    code: CodeField = "",
    next: Annotated[str, Form(max_length=512)] = "",
) -> Response:
    pending = principal.user_session
    if pending is None or not pending.second_factor_pending:
        return RedirectResponse("/", status_code=303)
    token = service.second_factor_login(
        session, settings, pending, principal.user, code, client_ip(request)
    )
    session.commit()
    if token is None:
        if service.locked_until(session, principal.user.username, client_ip(request)):
            return redirect(request, "/login", service.LOGIN_FAILED, "error")
        return render(
            request,
            "auth/code.html",
            {"errors": {"code": WRONG_CODE}, "next": safe_next(next) or ""},
            status_code=401,
        )
    response = RedirectResponse(_after_login(principal, settings, next), status_code=303)
    set_session_cookie(response, settings, token)
    return response


@router.get(second_factor.ENROL_PAGE)
def status_page(request: Request, session: SessionDep, principal: LoginDep) -> Response:
    user = principal.user
    return render(
        request,
        "auth/two_factor.html",
        {
            "enrolled": second_factor.enrolled(user),
            "since": user.totp_confirmed_at,
            "codes_left": second_factor.recovery_codes_left(session, user),
            "forced": bool(principal.user_session and principal.user_session.second_factor_pending),
        },
    )


@router.post(second_factor.ENROL_PAGE + "/start")
def enrol_start(request: Request, session: SessionDep, principal: LoginDep) -> Response:
    """A new secret and its QR code, shown in this response only. An enrolled user cannot
    start over (a stolen session must not swap the phone): an admin resets instead."""
    user = principal.user
    if second_factor.enrolled(user):
        return redirect(request, second_factor.ENROL_PAGE, "已绑定身份验证器", "error")
    secret = second_factor.start_enrolment(session, user)
    session.commit()
    return render(
        request,
        "auth/two_factor_enrol.html",
        {"qr": second_factor.provisioning_qr(user), "secret": secret, "errors": {}},
    )


@router.post(second_factor.ENROL_PAGE + "/confirm")
def enrol_confirm(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    principal: LoginDep,
    code: CodeField = "",
) -> Response:
    user = principal.user
    if second_factor.enrolled(user):
        return redirect(request, second_factor.ENROL_PAGE, "已绑定身份验证器", "error")
    codes = second_factor.confirm_enrolment(session, user, code)
    if codes is None:
        session.commit()
        return render(
            request,
            "auth/two_factor_enrol.html",
            {"qr": None, "secret": None, "errors": {"code": WRONG_CODE}},
            status_code=422,
        )
    token = None
    if principal.user_session is not None and principal.user_session.second_factor_pending:
        token = service.promote(session, principal.user_session, user)
    session.commit()
    response = render(
        request,
        "auth/recovery_codes.html",
        {"codes": codes, "next": _after_login(principal, settings, None), "enrolled_now": True},
    )
    if token is not None:
        set_session_cookie(response, settings, token)
    return response


@router.post(second_factor.ENROL_PAGE + "/recovery-codes")
def new_recovery_codes(
    request: Request, session: SessionDep, principal: LoginDep, code: CodeField = ""
) -> Response:
    """Ten new codes in place of the old, on a current code from the app."""
    user = principal.user
    if not second_factor.verify(session, user, code):
        session.commit()
        return redirect(request, second_factor.ENROL_PAGE, WRONG_CODE, "error")
    codes = second_factor.issue_recovery_codes(session, user)
    record_event(session, "recovery_codes_issued", object_type="User", object_id=user.id)
    session.commit()
    return render(
        request,
        "auth/recovery_codes.html",
        {"codes": codes, "next": second_factor.ENROL_PAGE, "enrolled_now": False},
    )


@router.post("/admin/users/{user_id}/second-factor/reset")
def admin_reset(
    request: Request, session: SessionDep, manager: AccountsDep, user_id: int
) -> Response:
    user = managed_user(session, manager, user_id)
    second_factor.reset(session, user)
    service.end_sessions(session, user)  # and its API tokens: a lost phone may be a taken one
    session.commit()
    return redirect(
        request, f"/admin/users/{user.id}", "已重置双因素认证，该用户下次登录时须重新绑定"
    )
