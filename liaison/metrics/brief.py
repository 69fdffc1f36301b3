"""The printed brief (营商环境工作简报) as a document, written from the metrics JSON: its issue
number, a summary paragraph in the words a bureau's brief uses ("今年以来…，同比…"), and each
station's figures with their 同比. The page (templates/metrics/brief.html) lays it out on one A4
sheet."""

from dataclasses import dataclass
from datetime import date
from typing import Any

from liaison.metrics.dashboard import change
from liaison.money import wan


def issue(end: date) -> str:
    """The monthly brief's number: the month it closes, counted in its year."""
    return f"{end.year}年第{end.month}期"


def period_words(start: date, end: date, today: date) -> str:
    if start == date(end.year, 1, 1) and end == today:
        return "今年以来"
    if start == date(end.year, 1, 1) and end == date(end.year, 12, 31):
        return f"{end.year}年"
    return f"{start.year}年{start.month}月{start.day}日至{end.year}年{end.month}月{end.day}日"


def trend_words(now: float | None, before: float | None) -> str:
    """同比 as a brief writes it; nothing when there is no year-earlier figure to compare."""
    percent = change(now, before)
    if percent is None:
        return ""
    if abs(percent) < 0.05:
        return "，同比持平"
    return f"，同比{'上升' if percent > 0 else '下降'}{abs(percent):.1f}%"


def _rate(rate: float | None) -> str:
    return "—" if rate is None else f"{rate * 100:.1f}%"


def summary(m: dict[str, Any], place: str, when: str) -> list[str]:
    """The summary paragraph, one clause per part of the work."""
    before = m["previous_year"]
    p, h, d, r, q = m["projects"], m["hazards"], m["disputes"], m["recoveries"], m["requests"]
    bh, bd, br, bq = before["hazards"], before["disputes"], before["recoveries"], before["requests"]
    return [
        f"{when}，{place}{p['active']:,}个重点项目中{p['with_officer']:,}个配有项目警官，"
        f"覆盖率{_rate(p['coverage_rate'])}",
        f"排查隐患{h['found']:,}处{trend_words(h['found'], bh['found'])}，"
        f"已整改{h['closed']:,}处，整改率{_rate(h['rectification_rate'])}",
        f"化解矛盾纠纷{d['resolved']:,}起（受理{d['received']:,}起）"
        f"{trend_words(d['resolved'], bd['resolved'])}",
        f"为企业挽回损失{wan(r['total_fen'])}{trend_words(r['total_fen'], br['total_fen'])}",
        f"受理企业诉求{q['received']:,}件{trend_words(q['received'], bq['received'])}，"
        f"办结{q['closed']:,}件，按时响应率{_rate(q['responded_in_sla_rate'])}，"
        f"满意率{_rate(q['satisfaction_rate'])}",
    ]


@dataclass(frozen=True)
class Figure:
    """One cell of the station table: the figure, its part done, and its 同比 in percent."""

    shown: str
    change: float | None


@dataclass(frozen=True)
class StationRow:
    name: str
    coverage: str
    hazards: Figure
    disputes: Figure
    requests: Figure
    recoveries: Figure


def stations(m: dict[str, Any], a_year_earlier: dict[str, Any]) -> list[StationRow]:
    """Each station's work with its 同比, from the period's and the year-earlier period's
    by_station rows."""
    before = {s["code"]: s for s in a_year_earlier["by_station"]}
    rows = []
    for s in m["by_station"]:
        b = before.get(s["code"])
        h, d, q, r = s["hazards"], s["disputes"], s["requests"], s["recoveries"]
        projects = s["projects"]
        rows.append(
            StationRow(
                s["name"],
                f"{projects['with_officer']}/{projects['active']}",
                Figure(
                    f"{h['closed']}/{h['found']}", change(h["found"], b and b["hazards"]["found"])
                ),
                Figure(
                    f"{d['resolved']}/{d['received']}",
                    change(d["received"], b and b["disputes"]["received"]),
                ),
                Figure(
                    f"{q['closed']}/{q['received']}",
                    change(q["received"], b and b["requests"]["received"]),
                ),
                Figure(
                    wan(r["total_fen"]), change(r["total_fen"], b and b["recoveries"]["total_fen"])
                ),
            )
        )
    return rows
