"""Money is integer fen inside; people type and read yuan (¥1,234.56) or 万元 (714.76 万元)."""

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

FEN_PER_YUAN = 100
FEN_PER_WAN = 1_000_000
MAX_FEN = 10**15  # ten trillion yuan: far above any project, well inside BIGINT


def parse_amount(text: str, *, unit: int = FEN_PER_YUAN) -> int:
    """Exact fen from a typed amount in yuan (unit=100) or 万元 (unit=1,000,000): commas, spaces
    and full-width digits allowed; more precision than a fen is an error, never rounded away."""
    cleaned = text.strip().translate(str.maketrans("０１２３４５６７８９．，－", "0123456789.,-"))
    cleaned = cleaned.replace(",", "").replace(" ", "").lstrip("¥￥")
    try:
        typed = Decimal(cleaned)
    except InvalidOperation:
        raise ValueError("请填写数字金额") from None
    if not typed.is_finite():  # NaN, Infinity
        raise ValueError("请填写数字金额")
    # Out of range before it is multiplied: 1e999999 × unit overflows the decimal context.
    if typed.adjusted() > len(str(MAX_FEN)):
        raise ValueError("金额过大")
    value = typed * unit
    if value != value.to_integral_value():
        raise ValueError("金额最多精确到分")
    if abs(value) > MAX_FEN:
        raise ValueError("金额过大")
    return int(value)


def yuan(fen: int | None) -> str:
    """¥1,234.56 (negative: -¥1,234.56)."""
    if fen is None:
        return ""
    sign = "-" if fen < 0 else ""
    whole, cents = divmod(abs(fen), 100)
    return f"{sign}¥{whole:,}.{cents:02d}"


def wan(fen: int | None, places: int = 2) -> str:
    """714.76 万元, rounded half up to `places` decimals for display only."""
    if fen is None:
        return ""
    amount = (Decimal(fen) / FEN_PER_WAN).quantize(Decimal(1).scaleb(-places), ROUND_HALF_UP)
    return f"{amount:,} 万元"


def wan_input(fen: int | None) -> str:
    """The exact 万元 figure for an edit form (no rounding, no grouping)."""
    if fen is None:
        return ""
    return format((Decimal(fen) / FEN_PER_WAN).normalize(), "f")


_DIGITS = "零壹贰叁肆伍陆柒捌玖"
_SMALL_UNITS = ["", "拾", "佰", "仟"]
_BIG_UNITS = ["", "万", "亿", "万亿"]


def _four_digits(group: int) -> str:
    """Capitals for 1–9999 with zeros folded: 1010 → 壹仟零壹拾."""
    text, zero = "", False
    for position in range(3, -1, -1):
        digit = group // 10**position % 10
        if digit == 0:
            zero = bool(text)
            continue
        if zero:
            text += "零"
            zero = False
        text += _DIGITS[digit] + _SMALL_UNITS[position]
    return text


def _yuan_upper(yuan_part: int) -> str:
    """Capitals for whole yuan, four digits per 万 or 亿 group: a gap between groups, or a
    group under a thousand after a larger one, is read as 零."""
    groups = []
    while yuan_part:
        yuan_part, group = divmod(yuan_part, 10_000)
        groups.append(group)
    words, pending_zero = "", False
    for index in range(len(groups) - 1, -1, -1):
        group = groups[index]
        if group == 0:
            pending_zero = bool(words)
            continue
        if words and (pending_zero or group < 1000):
            words += "零"
        words += _four_digits(group) + _BIG_UNITS[index]
        pending_zero = False
    return words


def _cents_upper(whole: int, jiao: int, fen_digit: int) -> str:
    """角 and 分 after the yuan; a zero in the units of yuan, or no jiao between yuan and fen,
    is read as 零."""
    words = ""
    if whole and (whole % 10 == 0 or not jiao):
        words += "零"
    if jiao:
        words += _DIGITS[jiao] + "角"
    if fen_digit:
        words += _DIGITS[fen_digit] + "分"
    return words


def rmb_upper(fen: int) -> str:
    """人民币大写 as written on financial documents: ¥7,147,600.00 → 柒佰壹拾肆万柒仟陆佰元整."""
    if fen < 0:
        return "负" + rmb_upper(-fen)
    whole, cents = divmod(fen, 100)
    jiao, fen_digit = divmod(cents, 10)
    words = _yuan_upper(whole) + "元" if whole else ""
    if not jiao and not fen_digit:
        return (words or "零元") + "整"
    return words + _cents_upper(whole, jiao, fen_digit)
