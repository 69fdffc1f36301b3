"""The metrics against hand-computed figures on a small ledger of our own (period edges,
closing after `to`, reversals, requests without a project, a station, empty periods, 同比),
against the sample's independently computed figures, and the same JSON from CLI and API."""

import json
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlmodel import select
from typer.testing import CliRunner

from liaison.auth import service as auth_service
from liaison.auth.roles import Role
from liaison.cli import app
from liaison.config import get_settings
from liaison.ledger import importer
from liaison.ledger.reader import open_source
from liaison.metrics.service import compute
from liaison.org.models import Officer, Station
from liaison.projects.models import Project, VisitKind
from liaison.projects.service import log_visit
from tests.factories import make_officer, make_user
from tests.ledger.books import SAMPLES, workbook

E1 = "91350100MA0000001P"
SMALL = {
    "派出所": [["S01", "城关派出所"], ["S02", "开发区派出所"]],
    "民警": [["6001", "王", "S01", None], ["6002", "李", "S02", None]],
    "企业": [[E1, "星河科技", "科技", "", "", "", ""]],
    "重点项目": [
        ["XM1", "一号", E1, "市级", "", "在建", None, "S01", "6001", "2024-01-01"],
        ["XM2", "二号", E1, "区级", "", "在建", None, "S01", None, None],
        ["XM3", "三号", E1, "区级", "", "在建", None, "S02", "6002", "2024-01-01"],
    ],
    "隐患": [
        # the first day of the period, closed inside it
        [
            "H1",
            "XM1",
            "消防安全",
            "一般",
            "x",
            "2025-01-01",
            "6001",
            "2025-01-10",
            "已销号",
            "2025-01-05",
        ],
        # the last day, its deadline after the period: open, not overdue
        ["H2", "XM1", "治安防范", "重大", "x", "2025-03-31", "6001", "2025-04-10", "待整改", None],
        # closed after `to`: open and overdue at the end of the period
        [
            "H3",
            "XM3",
            "交通安全",
            "较大",
            "x",
            "2025-02-01",
            "6002",
            "2025-02-10",
            "已销号",
            "2025-04-02",
        ],
        ["H4", "XM1", "消防安全", "一般", "x", "2024-12-31", "6001", "2025-01-31", "待整改", None],
        [
            "H5",
            "XM1",
            "周边治安复杂区域",
            "较大",
            "x",
            "2025-02-15",
            "6001",
            "2025-03-01",
            "已销号",
            "2025-03-01",
        ],
        [
            "H6",
            "XM1",
            "消防安全",
            "一般",
            "x",
            "2024-02-01",
            "6001",
            "2024-02-20",
            "已销号",
            "2024-02-10",
        ],
    ],
    "纠纷": [
        ["D1", "XM1", "劳资纠纷", "2025-01-15", None, "调解成功", "2025-01-20", "6001", ""],
        ["D2", "XM3", "合同纠纷", "2025-03-20", None, "调解成功", "2025-04-05", "6002", ""],
        ["D3", "XM2", "其他", "2025-04-01", None, "调解中", None, "6001", ""],
    ],
    "挽回损失": [
        ["W1", "XM1", "1000.00", "2025-01-10", "纠纷化解", "", "6001", ""],
        ["W2", "XM1", "-100.00", "2025-02-10", "纠纷化解", "W1", "6001", "冲正，期内"],
        ["W3", "XM3", "500.00", "2024-12-20", "其他", "", "6002", ""],
        ["W4", "XM3", "-50.00", "2025-03-31", "其他", "W3", "6002", "冲正期外的登记"],
        ["W5", "XM1", "200.00", "2025-04-01", "其他", "", "6001", ""],
    ],
    "诉求": [
        [
            "R1",
            "咨询",
            "",
            "2025-01-01 00:00",
            "电话",
            None,
            "x",
            "",
            "",
            "2025-01-01 10:00",
            "2025-01-03 00:00",
            "已办结",
            "满意",
        ],
        [
            "R2",
            "求助",
            "",
            "2025-03-31 23:59",
            "电话",
            "XM1",
            "x",
            "",
            "",
            "2025-04-02 00:00",
            "2025-04-03 00:00",
            "已办结",
            "不满意",
        ],
        [
            "R3",
            "求助",
            "",
            "2025-04-01 00:00",
            "电话",
            "XM3",
            "x",
            "",
            "",
            None,
            None,
            "待受理",
            None,
        ],
        [
            "R4",
            "投诉",
            "",
            "2025-02-01 08:00",
            "电话",
            "XM3",
            "x",
            "",
            "",
            None,
            None,
            "待受理",
            None,
        ],
    ],
}
Q1 = (date(2025, 1, 1), date(2025, 3, 31))


def load(db, data) -> None:  # type: ignore[no-untyped-def]
    with open_source(data, "ledger.xlsx") as source:
        plan = importer.check(db, source, get_settings())
    assert plan.ok, plan.problems
    importer.apply(db, plan, by_user_id=None)
    db.commit()


@pytest.fixture
def small(db):
    load(db, workbook(SMALL))
    return {s.code: s for s in db.exec(select(Station)).all()}


def _visit(db, project_code: str, officer_badge: str, on: date) -> None:
    project = db.exec(select(Project).where(Project.code == project_code)).one()
    officer = db.exec(select(Officer).where(Officer.badge_no == officer_badge)).one()
    log_visit(
        db, project, officer, visit_date=on, kind=VisitKind.VISIT, summary="走访", by_user_id=None
    )
    db.commit()


def test_visits_in_the_period_and_overdue_now_by_hand(db, small, travel):
    # On 1 May 2025: XM1 was last visited in February (overdue after 30 days), XM2 was never
    # visited, XM3 a week ago; only XM1's February visit falls in Q1.
    travel.to(datetime(2025, 5, 1, 4, tzinfo=UTC))
    _visit(db, "XM1", "6001", date(2025, 2, 10))
    _visit(db, "XM3", "6002", date(2025, 4, 24))
    projects = compute(db, *Q1)["projects"]
    assert (projects["visits"], projects["overdue_visits"]) == (1, 2)


def test_every_figure_by_hand(db, small):
    m = compute(db, *Q1)
    assert m["period"] == {"from": "2025-01-01", "to": "2025-03-31", "station": None}
    # No visit logged: as things stand today all three active projects are overdue, the
    # uncovered XM2 included (counted from its first day).
    assert m["projects"] == {
        "active": 3,
        "with_officer": 2,
        "coverage_rate": 2 / 3,
        "visits": 0,
        "overdue_visits": 3,
    }
    assert m["hazards"] == {
        "found": 3,
        "closed": 1,
        "open": 2,
        "overdue": 1,
        "rectification_rate": 1 / 3,
        "by_level": {"一般": 1, "较大": 1, "重大": 1},
        "by_category": {
            "消防安全": 1,
            "治安防范": 1,
            "交通安全": 1,
            "生产安全": 0,
            "环境保护": 0,
            "其他": 0,
        },
    }
    assert m["areas"] == {
        "found": 1,
        "closed": 1,
        "open": 0,
        "overdue": 0,
        "rectification_rate": 1.0,
    }
    assert m["disputes"] == {
        "received": 2,
        "resolved": 1,
        "resolution_rate": 0.5,
        "by_type": {
            "劳资纠纷": 1,
            "合同纠纷": 1,
            "征地拆迁": 0,
            "阻工扰工": 0,
            "邻里纠纷": 0,
            "其他": 0,
        },
    }
    assert m["recoveries"] == {
        "total_fen": 85_000,
        "total_display": "0.09 万元",
        "count": 3,
        "by_source": {
            "电信诈骗返还": 0,
            "盗抢追赃": 0,
            "纠纷化解": 90_000,
            "欠薪追回": 0,
            "其他": -5_000,
        },
    }
    assert m["requests"] == {
        "received": 3,
        "closed": 1,
        "closure_rate": 1 / 3,
        "responded_in_sla_rate": 1 / 3,
        "mean_hours_to_response": pytest.approx((10 + 24 + 1 / 60) / 2),
        "mean_hours_to_close": 48.0,
        "satisfaction_rate": 0.5,
    }
    assert m["by_month"] == [
        {
            "month": "2025-01",
            "hazards_found": 1,
            "disputes_received": 1,
            "recoveries_fen": 100_000,
            "requests_received": 1,
        },
        {
            "month": "2025-02",
            "hazards_found": 1,
            "disputes_received": 0,
            "recoveries_fen": -10_000,
            "requests_received": 1,
        },
        {
            "month": "2025-03",
            "hazards_found": 1,
            "disputes_received": 1,
            "recoveries_fen": -5_000,
            "requests_received": 1,
        },
    ]


def test_by_station_leaves_requests_without_a_project_to_the_district(db, small):
    rows = {row["code"]: row for row in compute(db, *Q1)["by_station"]}
    assert rows["S01"] == {
        "code": "S01",
        "name": "城关派出所",
        "projects": {"active": 2, "with_officer": 1},
        "hazards": {"found": 2, "closed": 1},
        "disputes": {"received": 1, "resolved": 1},
        "recoveries": {"total_fen": 90_000},
        "requests": {"received": 1, "closed": 0},
    }
    assert rows["S02"]["requests"] == {"received": 1, "closed": 0}
    assert sum(r["requests"]["received"] for r in rows.values()) == 2  # R1 is in no station


def test_one_station(db, small):
    m = compute(db, *Q1, small["S02"])
    assert m["period"]["station"] == "S02"
    assert (m["hazards"]["found"], m["hazards"]["overdue"], m["areas"]["found"]) == (1, 1, 0)
    assert (m["recoveries"]["total_fen"], m["recoveries"]["count"]) == (-5_000, 1)
    assert m["requests"]["received"] == 1 and m["requests"]["closure_rate"] == 0.0
    assert m["requests"]["mean_hours_to_response"] is None
    assert [row["code"] for row in m["by_station"]] == ["S02"]


def test_a_year_earlier(db, small):
    earlier = compute(db, *Q1)["previous_year"]
    assert earlier["hazards"]["found"] == earlier["hazards"]["closed"] == 1
    assert earlier["hazards"]["rectification_rate"] == 1.0
    assert earlier["recoveries"]["total_fen"] == 0  # W3 is dated in December
    assert earlier["requests"]["closure_rate"] is None


def test_an_empty_period_has_no_rates_not_zero(db, small):
    m = compute(db, date(2030, 1, 1), date(2030, 1, 31))
    for section, key in (
        ("hazards", "rectification_rate"),
        ("areas", "rectification_rate"),
        ("disputes", "resolution_rate"),
        ("requests", "closure_rate"),
        ("requests", "responded_in_sla_rate"),
        ("requests", "mean_hours_to_response"),
        ("requests", "mean_hours_to_close"),
        ("requests", "satisfaction_rate"),
    ):
        assert m[section][key] is None, (section, key)
    assert m["recoveries"]["total_fen"] == 0 and len(m["by_month"]) == 1


def test_overdue_is_judged_today_for_a_period_not_over(db, small, travel):
    travel.to(
        __import__("datetime").datetime(
            2025, 2, 5, 12, tzinfo=__import__("liaison.clock", fromlist=["LOCAL_TZ"]).LOCAL_TZ
        )
    )
    m = compute(db, *Q1)
    assert m["hazards"]["overdue"] == 0  # H3's deadline, 10 February, has not passed yet


EXPECTED = json.loads((Path(SAMPLES) / "ledger-2025-expected.json").read_text())
YEAR = ["--from", "2025-01-01", "--to", "2025-12-31", "--json"]


def assert_matches(got, want, path=""):  # type: ignore[no-untyped-def]
    """Every figure the expected file gives (floats to the last bit but one)."""
    if isinstance(want, dict):
        for key, value in want.items():
            assert_matches(got[key], value, f"{path}.{key}")
    elif isinstance(want, list):
        assert len(got) == len(want), path
        for n, (g, w) in enumerate(zip(got, want, strict=True)):
            assert_matches(g, w, f"{path}[{n}]")
    elif isinstance(want, float):
        assert got == pytest.approx(want, rel=1e-12), path
    else:
        assert got == want, path


def test_the_sample_gives_the_independently_computed_figures_by_cli_and_api(db, client):
    load(db, Path(SAMPLES) / "ledger-2025.xlsx")
    runner = CliRunner()
    district = json.loads(runner.invoke(app, ["metrics", *YEAR]).output)
    assert_matches(district, EXPECTED["district"])
    assert_matches(district["previous_year"], EXPECTED["previous_year_2024"])
    s02_row = next(r for r in district["by_station"] if r["code"] == "S02")
    assert_matches(s02_row, EXPECTED["by_station_S02_row"])
    station = json.loads(runner.invoke(app, ["metrics", *YEAR, "--station", "S02"]).output)
    assert_matches(station, EXPECTED["station_S02"])

    token = auth_service.create_api_token(db, make_user(db, Role.LEADER))
    db.commit()
    response = client.get(
        "/api/v1/metrics",
        params={"from": "2025-01-01", "to": "2025-12-31", "station": "S02"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 200 and response.json() == station


def bearer(db, user):  # type: ignore[no-untyped-def]
    token = auth_service.create_api_token(db, user)
    db.commit()
    return {"Authorization": f"Bearer {token}"}


def test_who_may_read_the_metrics(client, db, small):
    params = {"from": "2025-01-01", "to": "2025-03-31"}
    chief = make_user(db, Role.CHIEF, officer=make_officer(db, small["S01"]))
    for role, station, status in (
        (Role.LEADER, "", 200),
        (Role.ADMIN, "S02", 200),
        (Role.OFFICER, "", 403),
        (Role.ENTERPRISE, "", 403),
        (Role.AUDITOR, "", 403),
    ):
        user = make_user(db, role)
        got = client.get(
            "/api/v1/metrics", params={**params, "station": station}, headers=bearer(db, user)
        )
        assert got.status_code == status, role
    headers = bearer(db, chief)
    own = client.get("/api/v1/metrics", params=params, headers=headers)
    assert own.status_code == 200 and own.json()["period"]["station"] == "S01"
    assert (
        client.get(
            "/api/v1/metrics", params={**params, "station": "S02"}, headers=headers
        ).status_code
        == 403
    )
    leader = bearer(db, make_user(db, Role.LEADER))
    assert (
        client.get(
            "/api/v1/metrics", params={**params, "station": "S99"}, headers=leader
        ).status_code
        == 404
    )
    backwards = {"from": "2025-03-31", "to": "2025-01-01"}
    assert client.get("/api/v1/metrics", params=backwards, headers=leader).status_code == 422
