"""The dashboard: the figures with 同比, each opening exactly the records it counts; a chief
sees only their station; the export and the printed brief; the demo's 2023 is the article's."""

import io
import re
from datetime import date

import pytest
from openpyxl import load_workbook
from sqlmodel import select

from liaison import demo
from liaison.auth.roles import Role
from liaison.config import get_settings
from liaison.metrics.dashboard import league
from liaison.metrics.service import compute
from liaison.org.models import Station
from tests.factories import login_as, make_officer
from tests.ledger.books import workbook
from tests.metrics.test_metrics import SMALL, load

Q1 = "period=custom&from=2025-01-01&to=2025-03-31"


@pytest.fixture
def small(db):
    load(db, workbook(SMALL))
    return {s.code: s for s in db.exec(select(Station)).all()}


def total(page: str) -> int:
    return int(re.search(r'data-testid="records-total">(\d+)<', page).group(1))


@pytest.mark.parametrize(
    ("figure", "expected"),
    [
        ("hazards.found", 3),
        ("hazards.closed", 1),
        ("hazards.open", 2),
        ("hazards.overdue", 1),
        ("areas.found", 1),
        ("disputes.received", 2),
        ("disputes.resolved", 1),
        ("recoveries.count", 3),
        ("requests.received", 3),
        ("requests.closed", 1),
        ("requests.in_sla", 1),
    ],
)
def test_each_figure_opens_exactly_the_records_it_counts(client, db, small, figure, expected):
    login_as(client, db, Role.LEADER)
    page = client.get(f"/dashboard/records?{Q1}&figure={figure}").text
    assert total(page) == expected
    domain, name = figure.split(".")
    assert compute(db, date(2025, 1, 1), date(2025, 3, 31))[domain].get(name, expected) == expected


def test_a_breakdown_opens_its_share(client, db, small):
    login_as(client, db, Role.LEADER)
    page = client.get(f"/dashboard/records?{Q1}&figure=hazards.found&level=重大").text
    assert total(page) == 1 and ">H2</a>" in page and ">H1</a>" not in page
    assert client.get(f"/dashboard/records?{Q1}&figure=nothing.here").status_code == 404


def test_the_cards_show_the_period_and_a_year_earlier(client, db, small):
    login_as(client, db, Role.LEADER)
    page = client.get(f"/dashboard?{Q1}").text
    kpis = re.sub(r"\s+", " ", page.split('data-testid="kpis"')[1].split('class="card"')[0])
    assert "发现隐患" in kpis and "去年同期 0" in kpis
    assert "figure=hazards.overdue" in kpis
    assert 'data-testid="league"' in page and "城关派出所" in page


def test_a_chief_sees_their_own_station_only(client, db, small):
    login_as(client, db, Role.CHIEF, officer=make_officer(db, small["S02"]))
    page = client.get(f"/dashboard?{Q1}").text
    assert "开发区派出所" in page and "城关派出所" not in page
    assert client.get(f"/dashboard?{Q1}&station=S01").status_code == 404
    records = client.get(f"/dashboard/records?{Q1}&figure=hazards.found").text
    assert total(records) == 1 and "H3" in records


def test_officers_and_enterprises_get_no_dashboard(client, db, small):
    login_as(client, db, Role.OFFICER, officer=make_officer(db, small["S01"]))
    assert client.get("/dashboard").status_code == 403


def test_the_export_carries_the_figures_and_the_records(client, db, small):
    login_as(client, db, Role.LEADER)
    response = client.get(f"/dashboard/export.xlsx?{Q1}")
    book = load_workbook(io.BytesIO(response.content), read_only=True)
    assert book.sheetnames == ["指标", "隐患", "纠纷", "挽回损失", "诉求"]
    figures = {r[0]: r[1] for r in book["指标"].iter_rows(values_only=True) if len(r) > 1}
    assert figures["发现隐患"] == 3 and figures["化解矛盾纠纷"] == 1  # numbers: SUM works
    assert 0 <= figures["隐患整改率"] <= 1  # a rate, shown as a percentage
    assert isinstance(figures["挽回损失(元)"], int | float)
    hazards = [row[0] for row in book["隐患"].iter_rows(min_row=2, values_only=True)]
    assert sorted(hazards) == ["H1", "H2", "H3", "H5"]  # found in the period, areas included


def test_the_brief_reads_as_a_brief_issue_issuer_and_a_summary_of_the_figures(
    client, db, small, monkeypatch
):
    """Its page count is the browser's to tell (tests/e2e/test_dashboard_journey.py); here, what
    it says: the issue the period closes, the bureau that issues it, and the figures in words."""
    monkeypatch.setenv("LIAISON_BUREAU_NAME", "滨江市公安局城南分局")
    get_settings.cache_clear()
    login_as(client, db, Role.LEADER)
    page = client.get(f"/dashboard/brief?{Q1}").text
    issue = re.search(r'data-testid="brief-issue">([^<]+)<', page).group(1)
    assert issue == "2025年第3期" and "滨江市公安局城南分局" in page
    summary = re.search(r'data-testid="brief-summary">([^<]+)<', page).group(1)
    assert summary.startswith("2025年1月1日至2025年3月31日，全区")
    assert "排查隐患3处" in summary and "已整改1处" in summary
    assert "受理企业诉求3件" in summary and "办结1件" in summary
    stations = page.split('data-testid="brief-stations"')[1].split("</table>")[0]
    assert "城关派出所" in stations and "开发区派出所" in stations


def test_the_demo_reproduces_the_article_for_2023(db):
    demo.load(db, get_settings())
    db.commit()
    m = compute(db, date(2023, 1, 1), date(2023, 12, 31))
    assert (m["projects"]["active"], m["projects"]["with_officer"]) == (264, 264)
    assert (m["areas"]["found"], m["areas"]["closed"]) == (4, 4)
    assert (m["hazards"]["found"], m["hazards"]["closed"]) == (106, 106)
    assert (m["disputes"]["received"], m["disputes"]["resolved"]) == (142, 142)
    assert (m["recoveries"]["total_fen"], m["recoveries"]["total_display"]) == (
        714_760_000,
        "714.76 万元",
    )
    assert (m["requests"]["received"], m["requests"]["closed"]) == (144, 144)
    assert m["requests"]["closure_rate"] == 1.0


def _station(code, hazards, disputes, requests):
    """A by_station row of the metrics JSON: (closed, found), (resolved, received), (closed,
    received)."""
    return {
        "code": code,
        "name": code,
        "projects": {"active": 1, "with_officer": 1},
        "hazards": {"closed": hazards[0], "found": hazards[1]},
        "disputes": {"resolved": disputes[0], "received": disputes[1]},
        "requests": {"closed": requests[0], "received": requests[1]},
        "recoveries": {"total_fen": 0},
    }


def test_tied_stations_share_a_rank_and_the_next_one_skips():
    rows = league(
        [
            _station("A", (1, 3), (1, 3), (1, 3)),  # 1/3 each: a third
            _station("B", (2, 2), (3, 3), (4, 4)),  # all done
            _station("C", (1, 1), (2, 2), (5, 5)),  # all done: tied with B
            _station("D", (2, 6), (1, 3), (3, 9)),  # a third again, in other numbers
            _station("E", (0, 0), (0, 0), (0, 1)),  # one case: too few to rank
        ],
        min_cases=3,
    )
    assert [(r["code"], r.get("rank")) for r in rows] == [
        ("B", 1),
        ("C", 1),
        ("A", 3),
        ("D", 3),
        ("E", None),
    ]


def test_a_drill_down_lists_by_date_and_the_recoveries_one_adds_up_under_its_amounts(
    client, db, small
):
    login_as(client, db, Role.LEADER)
    page = client.get(f"/dashboard/records?{Q1}&figure=hazards.found").text
    days = re.findall(r"<td>(\d{4}-\d{2}-\d{2})</td>", page)
    assert days and days == sorted(days, reverse=True)
    ledger = client.get(f"/dashboard/records?{Q1}&figure=recoveries.count").text
    head = ledger.split("<thead>")[1].split("</thead>")[0]
    assert "金额" in head and "状态" not in head
    m = compute(db, date(2025, 1, 1), date(2025, 3, 31))
    shown = re.search(r'data-testid="records-sum">([^<]+)<', ledger).group(1)
    assert shown == f"¥{m['recoveries']['total_fen'] / 100:,.2f}"  # the figure's own total
