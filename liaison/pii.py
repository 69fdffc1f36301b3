"""Personal data for display (GB/T 35273): masked phones (138****1234), ID numbers and names,
the same numbers found in free text, and the ID number check."""

import hashlib
import hmac
import re
from collections.abc import Callable

from liaison.config import Settings


def mask_phone(phone: str | None) -> str:
    """Keep the first three and last four characters of a phone number; hide the rest."""
    if not phone:
        return ""
    if len(phone) < 8:
        return "*" * (len(phone) - 2) + phone[-2:] if len(phone) > 2 else "*" * len(phone)
    return phone[:3] + "****" + phone[-4:]


_ID_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
_ID_CHECK = "10X98765432"


def id_number_error(number: str) -> str | None:
    """Why an 18-digit resident ID number (GB 11643) is not valid, or None."""
    if len(number) != 18 or not number[:17].isdigit() or number[17] not in "0123456789X":
        return "身份证号应为 18 位，末位可为 X"
    total = sum(int(d) * w for d, w in zip(number[:17], _ID_WEIGHTS, strict=True))
    if _ID_CHECK[total % 11] != number[17]:
        return "身份证号校验位不正确"
    return None


def mask_id(number: str | None) -> str:
    """110***********123X: the region and the last four stay."""
    if not number:
        return ""
    return (
        number[:3] + "*" * (len(number) - 7) + number[-4:] if len(number) > 7 else "*" * len(number)
    )


def mask_name(name: str | None) -> str:
    """张*: the surname stays, the given name goes."""
    if not name:
        return ""
    return name[0] + "*" * (len(name) - 1)


# Numbers that identify a person in free text, read once its full-width digits are ASCII
# (`_FULL_WIDTH`): resident ID numbers (18 characters with a birth date inside, the last maybe
# X, or the old 15 digits), mobiles (maybe +86 in front), landlines with their area code; a
# space or a dash may stand between the usual groups (110105 19491231 002X, 138-1234-5678,
# (0755) 8888 6666). Never part of a longer run of digits or letters (a credit code, a tracking
# number such as YY20261206-0001), nor of an amount or a date (13812345678.50, 2026-12-06).
_SEP = r"[ \t-]?"
_BIRTH = rf"(?:18|19|20)\d{{2}}{_SEP}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])"
_OLD_BIRTH = r"\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])"
NUMBERS_IN_TEXT = re.compile(
    r"(?<![\dA-Za-z])(?<!\d[.-])"
    rf"(?:(?P<id>\d{{6}}{_SEP}{_BIRTH}{_SEP}\d{{3}}[\dXx]|\d{{6}}{_OLD_BIRTH}\d{{3}})"
    rf"|(?:\+?86{_SEP})?1[3-9]\d{_SEP}\d{{4}}{_SEP}\d{{4}}"
    rf"|\(?0\d{{2,3}}\)?{_SEP}\d{{3,4}}{_SEP}\d{{4}})"
    r"(?![\dA-Za-z]|[.-]\d)",
    re.ASCII,
)
_FULL_WIDTH = str.maketrans("０１２３４５６７８９Ｘｘ－＋（）　", "0123456789Xx-+() ")


def _masked(found: re.Match[str]) -> str:
    number = re.sub(r"[\s()-]", "", found.group())
    number = re.sub(r"^\+?86(?=1\d{10}$)", "", number)  # 138****5678, not +86****5678
    return mask_id(number.upper()) if found.group("id") else mask_phone(number)


def _replaced(text: str | None, replace: Callable[[re.Match[str]], str]) -> str:
    """`text` with each number `NUMBERS_IN_TEXT` finds in it replaced; full-width digits are
    read as ASCII (same length, so the text around the numbers stays as it was typed)."""
    text = text or ""
    narrow = text.translate(_FULL_WIDTH)
    parts, end = [], 0
    for found in NUMBERS_IN_TEXT.finditer(narrow):
        parts += [text[end : found.start()], replace(found)]
        end = found.end()
    return "".join([*parts, text[end:]])


def mask_numbers(text: str | None) -> str:
    """Free text with every phone or ID number in it masked (138****5678): what every page,
    list export, dashboard workbook and audit row shows of a text someone typed."""
    return _replaced(text, _masked)


def strip_numbers(text: str | None, replacement: str = "[号码已删除]") -> str:
    """Free text with every phone or ID number in it removed (de-identification)."""
    return _replaced(text, lambda _found: replacement)


def keep_if_masked(submitted: str, stored: str | None) -> str:
    """What an edit form's phone field means: its masked value sent back unchanged keeps the
    number on record (the form never shows it whole); anything else replaces it."""
    if stored and submitted == mask_phone(stored):
        return stored
    return submitted


def pseudonym(settings: Settings, value: str) -> str:
    """A keyed hash standing for a phone or ID number where only equality matters (abuse
    counters): the same number gives the same pseudonym, and the table holds no number."""
    digest = hmac.new(settings.secret_key.encode(), value.encode(), hashlib.sha256)
    return digest.hexdigest()[:32]
