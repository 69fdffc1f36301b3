"""CSRF: every state-changing route refuses a request without the right token, for plain forms
and for htmx; cross-site requests are refused whatever they carry."""

import pytest
from sqlmodel import func, select

from liaison.audit.models import AuditLog
from liaison.auth.roles import Role
from tests.factories import PASSWORD, csrf_token, login_as, make_user, post, second_browser
from tests.routes import a_role_admitted, all_routes, concrete

UNSAFE = [
    (method, route.path)
    for route in all_routes()
    for method in sorted(route.methods & {"POST", "PUT", "PATCH", "DELETE"})
]


def test_there_are_state_changing_routes_to_check():
    assert ("POST", "/login") in UNSAFE and len(UNSAFE) >= 10


CSRF_REFUSAL = "页面已过期或请求来源无效"


def refused_for_csrf(response) -> bool:  # type: ignore[no-untyped-def]
    """Refused by the CSRF check itself, not by a role check that would refuse it anyway."""
    return response.status_code == 403 and CSRF_REFUSAL in response.text


@pytest.mark.parametrize(("method", "path"), UNSAFE)
def test_no_token_or_a_wrong_one_is_refused(client, db, method, path):
    login_as(client, db, a_role_admitted(method, path))
    before = db.exec(select(func.count()).select_from(AuditLog)).one()
    url = concrete(path)
    assert refused_for_csrf(client.request(method, url, data={"active": "false"}))
    assert refused_for_csrf(client.request(method, url, data={"csrf_token": "forged"}))
    # htmx sends the token as a header; a wrong header is refused too.
    assert refused_for_csrf(
        client.request(method, url, headers={"HX-Request": "true", "X-CSRF-Token": "x"})
    )
    assert db.exec(select(func.count()).select_from(AuditLog)).one() == before


def test_another_browsers_token_is_refused(client, db):
    user = make_user(db, Role.LEADER)
    other = second_browser(client)
    stolen = csrf_token(other)
    csrf_token(client)
    response = client.post(
        "/login", data={"csrf_token": stolen, "username": user.username, "password": PASSWORD}
    )
    assert response.status_code == 403


def test_htmx_header_token_is_accepted(client, db):
    user = make_user(db, Role.LEADER)
    token = csrf_token(client)
    response = client.post(
        "/login",
        data={"username": user.username, "password": PASSWORD},
        headers={"HX-Request": "true", "X-CSRF-Token": token},
        follow_redirects=False,
    )
    assert response.status_code == 303


def test_the_base_layout_sets_the_htmx_header_once(client):
    page = client.get("/login")
    token = client.cookies["liaison_csrf"]
    assert f'hx-headers="{{&#34;X-CSRF-Token&#34;: &#34;{token}&#34;}}"' in page.text


def test_cross_site_requests_are_refused_even_with_the_token(client, db):
    user = make_user(db, Role.LEADER)
    for headers in ({"Sec-Fetch-Site": "cross-site"}, {"Origin": "https://evil.example"}):
        response = post(
            client, "/login", {"username": user.username, "password": PASSWORD}, headers=headers
        )
        assert response.status_code == 403
