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
        value = Decimal(cleaned) * unit
    except InvalidOperation:
        raise ValueError("请填写数字金额") from None
    if not value.is_finite() or value != value.to_integral_value():
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
