"""What the dashboard shows, from the metrics JSON: the period chosen, the headline cards with
同比, the month-by-month trend drawn as SVG, the station league table."""

from dataclasses import dataclass
from datetime import date
from fractions import Fraction
from typing import Any

from liaison.money import wan

KINDS = {"month": "本月", "quarter": "本季度", "year": "本年", "custom": "自定义"}


def choose_period(
    kind: str, start: date | None, end: date | None, today: date
) -> tuple[date, date]:
    """The period a picker asks for; custom needs both days and puts them in order."""
    if kind == "custom" and start and end:
        return (start, end) if start <= end else (end, start)
    if kind == "month":
        return today.replace(day=1), today
    if kind == "quarter":
        return date(today.year, (today.month - 1) // 3 * 3 + 1, 1), today
    return date(today.year, 1, 1), today


@dataclass(frozen=True)
class Card:
    label: str
    value: str
    previous: str  # the same figure a year earlier, as shown
    change: float | None  # 同比, in percent
    figure: str = ""  # the drill-down behind it, e.g. "hazards.overdue"
    good_when_up: bool = True
    # The figure and its year-earlier one as numbers, for a workbook: a count, a rate in
    # [0, 1], or fen (`unit`).
    number: float | None = None
    number_before: float | None = None
    unit: str = "count"


def _percent(rate: float | None) -> str:
    return "—" if rate is None else f"{rate * 100:.1f}%"


def change(now: float | None, before: float | None) -> float | None:
    if now is None or before is None or before == 0:
        return None
    return (now - before) / abs(before) * 100


def cards(m: dict[str, Any]) -> list[Card]:
    before = m["previous_year"]
    h, bh = m["hazards"], before["hazards"]
    a, ba = m["areas"], before["areas"]
    d, bd = m["disputes"], before["disputes"]
    r, br = m["recoveries"], before["recoveries"]
    q, bq = m["requests"], before["requests"]

    def count(label: str, now: int, then: int, figure: str, good_when_up: bool = True) -> Card:
        shown, before = f"{now:,}", f"{then:,}"
        return Card(label, shown, before, change(now, then), figure, good_when_up, now, then)

    def share(label: str, now: float | None, then: float | None, figure: str) -> Card:
        shown, before = _percent(now), _percent(then)
        return Card(label, shown, before, change(now, then), figure, True, now, then, "rate")

    coverage = m["projects"]
    rate = coverage["coverage_rate"]
    return [
        Card("项目警官覆盖率", _percent(rate), "", None, "", True, rate, None, "rate"),
        count("发现隐患", h["found"], bh["found"], "hazards.found"),
        share("隐患整改率", h["rectification_rate"], bh["rectification_rate"], "hazards.closed"),
        count("逾期未整改", h["overdue"], bh["overdue"], "hazards.overdue", good_when_up=False),
        count("周边治安复杂区域", a["found"], ba["found"], "areas.found"),
        count("化解矛盾纠纷", d["resolved"], bd["resolved"], "disputes.resolved"),
        Card(
            "挽回损失",
            wan(r["total_fen"]),
            wan(br["total_fen"]),
            change(r["total_fen"], br["total_fen"]),
            "recoveries.count",
            True,
            r["total_fen"],
            br["total_fen"],
            "fen",
        ),
        count("诉求办结", q["closed"], bq["closed"], "requests.closed"),
        share("诉求办结率", q["closure_rate"], bq["closure_rate"], "requests.closed"),
        share(
            "按时响应率", q["responded_in_sla_rate"], bq["responded_in_sla_rate"], "requests.in_sla"
        ),
        share("满意率", q["satisfaction_rate"], bq["satisfaction_rate"], "requests.received"),
    ]


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    height: float
    label: str
    value: str


@dataclass(frozen=True)
class Chart:
    """One series as bars, in a 100 × 40 viewBox; scaled to the largest month."""

    title: str
    bars: list[Bar]
    width: float


SERIES = [
    ("hazards_found", "隐患发现（件）"),
    ("disputes_received", "纠纷受理（件）"),
    ("requests_received", "诉求受理（件）"),
    ("recoveries_fen", "挽回损失（万元）"),
]


def trend(by_month: list[dict[str, Any]]) -> list[Chart]:
    charts = []
    slot = 100 / max(len(by_month), 1)
    for key, title in SERIES:
        values = [row[key] for row in by_month]
        top = max([abs(v) for v in values] + [1])
        bars = []
        for n, (row, value) in enumerate(zip(by_month, values, strict=True)):
            height = 30 * max(value, 0) / top  # room above the tallest bar for its label
            shown = wan(value).removesuffix(" 万元") if key == "recoveries_fen" else str(value)
            bars.append(Bar(n * slot + slot * 0.15, 36 - height, height, row["month"][5:], shown))
        charts.append(Chart(title, bars, slot * 0.7))
    return charts


def league(by_station: list[dict[str, Any]], min_cases: int) -> list[dict[str, Any]]:
    """Stations ranked by the mean of their rectification, resolution and closure rates, tied
    stations sharing a rank (1, 1, 3: the rates are exact fractions, so a tie is a tie); a
    station with fewer cases than `min_cases` is listed, unranked (too few to judge)."""
    rows = []
    for s in by_station:
        h, d, q = s["hazards"], s["disputes"], s["requests"]
        rates = [
            Fraction(part, whole)
            for part, whole in (
                (h["closed"], h["found"]),
                (d["resolved"], d["received"]),
                (q["closed"], q["received"]),
            )
            if whole
        ]
        cases = h["found"] + d["received"] + q["received"]
        score = sum(rates) / len(rates) if rates and cases >= min_cases else None
        coverage = (
            s["projects"]["with_officer"] / s["projects"]["active"]
            if s["projects"]["active"]
            else None
        )
        rows.append({**s, "cases": cases, "score": score, "coverage": coverage})
    ranked = sorted((r for r in rows if r["score"] is not None), key=lambda r: -r["score"])
    for n, row in enumerate(ranked):
        tied = n and row["score"] == ranked[n - 1]["score"]
        row["rank"] = ranked[n - 1]["rank"] if tied else n + 1
    for row in ranked:
        row["score"] = float(row["score"])
    return ranked + [r for r in rows if r["score"] is None]
