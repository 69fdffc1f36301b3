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
from tests.routes import admitted, all_routes

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


# Who is bound to one station or one enterprise, in the order tried: the first the route admits
# logs in. A route only admins or leaders use has no such login: their scope is the district.
BOUND_ROLES = (Role.OFFICER, Role.CHIEF, Role.ENTERPRISE)
DISTRICT_WIDE = {
    ("POST", "/admin/users/{user_id}"),
    ("POST", "/admin/users/{user_id}/active"),
    ("POST", "/admin/users/{user_id}/reset-password"),
    ("POST", "/admin/users/{user_id}/unlock"),
    ("POST", "/admin/users/{user_id}/end-sessions"),
    ("POST", "/admin/users/{user_id}/second-factor/reset"),
    ("POST", "/admin/stations/{station_id}"),
    ("POST", "/admin/officers/{officer_id}"),
}
# The action a path's {action} names: a real one, so the 404 is the record's, not the action's.
ACTIONS = {"/disputes/{dispute_id}/{action}": "resolve", "/requests/{request_id}/{action}": "note"}


def bound_role(method: str, path: str) -> Role | None:
    route = next(r for r in all_routes() if r.path == path and method in r.methods)
    return next((role for role in BOUND_ROLES if role in admitted(route)), None)


def test_every_route_with_an_id_is_swept_or_district_wide():
    unbound = {(m, p) for m, p in FOREIGN_ROUTES if bound_role(m, p) is None}
    assert unbound == DISTRICT_WIDE


@pytest.mark.parametrize(
    ("method", "path"), [(m, p) for m, p in FOREIGN_ROUTES if (m, p) not in DISTRICT_WIDE]
)
def test_another_stations_records_cannot_be_changed(client, db, foreign, method, path):
    """Logged in with a role the route admits, bound to another station (or enterprise): the
    route reaches its record lookup, which answers 404 as for a missing id; nothing changes."""
    role = bound_role(method, path)
    assert role is not None
    elsewhere = make_officer(db, make_station(db)) if role != Role.ENTERPRISE else None
    login_as(client, db, role, officer=elsewhere)
    before = db.exec(select(func.count()).select_from(AuditLog)).one()
    url = path.format(**{**foreign, "action": ACTIONS.get(path, "")})
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
    assert response.status_code == 404, f"{role} {method} {url}: {response.status_code}"
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
