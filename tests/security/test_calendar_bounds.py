"""Issue 18, finding 17: year 0001 was accepted for hazard, recovery and dispute dates, and
gave malformed codes (WH10101-0001). The app's own calendar (1900–2999) holds on every way
in: the services' rules, which the forms and the ledger import both call."""

from datetime import date

import pytest
from sqlmodel import select

from liaison.auth.roles import Role
from liaison.disputes import service as disputes
from liaison.hazards import service as hazards
from liaison.hazards.models import Hazard
from liaison.recoveries import service as recoveries
from tests.factories import login_as, make_officer, make_project, make_station
from tests.hazards.test_web import log

YEAR_ONE = date(1, 1, 1)


@pytest.mark.parametrize(
    "problems",
    [
        lambda: hazards.found_problems(YEAR_ONE, None),
        lambda: recoveries.recovery_problems(100, YEAR_ONE),
        lambda: disputes.received_problems(YEAR_ONE),
    ],
    ids=["hazard found", "recovery", "dispute received"],
)
def test_a_day_of_year_one_is_refused_by_each_rule(problems):
    [(field, reason)] = problems()
    assert "不能早于 1900-01-01" in reason and field.endswith("_on")


def test_the_hazard_form_refuses_year_one_beside_the_field(client, db):
    station = make_station(db)
    me = make_officer(db, station)
    project = make_project(db, station, officer=me)
    login_as(client, db, Role.OFFICER, officer=me)
    response = log(client, project, found_on="0001-01-01")
    assert response.status_code == 422
    assert 'id="e-found_on"' in response.text and "不能早于 1900-01-01" in response.text
    assert db.exec(select(Hazard)).all() == []
