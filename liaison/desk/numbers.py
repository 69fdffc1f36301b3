"""Tracking numbers (受理编号): the day, then 8 characters nobody guesses, read aloud as two groups
of 4 (YY20261207-7KQ4-M2XD), and the number as people type it made into the one stored. Numbers
given before they were random (YY20261128-0042) stay valid."""

import re
import secrets
import unicodedata

# A tracking number and the phone's last 4 digits show a request's text to whoever has them, so
# the number is drawn, not counted (…-0001, …-0002 were guessed by counting): the day, then 8
# characters of Crockford's base32 (no I, L, O or U, which are misread), 32**8 ≈ 10**12 a day,
# in two groups of 4 to read out over the phone: YY20261206-7KQ4-M2XD. The counted numbers
# given before stay valid.
TRACKING_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_TRACKING = re.compile(rf"YY(\d{{8}})(?:([{TRACKING_ALPHABET}]{{8}})|(\d{{4}}))")
_MISREAD = str.maketrans("OIL", "011")
_DASHES = re.compile(r"[\s\-\u2010-\u2015\u2212_]")  # and the dashes of a Chinese keyboard


def drawn() -> str:
    """The random part of a tracking number: 8 characters, read out as two groups of 4."""
    picked = "".join(secrets.choice(TRACKING_ALPHABET) for _ in range(8))
    return f"{picked[:4]}-{picked[4:]}"


def tracking_number(text: str) -> str:
    """A tracking number as it is typed or read out, in the form it is stored: any case, spaces
    and dashes anywhere or none, full-width characters, O for 0, I or L for 1. Anything else (a
    number an older ledger brought) trimmed and in capitals, as before."""
    typed = unicodedata.normalize("NFKC", text).strip().upper()
    compact = _DASHES.sub("", typed)
    found = _TRACKING.fullmatch(compact[:2] + compact[2:].translate(_MISREAD))
    if found is None:
        return typed
    day, drawn, counted = found.groups()
    return f"YY{day}-{drawn[:4]}-{drawn[4:]}" if drawn else f"YY{day}-{counted}"
