"""Role × object, for every state-changing route that takes an id: an officer of one station
posting to another station's records gets 403 or 404, and nothing changes. And stored text
that looks like markup comes back escaped on every page that shows it."""

import re

import pytest
from sqlmodel import func, select

from liaison.audit.models import AuditLog
from liaison.auth.roles import Role
from tests.factories import (
    csrf_token,
    login_as,
    make_dispute,
    make_hazard,
    make_officer,
    make_project,
    make_recovery,
    make_request,
    make_station,
    make_user,
    post,
)
from tests.routes import all_routes

ID_PARAMS = {
    "project_id",
    "hazard_id",
    "dispute_id",
    "recovery_id",
    "request_id",
    "officer_id",
    "user_id",
    "station_id",
    "action",
}
FOREIGN_ROUTES = [
    (method, route.path)
    for route in all_routes()
    for method in sorted(route.methods & {"POST"})
    if (params := set(re.findall(r"\{(\w+)\}", route.path))) and params <= ID_PARAMS
]


@pytest.fixture
def foreign(db):
    """Records of a station the logged-in officer does not belong to."""
    south = make_station(db)
    holder = make_officer(db, south)
    project = make_project(db, south, officer=holder)
    return {
        "project_id": project.id,
        "hazard_id": make_hazard(db, project, holder).id,
        "dispute_id": make_dispute(db, project, holder).id,
        "recovery_id": make_recovery(db, project, holder).id,
        "request_id": make_request(db, project).id,
        "officer_id": holder.id,
        "user_id": make_user(db, Role.LEADER).id,
        "station_id": south.id,
        "action": "resolve",
    }


def test_there_are_routes_to_sweep():
    assert len(FOREIGN_ROUTES) >= 12


@pytest.mark.parametrize(("method", "path"), FOREIGN_ROUTES)
def test_an_officer_cannot_change_another_stations_records(client, db, foreign, method, path):
    login_as(client, db, Role.OFFICER, officer=make_officer(db, make_station(db)))
    before = db.exec(select(func.count()).select_from(AuditLog)).one()
    url = path.format(**foreign)
    response = client.request(
        method,
        url,
        data={
            "csrf_token": csrf_token(client),
            "comment": "x",
            "reason": "x",
            "amount": "1",
            "officer_id": "1",
            "obligations": "x",
            "summary": "x",
        },
    )
    assert response.status_code in (403, 404), url
    assert db.exec(select(func.count()).select_from(AuditLog)).one() == before


PAYLOAD = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def test_stored_markup_is_escaped_everywhere_it_is_shown(client, db):
    station = make_station(db)
    me = make_officer(db, station)
    project = make_project(db, station, officer=me, name=PAYLOAD)
    login_as(client, db, Role.CHIEF, officer=me)
    post(
        client,
        f"/projects/{project.id}/visits",
        {"visit_date": "2026-11-01", "kind": "走访", "summary": PAYLOAD},
    )
    hazard = make_hazard(db, project, me)
    post(client, f"/hazards/{hazard.id}/steps", {"action": "start", "comment": PAYLOAD})
    for url in (
        "/projects",
        f"/projects/{project.id}",
        f"/hazards/{hazard.id}",
        "/hazards",
        "/home",
        "/coverage",
    ):
        page = client.get(url)
        assert page.status_code == 200, url
        assert PAYLOAD not in page.text and "<script>alert" not in page.text, url
    assert "&lt;script&gt;" in client.get(f"/projects/{project.id}").text
