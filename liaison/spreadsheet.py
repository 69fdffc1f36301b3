"""Spreadsheet cells that show user text and never run it (OWASP CSV injection): text that
starts as a formula would (`=`, `+`, `-`, `@`, a tab, a carriage return) is written as text, and
reads back as it was written, so an exported ledger still imports to the same records."""

import re
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from openpyxl.cell import WriteOnlyCell

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
QUOTE = "'"
NUMBER = re.compile(r"[+-]?\d+(\.\d+)?")


def runs_as_formula(text: str) -> bool:
    """Whether a spreadsheet could take `text` for a formula (`-12.50` is only a number)."""
    return text.startswith(FORMULA_START) and not NUMBER.fullmatch(text)


def xlsx_row(sheet: Any, values: Iterable[Any]) -> list[Any]:
    """`values` for a write-only sheet's `append`: each formula-like string as a text cell."""
    return [_xlsx_cell(sheet, value) for value in values]


TEXT_FORMAT = "@"
FORMATS = {"yuan": "0.00", "wan": "General", "date": "yyyy-mm-dd", "time": "yyyy-mm-dd hh:mm"}


def typed_row(sheet: Any, values: Sequence[str], kinds: Sequence[str]) -> list[Any]:
    """A row of a ledger sheet written as typed cells, by each column's kind (sheets.Column
    .cell): amounts as numbers, dates and times as date cells shown as the contract writes
    them, codes as text in the Text format; an empty value an empty cell."""
    return [_typed(sheet, value, kind) for value, kind in zip(values, kinds, strict=True)]


def _typed(sheet: Any, value: str, kind: str) -> Any:
    if value == "":
        return None
    if kind == "code":
        cell = WriteOnlyCell(sheet, value=value)
        cell.data_type, cell.number_format = "s", TEXT_FORMAT
        return cell
    if kind not in FORMATS:
        return _xlsx_cell(sheet, value)
    typed: Any
    if kind == "date":
        typed = date.fromisoformat(value)
    elif kind == "time":
        typed = datetime.fromisoformat(value)  # local, as written: a cell has no time zone
    else:
        typed = Decimal(value)
    cell = WriteOnlyCell(sheet, value=typed)
    cell.number_format = FORMATS[kind]
    return cell


def _xlsx_cell(sheet: Any, value: Any) -> Any:
    if not (isinstance(value, str) and runs_as_formula(value)):
        return value
    cell = WriteOnlyCell(sheet, value=value)
    cell.data_type = "s"  # openpyxl writes any str that starts with "=" as a formula
    cell.quotePrefix = True  # Excel's leading apostrophe: still text once someone edits it
    return cell


def _needs_quote(text: str) -> bool:
    # Text already quoted before a formula-like start is quoted once more, so that reading
    # takes off exactly the quote writing added, and "'=1" survives the trip as itself.
    return runs_as_formula(text.lstrip(QUOTE))


def csv_field(value: Any) -> Any:
    """A CSV field has no types: a formula-like text goes out behind a quote."""
    return QUOTE + value if isinstance(value, str) and _needs_quote(value) else value


def csv_value(text: str) -> str:
    """The text `csv_field` wrote, as it was before."""
    return text[1:] if text.startswith(QUOTE) and _needs_quote(text[1:]) else text


FIGURE_FORMATS = {"count": "#,##0", "rate": "0.0%", "fen": "#,##0.00"}


def figure_cell(sheet: Any, number: float | None, unit: str) -> Any:
    """A figure of the dashboard as a number cell: a count, a rate shown as a percentage, an
    amount in fen written in yuan; nothing when there is none (a rate of no cases)."""
    if number is None:
        return None
    cell = WriteOnlyCell(sheet, value=Decimal(int(number)) / 100 if unit == "fen" else number)
    cell.number_format = FIGURE_FORMATS[unit]
    return cell
