"""The demo is continuous (PRODUCT.md, "The demo data set"): every year from two years before the
source year to the day it is loaded has every figure of the dashboard, so that 同比 is real in
each; the source year alone is the article's. Counted here from the tables, apart from the
metrics code."""

from datetime import date, datetime

import sqlalchemy as sa
from sqlmodel import Session, col, func, select

from liaison import demo
from liaison.clock import LOCAL_TZ
from liaison.config import get_settings
from liaison.desk.models import RequestStatus, ServiceRequest
from liaison.disputes.models import Dispute, DisputeStatus
from liaison.hazards.models import Hazard, HazardCategory, HazardStatus
from liaison.metrics.service import compute
from liaison.projects.models import Assignment, Project, Visit
from liaison.recoveries.models import Recovery

LOADED_ON = date(2026, 12, 4)  # the load day pinned, so the years do not move with the clock
AREA = HazardCategory.COMPLEX_AREA.value
ARTICLE = {
    "hazards_found": 106,
    "hazards_closed": 106,
    "areas_found": 4,
    "areas_closed": 4,
    "disputes_received": 142,
    "disputes_resolved": 142,
    "recovered_fen": 714_760_000,
    "requests_received": 144,
    "requests_closed": 144,
}


def _count(db: Session, query: sa.Select[tuple[int]]) -> int:
    return int(db.exec(query).one() or 0)  # type: ignore[call-overload]


def year_figures(db: Session, year: int) -> dict[str, int]:
    """The dashboard's figures for a year, each one plain query: a record is in the year of the
    day it was found, received or recovered, and closed if it was closed by the year's end."""
    first, last = date(year, 1, 1), date(year, 12, 31)
    since, until = (datetime(y, 1, 1, tzinfo=LOCAL_TZ) for y in (year, year + 1))
    hazards = select(func.count()).select_from(Hazard).where(Hazard.found_on.between(first, last))
    closed = sa.and_(Hazard.status == HazardStatus.CLOSED, col(Hazard.closed_on) <= last)
    disputes = (
        select(func.count()).select_from(Dispute).where(Dispute.received_on.between(first, last))
    )
    requests = (
        select(func.count())
        .select_from(ServiceRequest)
        .where(ServiceRequest.received_at >= since, ServiceRequest.received_at < until)
    )
    return {
        "visits": _count(
            db, select(func.count()).select_from(Visit).where(Visit.visit_date.between(first, last))
        ),
        "hazards_found": _count(db, hazards.where(Hazard.category != AREA)),
        "hazards_closed": _count(db, hazards.where(Hazard.category != AREA, closed)),
        "areas_found": _count(db, hazards.where(Hazard.category == AREA)),
        "areas_closed": _count(db, hazards.where(Hazard.category == AREA, closed)),
        "disputes_received": _count(db, disputes),
        "disputes_resolved": _count(
            db,
            disputes.where(
                Dispute.status == DisputeStatus.RESOLVED, col(Dispute.closed_on) <= last
            ),
        ),
        "recovered_fen": _count(
            db,
            select(func.coalesce(func.sum(Recovery.amount_fen), 0)).where(
                Recovery.recovered_on.between(first, last)
            ),
        ),
        "requests_received": _count(db, requests),
        "requests_closed": _count(
            db,
            requests.where(
                ServiceRequest.status == RequestStatus.CLOSED,
                col(ServiceRequest.closed_at) < until,
            ),
        ),
    }


def test_every_year_from_2021_to_the_load_day_has_every_figure_and_2023_is_the_article(db):
    demo.load(db, get_settings(), today=LOADED_ON)
    db.commit()
    figures = {year: year_figures(db, year) for year in range(2021, LOADED_ON.year + 1)}
    for year, counted in figures.items():
        assert all(counted.values()), (year, counted)
    assert {k: v for k, v in figures[2023].items() if k != "visits"} == ARTICLE
    # Every project exists and is covered now (the figure is "as the projects stand now"), and
    # some were covered before the source year.
    assert _count(db, select(func.count()).select_from(Project)) == 264
    current = select(func.count(sa.distinct(Assignment.project_id))).where(
        col(Assignment.end_date).is_(None)
    )
    assert _count(db, current) == 264
    earlier = select(func.count(sa.distinct(Assignment.project_id))).where(
        Assignment.start_date < date(2022, 1, 1)
    )
    assert _count(db, earlier) > 0
    # The years differ: the history is not one year copied.
    assert len({counted["hazards_found"] for counted in figures.values()}) > 3
    # And the dashboard's 同比 for each year after the first has the year before's figures.
    for year in range(2022, LOADED_ON.year + 1):
        m = compute(db, date(year, 1, 1), date(year, 12, 31))
        before = m["previous_year"]
        assert before["hazards"]["found"] == figures[year - 1]["hazards_found"]
        assert before["disputes"]["received"] == figures[year - 1]["disputes_received"]
        assert before["recoveries"]["total_fen"] == figures[year - 1]["recovered_fen"]
        assert before["requests"]["received"] == figures[year - 1]["requests_received"]
