"""The security headers on every kind of response (SECURITY.md H1, H2): every GET route of the
app as a login that may open it, as a page and as the htmx fragment, on a populated district;
errors 400 to 500; static files, photos, QR codes and workbooks; and in production, HSTS.
TRACE is refused, and nothing lists a directory."""

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import APIRouter, Depends
from fastapi.testclient import TestClient

from liaison.app import MAX_BODY, create_app
from liaison.auth.deps import public
from liaison.auth.roles import Role
from tests.conftest import use_production
from tests.factories import csrf_token
from tests.routes import admitted, all_routes, concrete
from tests.security.world import World, build_world

ASKERS = (Role.LEADER, Role.ADMIN, Role.SECURITY, Role.AUDITOR, Role.CHIEF)


def header_problems(response: Any, *, static: bool = False) -> list[str]:
    h = response.headers
    problems = []
    csp = h.get("content-security-policy", "")
    if "default-src" not in csp:
        problems.append("no CSP")
    if "frame-ancestors 'none'" not in csp and h.get("x-frame-options") != "DENY":
        problems.append("may be framed")
    if h.get("x-content-type-options") != "nosniff":
        problems.append("no nosniff")
    if h.get("referrer-policy") not in ("same-origin", "no-referrer", "strict-origin"):
        problems.append("no Referrer-Policy")
    if "server" in h:
        problems.append(f"Server: {h['server']}")
    if not static and h.get("cache-control") != "no-store":
        problems.append(f"Cache-Control: {h.get('cache-control')}")
    return problems


def check(failures: list[str], label: str, response: Any, **kwargs: Any) -> None:
    if response.status_code >= 500:
        failures.append(f"{label}: {response.status_code}")
    if problems := header_problems(response, **kwargs):
        failures.append(f"{label} ({response.status_code}): {', '.join(problems)}")


GET_ROUTES = sorted(r.path for r in all_routes() if "GET" in r.methods)


def asker(path: str) -> Role:
    route = next(r for r in all_routes() if r.path == path and "GET" in r.methods)
    return next(role for role in ASKERS if role in admitted(route))


@pytest.fixture
def world(db) -> World:  # type: ignore[no-untyped-def]
    return build_world(db)


@pytest.fixture
def browsers(client: TestClient, world: World) -> Iterator[dict[Role, TestClient]]:
    """One logged-in browser per role that asks, sharing the app."""
    opened = {}
    for role in ASKERS:
        browser = TestClient(client.app)
        csrf_token(browser)
        world.login(browser, role)
        opened[role] = browser
    yield opened
    for browser in opened.values():
        browser.close()


def test_every_get_route_answers_with_the_headers(client, world, browsers):
    failures: list[str] = []
    statuses: dict[int, int] = {}
    for path in GET_ROUTES:
        role = asker(path)
        url = concrete(path)
        headers = world.bearer(role) if path.startswith("/api/") else {}
        for extra in ({}, {"HX-Request": "true"}):
            response = browsers[role].get(url, headers={**headers, **extra})
            check(failures, f"{role} GET {url} {extra}", response)
            statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
        anonymous = client.get(url, follow_redirects=False)
        check(failures, f"anonymous GET {url}", anonymous)
    assert not failures, "\n".join(failures)
    # The sweep reached the pages themselves, not only refusals.
    assert statuses[200] >= 0.8 * 2 * len(GET_ROUTES), statuses


def test_downloads_carry_the_headers(client, world, browsers):
    leader, officer = browsers[Role.LEADER], TestClient(client.app)
    world.login(officer, Role.OFFICER)
    downloads = {
        "photo": (officer, f"/attachments/{world.own.hazard_photo.id}"),
        "original photo": (leader, f"/attachments/{world.own.hazard_photo.id}/original"),
        "QR code": (leader, f"/projects/{world.own.project.id}/qr.png"),
        "project list export": (leader, "/projects?format=xlsx"),
        "ledger export": (leader, "/ledger/export.xlsx"),
        "ledger template": (leader, "/ledger/template.xlsx"),
        "dashboard workbook": (leader, "/dashboard/export.xlsx"),
    }
    failures: list[str] = []
    for label, (browser, url) in downloads.items():
        response = browser.get(url)
        assert response.status_code == 200, url
        assert "content-disposition" in response.headers or label == "QR code", url
        check(failures, label, response)
    assert not failures, "\n".join(failures)


def boom_app() -> Any:
    app = create_app()
    boom = APIRouter()

    @boom.get("/boom", dependencies=[Depends(public)])
    def explode() -> None:
        raise RuntimeError("boom")

    app.include_router(boom)
    return app


def error_responses(client: TestClient) -> dict[str, Any]:
    token = csrf_token(client)
    many = "&".join(f"f{i}=x" for i in range(5000))
    return {
        "400": client.post(
            "/login",
            content=many,
            headers={"Content-Type": "application/x-www-form-urlencoded", "X-CSRF-Token": token},
        ),
        "401 (API)": client.get("/api/v1/me"),
        "403 (CSRF)": client.post("/login", data={"username": "x"}),
        "404": client.get("/no-such-page"),
        "404 (API)": client.get("/api/v1/no-such"),
        "405": client.get("/logout"),
        "405 (TRACE)": client.request("TRACE", "/login"),
        "413": client.post(
            "/login",
            content=b"x" * (MAX_BODY + 1),
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        ),
        "422": client.get("/login", params={"next": "\x00"}),
        "500": client.get("/boom"),
        "static file": client.get("/static/css/app.css"),
        "static 404": client.get("/static/no-such.css"),
    }


def test_every_error_and_static_response_carries_the_headers(database_url):
    with TestClient(boom_app(), raise_server_exceptions=False) as client:
        failures: list[str] = []
        for label, response in error_responses(client).items():
            expected = label.split(" ")[0]
            if expected.isdigit() and str(response.status_code) != expected:
                failures.append(f"{label}: got {response.status_code}")
            if problems := header_problems(response, static=label.startswith("static")):
                failures.append(f"{label}: {', '.join(problems)}")
        assert not failures, "\n".join(failures)


def test_production_adds_hsts_to_every_kind_of_response(database_url, monkeypatch):
    use_production(monkeypatch)
    with TestClient(boom_app(), raise_server_exceptions=False, base_url="https://t") as client:
        responses = {**error_responses(client), "login page": client.get("/login")}
        missing = [
            label
            for label, response in responses.items()
            if "max-age=" not in response.headers.get("strict-transport-security", "")
            or header_problems(response, static=label.startswith("static"))
        ]
    assert not missing


@pytest.mark.parametrize("path", ["/", "/login", "/projects", "/api/v1/me", "/static/css/app.css"])
def test_trace_is_refused(client, path):
    response = client.request("TRACE", path)
    assert response.status_code == 405 and "TRACE" not in response.text
    assert not header_problems(response, static=path.startswith("/static/"))


@pytest.mark.parametrize("path", ["/static/", "/static/css/", "/static/vendor", "/.git/config"])
def test_no_directory_is_listed_and_no_repository_served(client, path):
    response = client.get(path)
    assert response.status_code == 404 and "页面不存在" in response.text
    assert "Index of" not in response.text and "[core]" not in response.text
