"""A ledger sheet, whatever domain owns it: its columns and how each cell is read, whatever Excel
made of it (a number cell for a badge number, a date cell or text for a date, full-width digits,
stray spaces); what a sheet's check sees of a file (`Checking`) and what its save is given
(`Writing`). The sheets themselves are their domains' (`liaison/<domain>/sheet.py`);
liaison.ledger holds them in the workbook's order (PRODUCT.md, Contracts 1) and conducts the
import and the export."""

import re
import unicodedata
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Any, TypeVar

from pydantic import BaseModel
from sqlmodel import Session, SQLModel, col, select

from liaison import fields
from liaison.clock import LOCAL_TZ, local
from liaison.config import Settings
from liaison.forms import validate
from liaison.money import FEN_PER_WAN, FEN_PER_YUAN, parse_amount

Values = dict[str, Any]
M = TypeVar("M", bound=BaseModel)
Rows = Iterator[list[str]]


class CellError(ValueError):
    """Why a cell cannot be read, in Chinese."""


Parse = Callable[[Any], Any]


# What kind of cell a column's values are in an .xlsx, by how the column reads them: amounts
# and dates are numbers and date cells (SUM works, a date sorts), codes are text cells in the
# Text format (an office suite keeps the leading zeros of 010001). CSV keeps the text as it is.
_CODES: set[Parse] = set()


def coded(parse: Parse) -> Parse:
    """Mark `parse` as reading a code: its column's cells are text, whatever they look like."""
    _CODES.add(parse)
    return parse


@dataclass(frozen=True)
class Column:
    header: str
    key: str
    parse: Parse
    required: bool = False
    help: str = ""  # the comment on the template's header cell
    choices: tuple[str, ...] = ()  # the template's drop-down list
    refers: tuple[str, ...] = ()  # the sheets whose codes a value of this column names

    @property
    def title(self) -> str:
        """The header as written in the workbook: `*` marks a required column."""
        return f"{self.header}*" if self.required else self.header

    @property
    def cell(self) -> str:
        """code, yuan, wan, date, time or text: how an .xlsx holds the column's values."""
        if self.parse in _CODES:
            return "code"
        return _CELLS.get(self.parse, "text")


@dataclass(frozen=True)
class Sheet:
    """A sheet of the workbook and the domain that owns it: the columns, the model whose records
    the rows are (found by the `key` column, an attribute of the same name), how the domain
    writes its records as rows (`rows`, for the export), checks a file's rows (`check`, the dry
    run) and saves them through its service (`save`)."""

    name: str
    noun: str  # what one record is called in a problem: 没有民警 6001
    columns: Sequence[Column]
    key: str
    model: type[SQLModel]
    rows: "Callable[[Session, Any], Rows]"
    check: "Callable[[Checking], None]"
    save: "Callable[[Writing, list[Row]], None]"

    def column(self, key: str) -> Column:
        return next(c for c in self.columns if c.key == key)


# ---- reading cells ---------------------------------------------------------------------


def as_text(value: Any) -> str:
    """A cell as text: numbers without a trailing `.0`, dates as YYYY-MM-DD, spaces trimmed."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M") if value.time() != time() else f"{value:%Y-%m-%d}"
    if isinstance(value, date):
        return f"{value:%Y-%m-%d}"
    return str(value).strip()


def narrow(text: str) -> str:
    """Full-width digits, letters and signs as ASCII (what IMEs type in a code or a number)."""
    return unicodedata.normalize("NFKC", text).strip()


def text(max_length: int) -> Parse:
    def parse(value: Any) -> str:
        result = as_text(value)
        if len(result) > max_length:
            raise CellError(f"最多 {max_length} 个字符")
        return result

    return parse


def code(max_length: int = 32) -> Parse:
    """A code read as text: a badge number typed as a number stays `612601`."""

    @coded
    def parse(value: Any) -> str:
        result = narrow(as_text(value))
        if len(result) > max_length:
            raise CellError(f"最多 {max_length} 个字符")
        if re.search(r"\s", result):
            raise CellError("编号中不能有空格")
        return result

    return parse


def _number(pattern: str, what: str) -> Parse:
    """A telephone number read as text, spaces and dashes dropped, checked against `pattern`."""

    @coded
    def parse(value: Any) -> str:
        result = re.sub(r"[\s-]", "", narrow(as_text(value)))
        if result and not re.fullmatch(pattern, result):
            raise CellError(f"{as_text(value)} 不是{what}")
        return result

    return parse


phone = _number(r"\+?\d{5,20}", "电话号码")
mobile = _number(r"1[3-9]\d{9}", " 11 位手机号")


EXCEL_EPOCH = date(1899, 12, 30)


def day(value: Any) -> date | None:
    """A date cell, an Excel serial number, or text (2025-03-01, 2025/3/1, 2025年3月1日)."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, int | float) and 1 <= value < 2_958_466:
        return EXCEL_EPOCH + timedelta(days=int(value))
    raw = narrow(as_text(value))
    match = re.fullmatch(r"(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?", raw)
    try:
        if match is None:
            raise ValueError
        return date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        raise CellError(f"{as_text(value)} 不是有效日期（应为 YYYY-MM-DD）") from None


def moment(value: Any) -> datetime | None:
    """A time in Asia/Shanghai: a date-time cell or `YYYY-MM-DD HH:MM` (seconds allowed)."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.replace(tzinfo=LOCAL_TZ) if value.tzinfo is None else value
    if isinstance(value, date):  # a date-time cell at midnight, as some readers give it
        return datetime.combine(value, time(), LOCAL_TZ)
    raw = narrow(as_text(value))
    match = re.fullmatch(r"(.+?)[ T](\d{1,2}):(\d{2})(?::(\d{2}))?", raw)
    try:
        if match is None:
            raise ValueError
        on = day(match[1])
        assert on is not None
        at = time(int(match[2]), int(match[3]), int(match[4] or 0))
        return datetime.combine(on, at, LOCAL_TZ)
    except (ValueError, CellError):
        raise CellError(f"{as_text(value)} 不是有效时间（应为 YYYY-MM-DD HH:MM）") from None


def one_of(kind: type[StrEnum]) -> Parse:
    words = [member.value for member in kind]

    def parse(value: Any) -> str:
        result = as_text(value)
        if result and result not in words:
            raise CellError(f"{result} 不是可选值（{'/'.join(words)}）")
        return result

    return parse


def _amount(value: Any, unit: int, label: str) -> int | None:
    if value is None or value == "":
        return None
    # A number cell holds a binary float: its shortest decimal form is what the person typed.
    raw = repr(value) if isinstance(value, float) else as_text(value)
    try:
        return parse_amount(raw, unit=unit)
    except ValueError as exc:
        raise CellError(f"{as_text(value)} 不是有效{label}：{exc}") from None


def yuan(value: Any) -> int | None:
    """Exact fen from yuan with at most two decimals; a negative is allowed (reversals)."""
    return _amount(value, FEN_PER_YUAN, "金额")


def wan(value: Any) -> int | None:
    fen = _amount(value, FEN_PER_WAN, "万元金额")
    if fen is not None and fen < 0:
        raise CellError("金额不能为负数")
    return fen


_CELLS: dict[Parse, str] = {yuan: "yuan", wan: "wan", day: "date", moment: "time"}


def fen_text(fen: int | None, unit: int = FEN_PER_YUAN) -> str:
    """The exact figure for the workbook: 1234.5 yuan as `1234.50`, 万元 without trailing zeros."""
    if fen is None:
        return ""
    if unit == FEN_PER_YUAN:
        sign = "-" if fen < 0 else ""
        whole, cents = divmod(abs(fen), 100)
        return f"{sign}{whole}.{cents:02d}"
    return format((Decimal(fen) / unit).normalize(), "f")


def choices(kind: type[StrEnum]) -> tuple[str, ...]:
    return tuple(member.value for member in kind)


def enum_column(header: str, key: str, kind: type[StrEnum], required: bool = False) -> Column:
    return Column(
        header,
        key,
        one_of(kind),
        required,
        help=f"可选：{'、'.join(choices(kind))}",
        choices=choices(kind),
    )


def column(
    model: type[BaseModel],
    key: str,
    parse: Parse | None = None,
    *,
    help: str = "",
    refers: tuple[str, ...] = (),
) -> Column:
    """The column of the field `key` as `model` (a domain's XIn) declares it
    (liaison/fields.py): its header is the field's label, `*` when the field is required, and
    a cell is read as an enumeration's words, a date or a text of the field's length, unless
    `parse` says how (a code, an amount in 万元)."""
    header, required = fields.label(model, key), fields.required(model, key)
    kind = fields.choices(model, key)
    if kind is not None:
        return enum_column(header, key, kind, required)
    if parse is None:
        length = fields.max_length(model, key)
        parse = day if fields.kind(model, key) is date else text(length or 4000)
    return Column(header, key, parse, required, help, refers=refers)


DATE_HELP = "日期，格式 YYYY-MM-DD，也可以是 Excel 日期单元格"
TIME_HELP = "时间，格式 YYYY-MM-DD HH:MM（北京时间）"
BADGE_HELP = "警号，须在「民警」表或系统中已有"
PROJECT_HELP = "项目编号，须在「重点项目」表或系统中已有"
STATION_HELP = "须在「派出所」表或系统中已有"


# ---- writing rows for the export -------------------------------------------------------


BATCH = 1000


def day_text(value: Any) -> str:
    return f"{value:%Y-%m-%d}" if value else ""


def time_text(value: Any) -> str:
    """YYYY-MM-DD HH:MM, and its seconds when it has any: what is exported imports back equal."""
    if not value:
        return ""
    at = local(value)
    return f"{at:%Y-%m-%d %H:%M:%S}" if at.second else f"{at:%Y-%m-%d %H:%M}"


def stream(session: Session, query: Any, ids: Any, id_column: Any) -> Iterator[Any]:
    """The query's rows (only those among `ids` when given) in batches from the database, never
    the whole table in memory."""
    if ids is not None:
        query = query.where(col(id_column).in_(ids))
    yield from session.exec(query.execution_options(yield_per=BATCH))


# ---- checking a file's rows -------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    sheet: str
    row: int
    column: str
    reason: str

    def __str__(self) -> str:
        where = f"{self.sheet} 第 {self.row} 行" + (f"「{self.column}」" if self.column else "")
        return f"{where}：{self.reason}"


@dataclass
class Row:
    number: int
    values: Values
    record: Any = None  # the existing record with this code, if any
    fields: Values = field(default_factory=dict)  # what the record should hold
    action: str = ""  # add, update or unchanged


def diff(row: Row, record: Any, fields: Values) -> None:
    """The row will hold `fields` (those named `_…` are the check's notes for the save): it adds
    a record, updates `record`, or leaves it unchanged."""
    row.record, row.fields = record, fields
    if record is None:
        row.action = "add"
    elif any(not _same(getattr(record, k), v) for k, v in fields.items() if not k.startswith("_")):
        row.action = "update"
    else:
        row.action = "unchanged"


def _same(stored: Any, read: Any) -> bool:
    """Equal as the workbook can tell: a time to the second (a request received on the web
    keeps its microseconds; the ledger writes seconds), so an export imports back unchanged."""
    if isinstance(stored, datetime) and isinstance(read, datetime):
        return stored.replace(microsecond=0) == read.replace(microsecond=0)
    return bool(stored == read)


@dataclass
class Checking:
    """A file's dry run as each sheet's check sees it: every sheet's rows, the records the
    file's codes name in the database (by sheet, then code), and the problems found so far."""

    session: Session
    settings: Settings
    sheets: dict[str, Sheet]
    rows: dict[str, list[Row]]
    known: dict[str, dict[str, Any]]
    problems: list[Problem] = field(default_factory=list)
    _codes: dict[str, set[str]] = field(default_factory=dict)  # by sheet, once worked out

    def codes(self, sheet: str) -> set[str]:
        """Every code of this sheet's kind: the file's rows and the database's records."""
        if sheet not in self._codes:
            key = self.sheets[sheet].key
            in_file = {r.values[key] for r in self.rows[sheet] if r.values.get(key)}
            self._codes[sheet] = in_file | set(self.known[sheet])
        return self._codes[sheet]

    def fail(self, sheet: Sheet, row: Row, key: str, reason: str) -> None:
        column = sheet.column(key).header if key else ""
        self.problems.append(Problem(sheet.name, row.number, column, reason))

    def need(self, sheet: Sheet, row: Row, key: str) -> bool:
        """Whether the row's `key` column, when filled, names a record of the sheet it refers to
        (in the file or the database); a problem when not."""
        value = row.values.get(key)
        [kind] = sheet.column(key).refers
        if value and value not in self.codes(kind):
            self.fail(sheet, row, key, f"没有{self.sheets[kind].noun} {value}")
            return False
        return True

    def valid(self, sheet: Sheet, row: Row, model: type[M], data: Values) -> M | None:
        """The row as its record's one input (a domain's XIn) takes it, or None with a problem
        on the column of each field it refuses, in the words a form gets: what a form may not
        save, a file may not either."""
        valid, errors = validate(model, data)
        keys = {c.key for c in sheet.columns}
        for name, message in errors.items():
            self.fail(sheet, row, name if name in keys else "", message)
        return valid

    def found(self, sheet: Sheet, row: Row) -> Any:
        """The record the row's code names in the database, if any."""
        return self.known[sheet.name].get(row.values[sheet.key])

    def referred(self, sheet: Sheet, row: Row, key: str) -> Any:
        """The database's record that the row's `key` column names, if any."""
        [kind] = sheet.column(key).refers
        return self.known[kind].get(row.values.get(key) or "")

    def moved(self, sheet: Sheet, row: Row, **attributes: str) -> None:
        """An existing record whose references changed in the file is an update too
        (`attributes`: the record's attribute → the column naming it)."""
        if row.record is None or row.action != "unchanged":
            return
        for attribute, key in attributes.items():
            target = self.referred(sheet, row, key)
            if target is None or getattr(row.record, attribute) != target.id:
                row.action = "update"


# ---- saving them -----------------------------------------------------------------------


class Writing:
    """What a sheet's save is given: who imports, and every record written or found so far by
    sheet and code, so that a sheet's rows can name the records of the sheets before it."""

    def __init__(
        self,
        session: Session,
        by_user_id: int | None,
        sheets: dict[str, Sheet],
        known: dict[str, dict[str, Any]],
    ) -> None:
        self.session, self.by, self.sheets = session, by_user_id, sheets
        self.cache = {
            (name, code): r for name, records in known.items() for code, r in records.items()
        }

    def find(self, sheet: str, code: str) -> Any:
        if (sheet, code) not in self.cache:
            spec = self.sheets[sheet]
            column = getattr(spec.model, spec.key)
            self.cache[(sheet, code)] = self.session.exec(
                select(spec.model).where(column == code)
            ).first()
        return self.cache[(sheet, code)]

    def keep(self, sheet: Sheet, rows: list[Row], records: list[Any]) -> None:
        """Remember the records a service just wrote (in the rows' order) by their codes."""
        for row, record in zip(rows, records, strict=True):
            self.cache[(sheet.name, row.values[sheet.key])] = record

    def id_of(self, sheet: str, field_name: str) -> Callable[[Row], int]:
        """A function of a row: the id of the `sheet` record whose code is in the row's field."""
        return lambda row: self.find(sheet, row.fields[field_name]).id

    def changes(
        self, sheet: Sheet, rows: list[Row], **resolved: Callable[[Row], Any]
    ) -> list[tuple[Any, Values]]:
        """(record or None, its fields) per row, for the service: the row's code, its fields
        but the check's notes, and references resolved per row by `resolved`."""
        return [
            (
                row.record,
                {
                    sheet.key: row.values[sheet.key],
                    **{k: v for k, v in row.fields.items() if not k.startswith("_")},
                    **{name: id_of(row) for name, id_of in resolved.items()},
                },
            )
            for row in rows
        ]


# ---- sheets of a project's records -----------------------------------------------------

PROJECTS, OFFICERS = "重点项目", "民警"
Problems = Callable[[Values], list[tuple[str, str]]]  # a row's values → (column key, reason)


def check_on_project(
    c: Checking, sheet: Sheet, problems: Problems, copied: Sequence[str], officer: str
) -> None:
    """The check of a sheet whose rows are records of a project naming an officer (隐患, 纠纷):
    both references, the domain's own `problems` with the row, and the `copied` columns as the
    record's fields; `officer` is the column naming the officer, whom the record holds in the
    attribute `OFFICER_ATTRIBUTE` gives."""
    attribute = OFFICER_ATTRIBUTE[sheet.name]
    for row in c.rows[sheet.name]:
        v = row.values
        ok = c.need(sheet, row, "project") & c.need(sheet, row, officer)
        for key, reason in problems(v):
            c.fail(sheet, row, key, reason)
            ok = False
        if not ok:
            continue
        diff(row, c.found(sheet, row), {key: v[key] for key in copied})
        row.fields.update(_project=v["project"], _officer=v[officer])
        c.moved(sheet, row, project_id="project", **{attribute: officer})


def on_project_sheet(
    name: str,
    columns: Sequence[Column],
    model: type[SQLModel],
    rows: "Callable[[Session, Any], Rows]",
    *,
    problems: Problems,
    copied: Sequence[str],
    officer: str,
    save: Callable[..., list[Any]],
) -> Sheet:
    """A sheet of a project's records naming an officer (隐患, 纠纷), by its code column: its
    check is `check_on_project` with the domain's own `problems` and `copied` columns, its save
    the domain service's `save(session, changes, by_user_id=…)`."""

    def check(c: Checking) -> None:
        check_on_project(c, sheet, problems, copied, officer)

    def save_rows(w: Writing, changed: list[Row]) -> None:
        w.keep(sheet, changed, save(w.session, project_changes(w, sheet, changed), by_user_id=w.by))

    sheet = Sheet(name, name, columns, "code", model, rows, check, save_rows)
    return sheet


def project_changes(w: Writing, sheet: Sheet, rows: list[Row]) -> list[tuple[Any, Values]]:
    """The changes of records of a project naming an officer, both resolved to their ids."""
    return w.changes(
        sheet,
        rows,
        project_id=w.id_of(PROJECTS, "_project"),
        **{OFFICER_ATTRIBUTE[sheet.name]: w.id_of(OFFICERS, "_officer")},
    )


# Each such sheet's record names its officer in this attribute.
OFFICER_ATTRIBUTE = {"隐患": "found_by_id", "纠纷": "handler_id", "挽回损失": "officer_id"}
