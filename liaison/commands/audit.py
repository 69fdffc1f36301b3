"""`liaison audit verify|export|purge`: the audit log's checksum chain checked, a range of days
exported, rows past retention removed (SECURITY.md L2, L4)."""

from datetime import date, timedelta
from pathlib import Path
from typing import Annotated

import typer
from sqlmodel import Session

from liaison.audit import chain, export, retention
from liaison.audit.service import day_start
from liaison.clock import local, now
from liaison.commands import cli_session, fail
from liaison.config import get_settings
from liaison.db import get_engine, reading

audit_app = typer.Typer(help="审计日志：校验、导出、清理", no_args_is_help=True)


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        fail(f"日期 {text} 的格式应为 YYYY-MM-DD")


@audit_app.command("verify")
def verify_command() -> None:
    """Recompute the checksum chain; name the first row that breaks it."""
    # One read transaction: a consistent view that takes no write lock on SQLite.
    with Session(reading(get_engine())) as session:
        verdict = chain.verify(session)
    if not verdict.ok:
        when = local(verdict.broken_at).strftime("%Y-%m-%d %H:%M:%S") if verdict.broken_at else ""
        fail(f"审计日志第 {verdict.broken_id} 条（{when}）校验失败：{verdict.problem}")
    older = f"，另有 {verdict.before_chain} 条早于校验链" if verdict.before_chain else ""
    typer.echo(f"审计日志完整：已校验 {verdict.checked} 条{older}")
    if verdict.last_hash:
        typer.echo(f"末条校验值 {verdict.last_hash}（可记录在库外，供日后比对）")


@audit_app.command("export")
def export_command(
    path: Annotated[Path, typer.Argument(help=".xlsx 或 .csv 文件")],
    start: Annotated[str, typer.Option("--from", help="起始日期 YYYY-MM-DD（含，北京时间）")],
    end: Annotated[str, typer.Option("--to", help="截止日期 YYYY-MM-DD（含，北京时间）")],
) -> None:
    """Export the audit rows of a range of days; the export is audited too."""
    kind = path.suffix.lower().lstrip(".")
    if kind not in ("xlsx", "csv"):
        fail("文件名须以 .xlsx 或 .csv 结尾")
    since, until = _day(start), _day(end)
    with cli_session() as session:
        try:
            with path.open("wb") as out:
                count = export.export(
                    session, since, until, out, "xlsx" if kind == "xlsx" else "csv"
                )
            session.commit()
        except export.ExportRefused as exc:
            path.unlink(missing_ok=True)
            fail(str(exc))
        except BaseException:
            path.unlink(missing_ok=True)  # no file leaves without its audit row
            raise
    typer.echo(f"已导出 {count} 条到 {path}")


@audit_app.command("purge")
def purge_command(
    before: Annotated[
        str | None, typer.Option("--before", help="删除此日期（北京时间）之前的记录 YYYY-MM-DD")
    ] = None,
    days: Annotated[int | None, typer.Option("--days", help="删除早于此天数的记录")] = None,
) -> None:
    """Remove audit rows older than the cut-off; never any younger than the retention period
    (LIAISON_AUDIT_RETENTION_DAYS, at least 180)."""
    if (before is None) == (days is None):
        fail("请给出 --before 日期或 --days 天数（二选一）")
    cutoff = day_start(_day(before)) if before is not None else now() - timedelta(days=days or 0)
    with cli_session() as session:
        try:
            removed = retention.purge(
                session, cutoff, retention_days=get_settings().audit_retention_days
            )
        except retention.RetentionRefused as exc:
            fail(str(exc))
        session.commit()
    typer.echo(f"已删除 {local(cutoff):%Y-%m-%d %H:%M} 之前的审计记录 {removed} 条")
