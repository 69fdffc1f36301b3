"""Object-level access: an officer reaches their station's records, an enterprise contact
only their enterprise, a leader everything, admins and auditors no business data."""

import pytest
from fastapi import HTTPException
from sqlmodel import select

from liaison.auth.permissions import scope_for
from liaison.auth.roles import Role
from liaison.enterprises.models import Enterprise
from liaison.org.models import Officer, Station
from liaison.scope import get_visible, restrict
from tests.factories import make_enterprise, make_officer, make_station, make_user


@pytest.fixture
def district(db):
    north, south = make_station(db), make_station(db)
    return {
        "north": north,
        "south": south,
        "north_officer": make_officer(db, north),
        "south_officer": make_officer(db, south),
        "acme": make_enterprise(db),
        "other": make_enterprise(db),
    }


def visible_ids(db, user, model):
    return set(db.exec(restrict(select(model.id), model, scope_for(db, user))).all())


def test_officer_reaches_only_their_station(db, district):
    user = make_user(db, Role.OFFICER, officer=district["north_officer"])
    scope = scope_for(db, user)
    assert visible_ids(db, user, Officer) == {district["north_officer"].id}
    assert visible_ids(db, user, Station) == {district["north"].id}
    assert (
        get_visible(db, Officer, district["north_officer"].id, scope).id
        == district["north_officer"].id
    )
    with pytest.raises(HTTPException) as refused:
        get_visible(db, Officer, district["south_officer"].id, scope)
    assert refused.value.status_code == 404


def test_chief_reaches_their_station(db, district):
    user = make_user(db, Role.CHIEF, officer=district["south_officer"])
    assert visible_ids(db, user, Station) == {district["south"].id}


def test_enterprise_contact_reaches_only_their_enterprise(db, district):
    user = make_user(db, Role.ENTERPRISE, enterprise=district["acme"])
    assert visible_ids(db, user, Enterprise) == {district["acme"].id}
    assert visible_ids(db, user, Officer) == set()
    with pytest.raises(HTTPException):
        get_visible(db, Enterprise, district["other"].id, scope_for(db, user))


def test_leader_reaches_everything(db, district):
    user = make_user(db, Role.LEADER)
    assert visible_ids(db, user, Station) == {district["north"].id, district["south"].id}
    assert len(visible_ids(db, user, Enterprise)) == 2


@pytest.mark.parametrize("role", [Role.LEADER, Role.ADMIN])
def test_leaders_and_admins_reach_every_station(db, district, role):
    user = make_user(db, role)
    assert {district["north"].id, district["south"].id} <= visible_ids(db, user, Station)


def test_the_auditor_reaches_no_business_data(db, district):
    user = make_user(db, Role.AUDITOR)
    for model in (Station, Officer, Enterprise):
        assert visible_ids(db, user, model) == set()
