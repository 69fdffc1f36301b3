"""Personal data for display (GB/T 35273): masked phones (138****1234), ID numbers and names,
the same numbers found in free text, and the ID number check."""

import hashlib
import hmac
import re

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


# Numbers that identify a person in free text: resident ID numbers (18 digits, or the old 15),
# mobiles (maybe +86 in front, spaces or dashes between the groups), landlines with their area
# code. Never part of a longer run of digits or letters (a credit code, a tracking number).
NUMBERS_IN_TEXT = re.compile(
    r"(?<![\dA-Za-z])(?:(?P<id>\d{17}[\dXx]|\d{15})"
    r"|(?P<phone>(?:\+?86[\s-]?)?1[3-9]\d[\s-]?\d{4}[\s-]?\d{4}|0\d{2,3}-?\d{7,8}))(?![\dA-Za-z])"
)


def _masked(found: re.Match[str]) -> str:
    if found.group("id"):
        return mask_id(found.group("id"))
    return mask_phone(re.sub(r"[\s-]", "", found.group("phone")))


def mask_numbers(text: str | None) -> str:
    """Free text with every phone or ID number in it masked."""
    return NUMBERS_IN_TEXT.sub(_masked, text or "")


def strip_numbers(text: str | None, replacement: str = "[号码已删除]") -> str:
    """Free text with every phone or ID number in it removed (de-identification)."""
    return NUMBERS_IN_TEXT.sub(replacement, text or "")


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
