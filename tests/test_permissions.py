"""Deny by default: every route declares who may use it, and each role reaches exactly its
pages (a role × page table), including by id."""

import pytest

from liaison.auth.roles import Role
from tests.factories import login_as, make_station, make_user
from tests.routes import all_routes

PUBLIC = {"/login", "/healthz", "/"}


def test_every_route_declares_a_permission():
    for route in all_routes():
        marked = [d for d in route.dependencies if getattr(d, "__permission__", False)]
        assert marked, f"{route.methods} {route.path} has no permission dependency"
        if route.path in PUBLIC:
            continue
        assert all(getattr(d, "__name__", "") != "public" for d in marked), route.path


# Every GET page, and who may open it; everyone else gets 403 (logged in) or the login page.
PAGES = {
    "/home": {Role.LEADER, Role.CHIEF, Role.OFFICER, Role.ENTERPRISE},
    "/account/password": set(Role),
    "/admin/users": {Role.ADMIN},
    "/admin/users/new": {Role.ADMIN},
    "/admin/users/{user_id}": {Role.ADMIN},
    "/admin/stations": {Role.ADMIN},
    "/admin/stations/new": {Role.ADMIN},
    "/admin/stations/{station_id}": {Role.ADMIN},
    "/admin/officers": {Role.ADMIN},
    "/admin/officers/new": {Role.ADMIN},
    "/admin/officers/{officer_id}": {Role.ADMIN},
    "/audit": {Role.AUDITOR},
    "/audit/{row_id}": {Role.AUDITOR},
}


def test_the_table_covers_every_page():
    pages = {r.path for r in all_routes() if "GET" in r.methods and not r.path.startswith("/api/")}
    assert pages - PUBLIC == set(PAGES)


@pytest.fixture
def objects(db):
    """One of each object the pages open by id."""
    station = make_station(db)
    user = make_user(db, Role.LEADER)
    from sqlmodel import select

    from liaison.audit.models import AuditLog

    audit_row = db.exec(select(AuditLog)).first()
    officer = make_user(db, Role.OFFICER)
    return {
        "user_id": user.id,
        "station_id": station.id,
        "officer_id": officer.officer_id,
        "row_id": audit_row.id,
    }


@pytest.mark.parametrize("role", list(Role))
def test_role_by_page(client, db, objects, role):
    login_as(client, db, role)
    for path, allowed in PAGES.items():
        url = path.format(**objects)
        response = client.get(url, follow_redirects=False)
        expected = 200 if role in allowed else 403
        assert response.status_code == expected, f"{role} GET {url}"


def test_anonymous_is_sent_to_login_from_every_page(client, objects):
    for path in PAGES:
        response = client.get(path.format(**objects), follow_redirects=False)
        assert response.status_code == 303, path
        assert response.headers["location"].startswith("/login")


def test_missing_objects_are_404(client, db):
    login_as(client, db, Role.ADMIN)
    for path in ("/admin/users/9999", "/admin/stations/9999", "/admin/officers/9999"):
        assert client.get(path).status_code == 404
