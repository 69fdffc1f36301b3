"""The auditor's export: every audit row of a range of days (Beijing time), oldest first, as
.xlsx or .csv, with phone and ID numbers masked as on the pages. The export is itself an audit
event."""

import csv
import io
import json
from collections.abc import Iterable, Iterator
from datetime import date, timedelta
from typing import Any, BinaryIO, Literal

from openpyxl import Workbook
from sqlmodel import Session, col, func, select
from sqlmodel.sql.expression import SelectOfScalar

from liaison.audit.models import AuditLog
from liaison.audit.service import ACTION_LABELS, day_start, masked, record_event, search
from liaison.clock import local
from liaison.spreadsheet import csv_field, xlsx_row

Format = Literal["xlsx", "csv"]
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
HEADERS = [
    "编号",
    "时间（北京时间）",
    "操作人",
    "操作人编号",
    "客户端地址",
    "操作",
    "对象类型",
    "对象编号",
    "修改前",
    "修改后",
    "校验值",
]
XLSX_MAX_ROWS = 1_048_575  # a worksheet's rows, less the header


class ExportRefused(Exception):
    """The range cannot be exported as asked; nothing was written."""


def _rows(since: date, until: date) -> SelectOfScalar[AuditLog]:
    start, end = day_start(since), day_start(until + timedelta(days=1))
    return search(since=start, until=end).order_by(None).order_by(col(AuditLog.id))


def _values_text(values: dict[str, Any] | None) -> str:
    if values is None:
        return ""
    return json.dumps(masked(values), ensure_ascii=False, sort_keys=True)


def _line(row: AuditLog) -> list[Any]:
    return [
        row.id,
        local(row.at).strftime("%Y-%m-%d %H:%M:%S"),
        row.actor_name,
        row.actor_id,
        row.client_ip or "",
        ACTION_LABELS.get(row.action, row.action),
        row.object_type,
        row.object_id or "",
        _values_text(row.before),
        _values_text(row.after),
        row.row_hash or "",
    ]


def _lines(session: Session, since: date, until: date) -> Iterator[list[Any]]:
    for row in session.exec(_rows(since, until).execution_options(yield_per=1000)):
        yield _line(row)


def _write_xlsx(out: BinaryIO, lines: Iterable[list[Any]]) -> None:
    book = Workbook(write_only=True)
    sheet = book.create_sheet("审计日志")
    sheet.freeze_panes = "A2"
    sheet.append(HEADERS)
    for line in lines:
        # Usernames typed at the login page reach the log as typed: never run them.
        sheet.append(xlsx_row(sheet, line))
    book.save(out)


def _write_csv(out: BinaryIO, lines: Iterable[list[Any]]) -> None:
    # UTF-8 with a BOM, so that Excel opens it right.
    text = io.TextIOWrapper(out, encoding="utf-8-sig", newline="")
    writer = csv.writer(text)
    writer.writerow(HEADERS)
    writer.writerows([csv_field(value) for value in line] for line in lines)
    text.flush()
    text.detach()


def export(session: Session, since: date, until: date, out: BinaryIO, kind: Format) -> int:
    """Write the audit rows of days `since` to `until` (both included) to `out` and record the
    export in the log; how many rows were written. The caller commits."""
    if until < since:
        raise ExportRefused("截止日期不能早于起始日期")
    count = session.exec(select(func.count()).select_from(_rows(since, until).subquery())).one()
    if kind == "xlsx" and count > XLSX_MAX_ROWS:
        raise ExportRefused(
            f"共 {count} 条，超过 Excel 工作表的行数上限；请缩短日期范围或导出为 CSV"
        )
    (_write_xlsx if kind == "xlsx" else _write_csv)(out, _lines(session, since, until))
    record_event(
        session,
        "export",
        object_type="AuditLog",
        detail={"from": since.isoformat(), "to": until.isoformat(), "format": kind, "rows": count},
    )
    return count
