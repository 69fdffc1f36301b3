"""`liaison user …`: what the web refuses to do to the three administrators' accounts (and may
do to any other), done on the server. Each change is audited as "cli", for the auditor to read.
Accounts are made with `liaison create-user`."""

from collections.abc import Callable
from typing import Annotated

import typer
from sqlmodel import Session

from liaison.audit.service import record_event
from liaison.auth import second_factor
from liaison.auth import service as auth_service
from liaison.auth.models import User
from liaison.auth.roles import Role
from liaison.commands import cli_session, fail

user_app = typer.Typer(
    help="账号：重置密码、重置双因素、停用启用、解锁、结束登录、改角色", no_args_is_help=True
)


def _user(session: Session, username: str) -> User:
    user = auth_service.get_by_username(session, username)
    if user is None:
        fail(f"用户 {username} 不存在")
    return user


def _on(username: str, step: Callable[[Session, User], str | None], done: str) -> None:
    """Take `step` on USERNAME's account in one audited transaction, and say it was done (with
    what the step has to tell once, such as a temporary password)."""
    with cli_session() as session:
        told = step(session, _user(session, username))
        session.commit()
    typer.echo(done + (told or ""))


def _reset_second_factor(session: Session, user: User) -> None:
    second_factor.reset(session, user)
    auth_service.end_sessions(session, user)  # and its API tokens: a lost phone may be a taken one


def _event(
    action: str, apply: Callable[[Session, User], object]
) -> Callable[[Session, User], None]:
    """`apply`, written in the audit log as the security event `action` (it changes no row)."""

    def step(session: Session, user: User) -> None:
        apply(session, user)
        record_event(session, action, object_type="User", object_id=user.id)

    return step


@user_app.command("reset-password")
def reset_password(username: str) -> None:
    """Give USERNAME a one-time password (printed once), to be changed at the next login;
    every session and API token of the account ends."""
    _on(
        username,
        auth_service.reset_password,
        f"已重置 {username} 的密码。临时密码（仅显示这一次）：",
    )


@user_app.command("reset-second-factor")
def reset_second_factor(username: str) -> None:
    """Unbind USERNAME's authenticator (a lost phone): it enrols again at the next login."""
    _on(username, _reset_second_factor, f"已重置 {username} 的双因素认证，下次登录须重新绑定")


@user_app.command("set-active")
def set_active(
    username: str,
    active: Annotated[bool, typer.Option("--on/--off", help="启用或停用")],
) -> None:
    """Enable or disable USERNAME; disabling ends its sessions and API tokens at once."""
    _on(
        username,
        lambda session, user: auth_service.set_active(session, user, active),
        f"已{'启用' if active else '停用'} {username}",
    )


@user_app.command("unlock")
def unlock(username: str) -> None:
    """Lift the lock that failed logins or codes put on USERNAME."""
    step = _event("unlock", lambda session, user: auth_service.unlock(session, user.username))
    _on(username, step, f"已解除 {username} 的锁定")


@user_app.command("end-sessions")
def end_sessions(username: str) -> None:
    """End every login and API token of USERNAME."""
    _on(
        username, _event("end_sessions", auth_service.end_sessions), f"已结束 {username} 的全部登录"
    )


@user_app.command("role")
def change_role(
    username: str,
    role: Annotated[Role, typer.Argument(help="新角色")],
    badge: Annotated[str | None, typer.Option(help="警号（项目警官、所长）")] = None,
    enterprise: Annotated[
        str | None, typer.Option(help="企业统一社会信用代码（企业联系人）")
    ] = None,
) -> None:
    """Give USERNAME another role. One of the three administrators never changes role, and no
    account becomes one: make a new account (the rule is the service's, for web and CLI)."""
    with cli_session() as session:
        user = _user(session, username)
        try:
            auth_service.update_user(
                session,
                user,
                display_name=user.display_name,
                role=role,
                badge_no=badge,
                enterprise_uscc=enterprise,
            )
            session.commit()
        except auth_service.AccountError as exc:
            fail(str(exc))
    typer.echo(f"已将 {username} 的角色改为{role.label}")
