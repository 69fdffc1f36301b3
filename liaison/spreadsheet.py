"""Spreadsheet cells that show user text and never run it (OWASP CSV injection): text that
starts as a formula would (`=`, `+`, `-`, `@`, a tab, a carriage return) is written as text, and
reads back as it was written, so an exported ledger still imports to the same records."""

import re
from collections.abc import Iterable
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
