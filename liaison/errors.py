"""The one error a domain's rule raises: a message in Chinese for the person, and the field it
belongs beside (None: the form as a whole). Each domain names its own subclass, so a caller
catches only the refusals of the service it called."""

from collections.abc import Iterable
from datetime import date

from liaison.clock import FIRST_DAY

# (field, reason): what a rule finds wrong, before anything is written.
Problems = list[tuple[str, str]]


def problems(*checks: tuple[bool, str, str]) -> Problems:
    """(field, reason) of each (broken?, field, reason) check that is broken: a rule lists them
    all for a ledger import, and a service refuses with the first (`FieldError.refuse`)."""
    return [(field, reason) for broken, field, reason in checks if broken]


def happened_checks(day: date, field: str, label: str, as_of: date) -> list[tuple[bool, str, str]]:
    """The checks of a day something happened, seen on `as_of`: not after it, and not before
    the calendar the app keeps (FIRST_DAY: year 0001 made codes such as WH10101-0001)."""
    return [
        (day > as_of, field, f"{label}不能晚于今天"),
        (day < FIRST_DAY, field, f"{label}不能早于 {FIRST_DAY}"),
    ]


class FieldError(ValueError):
    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field

    @classmethod
    def refuse(cls, found: Iterable[tuple[str, str]]) -> None:
        """Raise the first of the (field, reason) problems found, if any."""
        for field, reason in found:
            raise cls(reason, field)
