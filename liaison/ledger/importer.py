"""Importing a ledger: all or nothing, idempotent by each sheet's code column. The importer only
conducts; each sheet is its domain's (liaison/<domain>/sheet.py).

`check()` reads every row, finds the records the file's codes name in the database, and has each
sheet check its rows (references, the domain's rules, through its service's own checks) and diff
them against their records: the dry run. `apply()` has each sheet save a clean plan's changed
rows through its service, in one transaction and in the workbook's order (a sheet's rows name
the records of the sheets before it). Each write goes through the ORM, so each is in the audit
log."""

import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from liaison import sheets
from liaison.config import Settings
from liaison.ledger import schema
from liaison.ledger.reader import Source
from liaison.sheets import Checking, Problem, Row, Values, Writing


@dataclass
class Counts:
    added: int = 0
    updated: int = 0
    unchanged: int = 0


@dataclass
class Plan:
    rows: dict[str, list[Row]] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    known: dict[str, dict[str, Any]] | None = None  # the records the file's codes name, by sheet

    @property
    def ok(self) -> bool:
        return not self.problems

    def counts(self) -> dict[str, Counts]:
        result = {}
        for sheet in schema.SHEETS:
            counts = Counts()
            for row in self.rows.get(sheet.name, []):
                if row.action == "add":
                    counts.added += 1
                elif row.action == "update":
                    counts.updated += 1
                elif row.action == "unchanged":
                    counts.unchanged += 1
            result[sheet.name] = counts
        return result

    @property
    def total(self) -> int:
        return sum(len(rows) for rows in self.rows.values())


# ---- reading the sheets ----------------------------------------------------------------


HEADER_SEARCH = 5  # rows a header may sit under (a title, a date line, a blank row)


def _header_key(cell: Any) -> str:
    """A header as people write it, forgiven: full-width forms, spaces and line breaks inside
    (自动换行, Alt+Enter), the `*` of a required column."""
    text = unicodedata.normalize("NFKC", sheets.as_text(cell))
    return "".join(text.split()).rstrip("*")


def _sheet_of(name: str) -> str:
    """The sheet a workbook's sheet or a CSV file holds, by its name: 民警, or as an office
    suite names a workbook's sheets saved one by one (LibreOffice: 台账-民警.csv)."""
    if name in schema.BY_NAME:
        return name
    for separator in ("-", "_", " "):
        head, found, tail = name.rpartition(separator)
        if found and head and tail.strip() in schema.BY_NAME:
            return tail.strip()
    return name


def _header_row(
    sheet: sheets.Sheet, rows: Iterable[tuple[int, list[Any]]]
) -> tuple[int, list[Any]] | None:
    """The row that holds the sheet's headers: the first, or one a few rows under a title."""
    wanted = {_header_key(c.header) for c in sheet.columns}
    first = None
    for n, (number, cells) in enumerate(rows):
        first = first or (number, cells)
        if len(wanted & {_header_key(cell) for cell in cells if cell is not None}) * 2 >= len(
            wanted
        ):
            return number, cells
        if n + 1 >= HEADER_SEARCH:
            break
    return first


def _read_sheet(source: Source, sheet: sheets.Sheet, plan: Plan, name: str) -> list[Row]:
    rows = source.rows(name)
    header = _header_row(sheet, rows)
    if header is None:
        return []
    index = _column_index(sheet, header[1], plan, header[0])
    if index is None:
        return []
    result: list[Row] = []
    seen: dict[str, int] = {}
    for number, cells in rows:
        if all(sheets.as_text(c) == "" for c in cells):
            continue
        values = _parse_row(sheet, number, cells, index, plan)
        if not _repeats_a_code(sheet, number, values, seen, plan):
            result.append(Row(number, values))
    return result


def _column_index(
    sheet: sheets.Sheet, header: list[Any], plan: Plan, number: int = 1
) -> dict[str, int | None] | None:
    """Each column's position in the file (None when an optional one is absent); None, and a
    problem per column on the header's row `number`, when a required column is missing."""
    positions = {_header_key(cell): i for i, cell in enumerate(header) if cell is not None}
    wanted = {_header_key(c.header): c for c in sheet.columns}
    missing = [c for h, c in wanted.items() if c.required and h not in positions]
    for column in missing:
        plan.problems.append(Problem(sheet.name, number, column.header, "缺少此列"))
    if missing:
        return None
    return {c.key: positions.get(h) for h, c in wanted.items()}


def _parse_row(
    sheet: sheets.Sheet, number: int, cells: list[Any], index: dict[str, int | None], plan: Plan
) -> Values:
    """The row's values by column key; a cell that does not parse is None, and a problem."""
    values: Values = {}
    for column in sheet.columns:
        at = index[column.key]
        raw = cells[at] if at is not None and at < len(cells) else None
        try:
            values[column.key] = column.parse(raw)
        except sheets.CellError as exc:
            plan.problems.append(Problem(sheet.name, number, column.header, str(exc)))
            values[column.key] = None
            continue
        if column.required and values[column.key] in ("", None):
            plan.problems.append(Problem(sheet.name, number, column.header, "此项必填"))
    return values


def _repeats_a_code(
    sheet: sheets.Sheet, number: int, values: Values, seen: dict[str, int], plan: Plan
) -> bool:
    """Whether an earlier row has the same code (a problem: the row is dropped); else the
    code is remembered in `seen`."""
    key = values.get(sheet.key)
    if not key:
        return False
    if key in seen:
        reason = f"编号 {key} 与第 {seen[key]} 行重复"
        plan.problems.append(Problem(sheet.name, number, sheet.column(sheet.key).header, reason))
        return True
    seen[key] = number
    return False


def read(source: Source) -> Plan:
    """Every row of every known sheet, parsed; sheets the file lacks are empty."""
    plan = Plan()
    found = source.sheet_names()
    names = {_sheet_of(name): name for name in found}
    for sheet in schema.SHEETS:
        name = names.get(sheet.name)
        plan.rows[sheet.name] = _read_sheet(source, sheet, plan, name) if name else []
    if not any(plan.rows.values()) and not plan.problems:
        known = "、".join(s.name for s in schema.SHEETS)
        seen = "、".join(found) or "无"
        reason = f"文件中没有可导入的表（应为：{known}；文件中的表：{seen}）"
        plan.problems.append(Problem("", 0, "", reason))
    return plan


# ---- the records the file names ------------------------------------------------------


def _by(session: Session, model: Any, attribute: str, keys: Iterable[str]) -> dict[str, Any]:
    """Existing records by code, for the codes the file mentions, in chunks of 500."""
    wanted = sorted({k for k in keys if k})
    found = {}
    column = getattr(model, attribute)
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        for record in session.exec(select(model).where(col(column).in_(chunk))).all():
            found[getattr(record, attribute)] = record
    return found


def _collect(session: Session, plan: Plan) -> dict[str, dict[str, Any]]:
    """For each sheet, the database's records that the file names: by the sheet's own code
    column, and by every column of any sheet that refers to it."""
    mentioned: dict[str, set[str]] = {sheet.name: set() for sheet in schema.SHEETS}
    for sheet in schema.SHEETS:
        rows = plan.rows[sheet.name]
        mentioned[sheet.name] |= {r.values.get(sheet.key) or "" for r in rows}
        for column in sheet.columns:
            for kind in column.refers:
                mentioned[kind] |= {r.values.get(column.key) or "" for r in rows}
    return {
        sheet.name: _by(session, sheet.model, sheet.key, mentioned[sheet.name])
        for sheet in schema.SHEETS
    }


def check(session: Session, source: Source, settings: Settings) -> Plan:
    """The dry run: every problem, and for every row whether it adds, updates or changes nothing."""
    plan = read(source)
    plan.known = _collect(session, plan)
    checking = Checking(session, settings, schema.BY_NAME, plan.rows, plan.known, plan.problems)
    for sheet in schema.SHEETS:
        sheet.check(checking)
    plan.problems.sort(key=lambda p: (_SHEET_ORDER.get(p.sheet, -1), p.row))
    return plan


_SHEET_ORDER = {sheet.name: n for n, sheet in enumerate(schema.SHEETS)}


# ---- writing ---------------------------------------------------------------------------


Progress = Callable[[int], None]
ANALYZE_AFTER = 1000  # rows added
ANALYZED = [
    "station",
    "officer",
    "enterprise",
    "project",
    "assignment",
    "hazard",
    "dispute",
    "recovery",
    "service_request",
]


def apply(
    session: Session, plan: Plan, *, by_user_id: int | None, progress: Progress | None = None
) -> dict[str, Counts]:
    """Save a clean plan, a sheet at a time (one flush each: the inserts go in batches); the
    caller commits, or rolls back on any error."""
    assert plan.ok and plan.known is not None, "only a checked plan without problems is written"
    step = progress or (lambda n: None)
    writing = Writing(session, by_user_id, schema.BY_NAME, plan.known)
    for sheet in schema.SHEETS:
        rows = plan.rows[sheet.name]
        changed = [row for row in rows if row.action != "unchanged"]
        if changed:
            sheet.save(writing, changed)
            session.flush()
        step(len(rows))
    counts = plan.counts()
    if sum(c.added for c in counts.values()) >= ANALYZE_AFTER:
        # Fresh planner statistics: a database that just grew tenfold would otherwise be
        # planned as the small one it was (nested loops where a hash join belongs).
        for table in ANALYZED:
            session.execute(sa.text(f"ANALYZE {table}"))
    return counts
