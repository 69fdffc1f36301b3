"""Unified social credit code (统一社会信用代码) check, GB 32100-2015."""

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
WEIGHTS = [pow(3, i, 31) for i in range(17)]


def uscc_check_char(first17: str) -> str:
    total = sum(ALPHABET.index(c) * w for c, w in zip(first17, WEIGHTS, strict=True))
    return ALPHABET[(31 - total % 31) % 31]


def normalise_uscc(raw: str) -> str:
    """Upper-case, strip spaces, and turn full-width characters into half-width."""
    text = raw.strip().upper()
    return "".join(chr(ord(c) - 0xFEE0) if "！" <= c <= "～" else c for c in text)


def uscc_error(code: str) -> str | None:
    """Why the code is not a valid USCC, in Chinese, or None if it is."""
    if len(code) != 18:
        return "统一社会信用代码应为 18 位"
    if any(c not in ALPHABET for c in code):
        return "统一社会信用代码含有非法字符（不含 I、O、Z、S、V）"
    if uscc_check_char(code[:17]) != code[17]:
        return "统一社会信用代码校验位不正确"
    return None
