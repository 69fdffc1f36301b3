"""`liaison audit verify|checkpoint|export|purge`: the audit log's checksum chain checked, its
head noted outside the database, a range of days exported, rows past retention removed
(SECURITY.md L2, L4)."""

from datetime import date, timedelta
from pathlib import Path
from typing import Annotated

import typer
from sqlmodel import Session

from liaison.audit import chain, checkpoint, export, retention
from liaison.audit.service import day_start
from liaison.clock import local, now
from liaison.commands import cli_session, fail
from liaison.config import get_settings
from liaison.db import get_engine, reading

audit_app = typer.Typer(help="审计日志：校验、检查点、导出、清理", no_args_is_help=True)


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        fail(f"日期 {text} 的格式应为 YYYY-MM-DD")


@audit_app.command("verify")
def verify_command() -> None:
    """Recompute the checksum chain; name the first row that breaks it, or the rows missing up
    to a checkpoint."""
    try:
        marks = checkpoint.read()
    except checkpoint.CheckpointInvalid as exc:
        fail(f"审计日志校验失败：{exc}")
    # One read transaction: a consistent view that takes no write lock on SQLite.
    with Session(reading(get_engine())) as session:
        verdict = chain.verify(session, marks=marks)
    if verdict.broken_id is not None:
        when = local(verdict.broken_at).strftime("%Y-%m-%d %H:%M:%S") if verdict.broken_at else ""
        fail(f"审计日志第 {verdict.broken_id} 条（{when}）校验失败：{verdict.problem}")
    if not verdict.ok:
        fail(f"审计日志校验失败：{verdict.problem}")
    older = f"，另有 {verdict.before_chain} 条早于校验链" if verdict.before_chain else ""
    unkeyed = f"，其中 {verdict.unkeyed} 条早于审计密钥" if verdict.unkeyed else ""
    typer.echo(f"审计日志完整：已校验 {verdict.checked} 条{unkeyed}{older}")
    if verdict.reached:
        typer.echo(f"与{verdict.reached}一致")
    elif marks:
        typer.echo("各检查点所记的记录均已按保留期清理")
    else:
        typer.echo(
            f"尚无检查点（{checkpoint.path()}）：删除最新的记录无从发现，"
            "请运行 liaison audit checkpoint"
        )


@audit_app.command("checkpoint")
def checkpoint_command() -> None:
    """Note the chain's head (row id, hash, time) in the signed checkpoint file outside the
    database; `verify` then finds any row deleted up to it."""
    with Session(reading(get_engine())) as session:
        try:
            mark = checkpoint.write(session)
        except OSError as exc:
            fail(f"无法写入审计检查点文件 {checkpoint.path()}：{exc.strerror or exc}")
    if mark is None:
        typer.echo("审计日志为空，无需检查点")
        return
    typer.echo(f"已写入{mark}：校验值 {mark.row_hash}，文件 {checkpoint.path()}")


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
    # As the owner: lifting the log's guard is an ALTER TABLE the app's role may not run.
    with cli_session(as_owner=True) as session:
        try:
            removed = retention.purge(
                session, cutoff, retention_days=get_settings().audit_retention_days
            )
        except retention.RetentionRefused as exc:
            fail(str(exc))
        session.commit()
    typer.echo(f"已删除 {local(cutoff):%Y-%m-%d %H:%M} 之前的审计记录 {removed} 条")
