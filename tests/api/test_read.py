"""/api/v1 read access: bearer tokens, exactly the permitted rows, no personal data."""

import re

import pytest

from liaison.auth import service as auth_service
from liaison.auth.roles import Role
from liaison.org.models import Station
from tests.factories import (
    TRACKING_NO,
    login,
    make_dispute,
    make_enterprise,
    make_hazard,
    make_officer,
    make_project,
    make_recovery,
    make_request,
    make_station,
    make_user,
)


def bearer(db, user):  # type: ignore[no-untyped-def]
    token = auth_service.create_api_token(db, user)
    db.commit()
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def district(db):
    north, south = make_station(db), make_station(db)
    north_officer, south_officer = make_officer(db, north), make_officer(db, south)
    acme = make_enterprise(db)
    mine = make_project(db, north, officer=north_officer, enterprise=acme)
    theirs = make_project(db, south, officer=south_officer)
    for project, officer in ((mine, north_officer), (theirs, south_officer)):
        make_hazard(db, project, officer)
        make_dispute(db, project, officer, agreement_fen=500_00, book_recovery=True)
        make_recovery(db, project, officer)
        make_request(db, project)  # from the poster: staff see it, the enterprise does not
    make_request(db, mine, enterprise=acme)  # the enterprise's own
    return {"north_officer": north_officer, "acme": acme, "mine": mine, "theirs": theirs}


def ids(client, headers, path):  # type: ignore[no-untyped-def]
    response = client.get(path, headers=headers)
    assert response.status_code == 200, response.text
    return {item.get("project_id", item["id"]) for item in response.json()["items"]}


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/projects",
        "/api/v1/hazards",
        "/api/v1/disputes",
        "/api/v1/recoveries",
        "/api/v1/requests",
    ],
)
def test_each_role_gets_exactly_its_rows(client, db, district, path):
    mine, theirs = district["mine"].id, district["theirs"].id
    officer = make_user(db, Role.OFFICER, officer=district["north_officer"])
    contact = make_user(db, Role.ENTERPRISE, enterprise=district["acme"])
    assert ids(client, bearer(db, make_user(db, Role.LEADER)), path) == {mine, theirs}
    assert ids(client, bearer(db, officer), path) == {mine}
    # A dispute is often the enterprise's own workers against it: its contact sees none.
    assert ids(client, bearer(db, contact), path) == (set() if "disputes" in path else {mine})
    assert ids(client, bearer(db, make_user(db, Role.AUDITOR)), path) == set()


def test_another_stations_project_is_404_by_id(client, db, district):
    headers = bearer(db, make_user(db, Role.OFFICER, officer=district["north_officer"]))
    assert client.get(f"/api/v1/projects/{district['mine'].id}", headers=headers).status_code == 200
    assert (
        client.get(f"/api/v1/projects/{district['theirs'].id}", headers=headers).status_code == 404
    )


def test_no_token_no_data_and_limits_are_bounded(client, db, district):
    assert client.get("/api/v1/projects").status_code == 401
    headers = bearer(db, make_user(db, Role.LEADER))
    assert client.get("/api/v1/projects", params={"limit": 201}, headers=headers).status_code == 422
    page = client.get("/api/v1/projects", params={"limit": 1, "offset": 1}, headers=headers).json()
    assert page["total"] == 2 and len(page["items"]) == 1


def test_responses_carry_no_phone_or_id_numbers(client, db, district):
    headers = bearer(db, make_user(db, Role.LEADER))
    for path in (
        "/api/v1/projects",
        "/api/v1/hazards",
        "/api/v1/disputes",
        "/api/v1/recoveries",
        "/api/v1/requests",
    ):
        body = client.get(path, headers=headers).text
        assert not re.search(r"1[3-9]\d{9}|\d{17}[\dXx]", body), path


def test_the_openapi_document_describes_the_api(client):
    paths = client.get("/openapi.json").json()["paths"]
    for path in (
        "/api/v1/me",
        "/api/v1/projects",
        "/api/v1/projects/{project_id}",
        "/api/v1/hazards",
        "/api/v1/disputes",
        "/api/v1/recoveries",
    ):
        assert "get" in paths[path], path


def test_the_enterprise_sees_only_its_own_requests_and_none_by_id_of_others(client, db, district):
    headers = bearer(db, make_user(db, Role.ENTERPRISE, enterprise=district["acme"]))
    items = client.get("/api/v1/requests", headers=headers).json()["items"]
    assert [item["enterprise_id"] for item in items] == [district["acme"].id]
    leader = bearer(db, make_user(db, Role.LEADER))
    every = client.get("/api/v1/requests", headers=leader).json()["items"]
    others = [item["id"] for item in every if item["enterprise_id"] is None]
    assert client.get(f"/api/v1/requests/{others[0]}", headers=headers).status_code == 404
    own = client.get(f"/api/v1/requests/{items[0]['id']}", headers=headers).json()
    assert own["tracking_no"] == items[0]["tracking_no"] and "content" not in own


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/projects?q=&station=&officer=&level=&covered=",
        "/api/v1/hazards?status=&station=&officer=&project=",
        "/api/v1/disputes?status=&type=&station=&officer=&project=&since=&until=",
        "/api/v1/recoveries?source=&station=&project=&since=&until=",
        "/api/v1/requests?status=&project=&since=&until=",
    ],
)
def test_a_blank_filter_is_no_filter(client, db, district, path):
    leader = bearer(db, make_user(db, Role.LEADER))
    assert ids(client, leader, path) == {district["mine"].id, district["theirs"].id}


@pytest.mark.parametrize("path", ["/api/v1/disputes", "/api/v1/recoveries", "/api/v1/hazards"])
def test_the_api_filters_by_station_as_the_page_does(client, db, district, path):
    leader = bearer(db, make_user(db, Role.LEADER))
    north = district["mine"].station_id
    assert ids(client, leader, f"{path}?station={north}") == {district["mine"].id}


def test_disputes_filter_by_handler_as_on_the_page(client, db, district):
    leader = bearer(db, make_user(db, Role.LEADER))
    handler = district["north_officer"].id
    assert ids(client, leader, f"/api/v1/disputes?officer={handler}") == {district["mine"].id}


def test_requests_take_the_inbox_filters_of_the_page_in_its_order(client, db, district):
    """The officer's inbox on /requests and `?box=mine` of the API list the same requests."""
    officer = make_user(db, Role.OFFICER, officer=district["north_officer"])
    headers = bearer(db, officer)
    make_request(db, district["mine"])  # a second one in the inbox, to have an order
    api = client.get("/api/v1/requests?box=mine&urgency=&q=", headers=headers).json()["items"]
    numbers = [item["tracking_no"] for item in api]
    assert len(numbers) >= 2
    login(client, officer.username)
    page = client.get("/requests").text
    assert [no for no in re.findall(TRACKING_NO, page) if no in numbers] == numbers
    north = db.get(Station, district["mine"].station_id)
    colleague = make_officer(db, north)
    make_request(db, make_project(db, north, officer=colleague))
    everything = client.get("/api/v1/requests?box=", headers=headers).json()["total"]
    assert everything == len(numbers) + 1  # the colleague's: the station's, not in the inbox
