"""The `liaison` command: serve, init, create-user, token, demo."""

import sys
from typing import Annotated

import typer
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session, select

from liaison import models  # noqa: F401
from liaison.audit.service import set_actor
from liaison.auth import service as auth_service
from liaison.auth.roles import Role
from liaison.config import get_settings
from liaison.db import get_engine, upgrade
from liaison.org import service as org_service

app = typer.Typer(
    help="Liaison 项目警官：重点项目警务联络系统", no_args_is_help=True, add_completion=False
)
token_app = typer.Typer(help="API 令牌", no_args_is_help=True)
app.add_typer(token_app, name="token")


def fail(message: str) -> None:
    typer.echo(f"错误：{message}", err=True)
    raise typer.Exit(code=1)


def cli_session() -> Session:
    session = Session(get_engine(), expire_on_commit=False)
    set_actor(session, user_id=None, name="cli")
    return session


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="监听地址")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="端口")] = 8000,
    workers: Annotated[int, typer.Option(help="工作进程数")] = 1,
) -> None:
    """Start the web app."""
    import uvicorn

    get_settings()  # refuses an insecure production configuration before binding
    uvicorn.run(
        "liaison.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        server_header=False,
        proxy_headers=False,
    )


@app.command()
def init() -> None:
    """Create the database or upgrade it to the latest schema."""
    try:
        upgrade()
    except SQLAlchemyError as exc:
        fail(f"数据库迁移失败：{exc}")
    typer.echo("数据库已是最新结构")


def _read_password() -> str:
    if sys.stdin.isatty():
        return typer.prompt("密码", hide_input=True, confirmation_prompt=True)
    return sys.stdin.readline().rstrip("\n")


@app.command("create-user")
def create_user(
    username: str,
    role: Annotated[Role, typer.Option(help="角色")],
    name: Annotated[str, typer.Option(help="显示名（民警为姓名）")] = "",
    station: Annotated[str | None, typer.Option(help="单位编码（新建民警记录时必填）")] = None,
    badge: Annotated[str | None, typer.Option(help="警号（项目警官、所长必填）")] = None,
    enterprise: Annotated[
        str | None, typer.Option(help="企业统一社会信用代码（企业联系人必填）")
    ] = None,
) -> None:
    """Create a login; the password is read from standard input when it is not a terminal.
    The user must change it at first login."""
    password = _read_password()
    settings = get_settings()
    with cli_session() as session:
        try:
            if badge and org_service.officer_by_badge(session, badge) is None:
                if not (station and name):
                    fail(f"警号 {badge} 不存在；新建民警记录需要 --station 和 --name")
                officer = org_service.Officer(badge_no=badge, name=name, station_id=0)
                org_service.save_officer(
                    session,
                    officer,
                    badge_no=badge,
                    name=name,
                    phone=None,
                    station_code=station or "",
                )
            user = auth_service.create_user(
                session,
                settings,
                username=username,
                password=password,
                role=role,
                display_name=name,
                badge_no=badge,
                enterprise_uscc=enterprise,
            )
            session.commit()
        except (auth_service.AccountError, org_service.OrgError) as exc:
            fail(str(exc))
    typer.echo(f"已创建用户 {user.username}（{role.label}），首次登录须修改密码")


@token_app.command("create")
def token_create(username: str, name: Annotated[str, typer.Option(help="令牌用途")] = "") -> None:
    """Create an API token for USERNAME and print it once."""
    with cli_session() as session:
        user = auth_service.get_by_username(session, username)
        if user is None or not user.active:
            fail(f"用户 {username} 不存在或已停用")
            return
        token = auth_service.create_api_token(session, user, name)
        session.commit()
    typer.echo(token)


@app.command()
def demo(
    if_empty: Annotated[bool, typer.Option("--if-empty", help="数据库已有用户时不加载")] = False,
) -> None:
    """Load the demo district (development only) and print its logins."""
    from liaison import demo as demo_data

    settings = get_settings()
    if settings.is_production:
        fail("生产环境不能加载演示数据")
    with cli_session() as session:
        has_users = session.exec(select(auth_service.User).limit(1)).first() is not None
        if has_users and not if_empty:
            fail("数据库中已有数据；演示数据只能加载到空数据库")
        if not has_users:
            demo_data.load(session, settings)
            session.commit()
            typer.echo("演示数据已加载")
        elif not demo_data.is_loaded(session):
            typer.echo("数据库中已有数据，未加载演示数据")
            return
    typer.echo(demo_data.logins_text())


if __name__ == "__main__":
    app()
