"""The `liaison` command: serve, init, create-user, token, demo."""

import sys
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import select

from liaison import backup, checks, clock, db_roles, jobs, models  # noqa: F401
from liaison.audit.service import record_event
from liaison.auth import service as auth_service
from liaison.auth.models import ApiToken
from liaison.auth.roles import Role
from liaison.commands import cli_session, fail
from liaison.commands.audit import audit_app
from liaison.commands.users import user_app
from liaison.config import Settings, get_settings
from liaison.db import database_problems, upgrade
from liaison.desk import retention
from liaison.fields import label
from liaison.forms import validate
from liaison.org import service as org_service
from liaison.org.schemas import OfficerIn
from liaison.wiring import wire

app = typer.Typer(
    help="Liaison 项目警官：重点项目警务联络系统", no_args_is_help=True, add_completion=False
)
token_app = typer.Typer(help="API 令牌", no_args_is_help=True)
app.add_typer(token_app, name="token")
app.add_typer(audit_app, name="audit")
app.add_typer(user_app, name="user")
app.command("backup")(backup.backup_command)
app.command("restore")(backup.restore_command)
app.command("retention")(retention.command)


@app.callback()
def _wired() -> None:
    """Every command runs with every domain's guards and registries in place."""
    wire()


class _AsConfigured(Settings):
    """The settings as configured, read without the production refusal, so that the command
    lists every problem instead of stopping at the refusal."""

    refuses_insecure_production = False


@app.command()
def check() -> None:
    """Check the configuration for production: each problem and what to change; exit 1 on an
    error (production refuses to start with it), 0 with warnings only."""
    settings = _AsConfigured()
    problems = (
        checks.settings_problems(settings)
        + database_problems(settings)
        + db_roles.role_problems(settings)
    )
    for problem in sorted(problems, key=lambda p: not p.error):
        typer.echo(f"{'错误' if problem.error else '提醒'}  {problem}")
    errors = sum(p.error for p in problems)
    warnings = len(problems) - errors
    if errors:
        typer.echo(f"共 {errors} 处错误、{warnings} 条提醒：生产环境将拒绝以此配置启动", err=True)
        raise typer.Exit(code=1)
    typer.echo("检查通过" + (f"（{warnings} 条提醒）" if warnings else ""))


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="监听地址")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="端口")] = 8000,
    workers: Annotated[int, typer.Option(help="工作进程数")] = 1,
) -> None:
    """Start the web app."""
    import uvicorn

    try:
        get_settings()  # refuses an insecure production configuration before binding
    except ValidationError as exc:
        fail("；".join(str(e["msg"]).removeprefix("Value error, ") for e in exc.errors()))
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
def worker(
    workers: Annotated[int, typer.Option(min=1, help="同时执行的任务数")] = 2,
) -> None:
    """Run the job engine: notifications' sending, reminders, digests (LIAISON_JOBS_URL)."""
    jobs.run_worker(workers)


@app.command()
def init(
    roles_sql: Annotated[
        bool, typer.Option("--roles-sql", help="只打印建立表所有者和应用两个账号的 SQL，不迁移")
    ] = False,
    admin_url: Annotated[
        str,
        typer.Option(
            "--admin-url", help="先以此超级用户连接建立两个账号（密码取自两个连接串），再迁移"
        ),
    ] = "",
) -> None:
    """Create the database or upgrade it to the latest schema, as the tables' owner
    (LIAISON_DATABASE_OWNER_URL, else LIAISON_DATABASE_URL); the app's role is then granted
    row access only (liaison/db_roles.py)."""
    settings = get_settings()
    try:
        if roles_sql:
            typer.echo(db_roles.roles_script(settings))
            return
        if admin_url:
            db_roles.create_roles(settings, admin_url)
        upgrade()
    except ValueError as exc:
        fail(str(exc))
    except SQLAlchemyError as exc:
        fail(f"数据库迁移失败：{exc}")
    typer.echo("数据库已是最新结构")
    role = db_roles.app_role(settings)
    if role:
        typer.echo(f"应用账号 {role} 只能读写数据，审计日志只可追加")


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
                record, errors = validate(
                    OfficerIn, {"badge_no": badge, "name": name, "station_code": station or ""}
                )
                if record is None:
                    fail("；".join(f"{label(OfficerIn, k)}：{v}" for k, v in errors.items()))
                org_service.save_officer(session, None, record)
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


@token_app.command("list")
def token_list(username: Annotated[str, typer.Argument(help="只列此用户的令牌")] = "") -> None:
    """List API tokens (everyone's, or USERNAME's): id, user, purpose, made, last used,
    expiry and state. Never the token itself, which is kept only as a hash."""
    with cli_session() as session:
        user = auth_service.get_by_username(session, username) if username else None
        if username and user is None:
            fail(f"用户 {username} 不存在")
            return
        rows = auth_service.api_tokens(session, user)
    moment = clock.now()
    for token, owner in rows:
        state = (
            "已吊销"
            if token.revoked_at
            else "已过期"
            if token.expires_at and token.expires_at <= moment
            else "有效"
        )
        used = (
            f"{clock.local(token.last_used_at):%Y-%m-%d %H:%M}"
            if token.last_used_at
            else "从未使用"
        )
        expires = f"{clock.local(token.expires_at):%Y-%m-%d}" if token.expires_at else "不过期"
        typer.echo(
            f"{token.id}\t{owner.username}\t{token.name or '-'}\t"
            f"{clock.local(token.created_at):%Y-%m-%d}\t{used}\t{expires}\t{state}"
        )


@token_app.command("revoke")
def token_revoke(token_id: int) -> None:
    """Revoke API token TOKEN_ID (see `liaison token list`) at once; audited."""
    with cli_session() as session:
        token = session.get(ApiToken, token_id)
        if token is None:
            fail(f"令牌 {token_id} 不存在")
            return
        auth_service.revoke_api_token(session, token)
        session.commit()
    typer.echo(f"已吊销令牌 {token_id}")


@app.command()
def demo(
    if_empty: Annotated[bool, typer.Option("--if-empty", help="数据库已有用户时不加载")] = False,
    scale: Annotated[int, typer.Option("--scale", min=1, help="演示区数据放大倍数（压测用）")] = 1,
    years: Annotated[
        int,
        typer.Option("--years", min=1, max=30, help="每个区的案件年数（压测用，往前补已结案件）"),
    ] = 1,
) -> None:
    """Load the demo district (development only) and print its logins; `--scale N` makes it
    N times bigger (26,400 projects at 100) and `--years Y` gives every district Y − 1 earlier
    years of closed cases (about a million cases at N = 100, Y = 17), for benchmarks."""
    from liaison import demo as demo_data
    from liaison.demo import scale as scaling

    settings = get_settings()
    if settings.is_production:
        fail("生产环境不能加载演示数据")
    with cli_session() as session:
        has_users = session.exec(select(auth_service.User).limit(1)).first() is not None
        if has_users and not if_empty:
            fail("数据库中已有数据；演示数据只能加载到空数据库")
        if not has_users:
            demo_data.load(session, settings)
            if scale > 1 or years > 1:
                with typer.progressbar(length=scale, label="放大", file=sys.stderr) as bar:
                    scaling.replicate(session, scale - 1, years, progress=bar.update)
                # The bulk copy bypasses the flush hook: one event marks the change, so the
                # metrics cache of a running app sees it.
                record_event(session, "demo_scale", detail={"copies": scale - 1, "years": years})
            session.commit()
            typer.echo(
                "演示数据已加载" + (f"（{scale} 倍，{years} 年）" if scale * years > 1 else "")
            )
        elif not demo_data.is_loaded(session):
            typer.echo("数据库中已有数据，未加载演示数据")
            return
    typer.echo(demo_data.logins_text())


@app.command("import")
def import_ledger(
    path: Annotated[Path, typer.Argument(help=".xlsx 工作簿，或每张表一个 .csv 的文件夹或 .zip")],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="只检查，不写入")] = False,
) -> None:
    """Import a ledger workbook whole: every error listed and nothing written, or all of it."""
    from liaison.ledger import importer
    from liaison.ledger.reader import SourceError, open_source

    if not path.exists():
        fail(f"找不到 {path}")
    with cli_session() as session:
        try:
            with open_source(path) as source:
                plan = importer.check(session, source, get_settings())
        except SourceError as exc:
            fail(str(exc))
        for problem in plan.problems:
            typer.echo(str(problem), err=True)
        if not plan.ok:
            fail(f"共 {len(plan.problems)} 处错误，未导入任何数据")
        if not dry_run:
            try:
                with typer.progressbar(length=plan.total, label="导入", file=sys.stderr) as bar:
                    importer.apply(session, plan, by_user_id=None, progress=bar.update)
                session.commit()
            except (SQLAlchemyError, ValueError) as exc:
                # What the dry run could not foresee: nothing is kept, and it says why.
                session.rollback()
                fail(f"导入失败，未写入任何数据：{str(exc).splitlines()[0]}")
    for sheet, counts in plan.counts().items():
        typer.echo(f"{sheet}\t新增 {counts.added}\t更新 {counts.updated}\t未变 {counts.unchanged}")
    typer.echo("检查通过（未写入）" if dry_run else "导入完成")


@app.command("export")
def export_ledger(
    path: Annotated[Path, typer.Argument(help=".xlsx 工作簿，或 .zip（每张表一个 .csv）")],
    template: Annotated[bool, typer.Option("--template", help="只导出带说明的空模板")] = False,
) -> None:
    """Export the whole ledger in the import's format (or the empty template)."""
    from liaison import downloads
    from liaison.ledger import exporter

    if path.suffix.lower() not in (".xlsx", ".zip"):
        fail("文件名须以 .xlsx 或 .zip 结尾")
    with cli_session() as session:
        if template:
            exporter.write_workbook(None, path)
        elif path.suffix.lower() == ".zip":
            exporter.write_csv_zip(session, path)
        else:
            exporter.write_workbook(session, path)
        if not template:
            downloads.record_export(session, "LedgerWorkbook", path.name)
    typer.echo(f"已导出到 {path}")


@app.command("metrics")
def metrics(
    start: Annotated[str, typer.Option("--from", help="起始日期 YYYY-MM-DD（含）")],
    end: Annotated[str, typer.Option("--to", help="截止日期 YYYY-MM-DD（含）")],
    station: Annotated[str, typer.Option("--station", help="单位编码，不填为全区")] = "",
    as_json: Annotated[bool, typer.Option("--json", help="输出 JSON")] = False,
) -> None:
    """The business-environment figures for a period (PRODUCT.md, Metrics)."""
    import json
    from datetime import date

    from liaison.clock import FIRST_DAY, LAST_DAY
    from liaison.metrics import service
    from liaison.org.models import Station

    try:
        since, until = date.fromisoformat(start), date.fromisoformat(end)
    except ValueError:
        fail("日期格式应为 YYYY-MM-DD")
    if until < since:
        fail("截止日期不能早于起始日期")
    if since < FIRST_DAY or until > LAST_DAY:
        fail(f"日期须在 {FIRST_DAY} 至 {LAST_DAY} 之间")
    with cli_session() as session:
        chosen = None
        if station:
            chosen = session.exec(select(Station).where(Station.code == station)).first()
            if chosen is None:
                fail(f"没有单位 {station}")
        result = service.compute(
            session, since, until, chosen, visit_interval_days=get_settings().visit_interval_days
        )
    if as_json:
        typer.echo(json.dumps(result, ensure_ascii=False, indent=2))
        return
    for section in ("projects", "hazards", "areas", "disputes", "recoveries", "requests"):
        figures = {k: v for k, v in result[section].items() if not isinstance(v, dict)}
        typer.echo(f"{section}: " + ", ".join(f"{k}={v}" for k, v in figures.items()))


if __name__ == "__main__":
    app()
