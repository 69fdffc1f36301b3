"""CSRF (SECURITY.md C1), what tests/test_csrf.py's sweep relies on: that it walks every
state-changing route the app serves, public ones included; and, route by route, that a real
token of another browser is refused as a forged one is."""

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlmodel import func, select

from liaison.app import create_app
from liaison.audit.models import AuditLog
from liaison.auth.roles import Role
from tests.factories import csrf_token, login_as, second_browser
from tests.routes import a_role_admitted, concrete
from tests.test_csrf import UNSAFE, refused_for_csrf

STATE_CHANGING = {"POST", "PUT", "PATCH", "DELETE"}


def served(routes: list[Any], prefix: str = "") -> Iterator[tuple[str, set[str]]]:
    """Every route the app answers, through the routers it includes (and theirs)."""
    for route in routes:
        if isinstance(route, APIRoute):
            yield prefix + route.path, set(route.methods)
        elif hasattr(route, "original_router"):
            included = route.original_router.routes
            yield from served(included, prefix + route.include_context.prefix)


def test_the_sweep_covers_every_state_changing_route_the_app_serves(database_url):
    app = create_app()
    unsafe = {
        (method, path)
        for path, methods in served(app.routes)
        for method in methods & STATE_CHANGING
    }
    assert unsafe == set(UNSAFE)
    for public in ("/login", "/r", "/r/{project_code}", "/track", "/track/rate"):
        assert ("POST", public) in unsafe


@pytest.mark.parametrize("role", list(Role))
def test_another_browsers_token_is_refused_on_every_route(client, db, role):
    """Logged in with each role in turn, on the routes that role may use: the refusal is the
    CSRF check's own, not a role check's."""
    login_as(client, db, role)
    stolen = csrf_token(second_browser(client))
    assert stolen != client.cookies["liaison_csrf"]
    before = db.exec(select(func.count()).select_from(AuditLog)).one()
    accepted = []
    for method, path in UNSAFE:
        if role != a_role_admitted(method, path):
            continue
        url = concrete(path)
        as_form = client.request(method, url, data={"csrf_token": stolen})
        as_header = client.request(
            method, url, headers={"HX-Request": "true", "X-CSRF-Token": stolen}
        )
        if not (refused_for_csrf(as_form) and refused_for_csrf(as_header)):
            accepted.append(f"{method} {url}: {as_form.status_code}, {as_header.status_code}")
    assert not accepted, "\n".join(accepted)
    assert db.exec(select(func.count()).select_from(AuditLog)).one() == before


def test_a_browser_without_the_cookie_cannot_post_even_with_a_token(client, db):
    """The token alone is not enough: it must match this browser's cookie."""
    token = csrf_token(client)
    fresh = TestClient(client.app)
    response = fresh.post("/track", data={"csrf_token": token, "number": "x", "tail": "1234"})
    assert response.status_code == 403


@pytest.mark.parametrize("path", ["/r", "/track", "/login"])
def test_a_bearer_header_is_no_pass_past_the_csrf_check_outside_the_api(client, db, path):
    """Issue 18, finding 18: an Authorization header without a session cookie skipped the
    CSRF check on every route, the public form's too; only the API takes bearer tokens."""
    response = client.post(
        path,
        data={"content": "x", "username": "u", "password": "p"},
        headers={"Authorization": "Bearer anything"},
    )
    assert response.status_code == 403
