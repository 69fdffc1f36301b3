"""SQL injection through the URL (SECURITY.md V4, V1): every query parameter of every list page
and /api/v1 list, walked from the app, gets strings an attacker would send. The answer is the
page (200) or a plain refusal (422), never a 500; the rows it lists are among those the
unfiltered list shows, a search for what no record contains finds nothing; and the tables are
all still there afterwards. The same strings in place of every id or code of a path are 404 or
422, and periods at the calendar's edges never break the figures."""

import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from pydantic import BaseModel
from sqlmodel import SQLModel, func, select
from typer.testing import CliRunner

from liaison.app import API_ROUTERS, WEB_ROUTERS
from liaison.auth.roles import Role
from liaison.cli import app
from liaison.projects.models import Project
from tests.routes import RouteInfo, admitted, all_routes
from tests.security.world import World, build_world

PAYLOADS = [
    "' OR 1=1--",
    "1; DROP TABLE project",
    "%' UNION SELECT username, password_hash FROM user_account--",
    "%",  # LIKE's wildcards: a search for them must match them, not everything
    "_",
    "\x00",
    "2147483648",  # one past PostgreSQL's INTEGER
    "A" * 10_000 + "' OR '1'='1",
]
# Text searches: no record contains any payload, so a search for one lists nothing.
SEARCHES = {"q"}
# Parameters that name a record: an unknown one is 404, as a missing record is.
NAMES_A_RECORD = {"station", "figure", "project_code"}
# Read from request.query_params by hand rather than declared, so not found by walking.
UNDECLARED = {
    "/dashboard": ["period", "from", "to", "station"],
    "/dashboard/brief": ["period", "from", "to", "station"],
    "/dashboard/export.xlsx": ["period", "from", "to", "station"],
    "/dashboard/records": ["period", "from", "to", "station", "level", "category", "type"],
}
# What a list needs to answer at all.
REQUIRED = {"/api/v1/metrics": {"from": "2020-01-01", "to": "2030-12-31"}}
# Who asks: the first of these the route admits.
ASKERS = (Role.LEADER, Role.ADMIN, Role.SECURITY, Role.AUDITOR, Role.CHIEF)
RECORD_LINK = re.compile(r'href="(/[\w/.-]*\d[\w/.-]*)"')


def _query_params(dependant: Any) -> Iterator[str]:
    for param in dependant.query_params:
        model = param.field_info.annotation
        if isinstance(model, type) and issubclass(model, BaseModel):  # a list's filter model
            yield from (field.alias or name for name, field in model.model_fields.items())
        else:
            yield param.alias
    for sub in dependant.dependencies:
        yield from _query_params(sub)


def _dependants() -> dict[tuple[str, str], Any]:
    return {
        (route.path, method): route.dependant
        for router in [*API_ROUTERS, *WEB_ROUTERS]
        for route in router.routes
        for method in route.methods  # type: ignore[attr-defined]
    }


def lists() -> dict[str, list[str]]:
    """Every GET route without a path parameter that takes query parameters, with them."""
    dependants = _dependants()
    found = {}
    for route in all_routes():
        if "GET" not in route.methods or "{" in route.path:
            continue
        params = list(_query_params(dependants[(route.path, "GET")]))
        params += UNDECLARED.get(route.path, [])
        if params:
            found[route.path] = params
    return found


LISTS = lists()


def test_the_walk_finds_the_list_pages_and_the_api_lists():
    for path in ("/hazards", "/requests", "/audit", "/admin/users"):
        assert "page" in LISTS[path]
    assert "after" in LISTS["/projects"]  # keyset pages
    for path in ("/api/v1/projects", "/api/v1/hazards", "/api/v1/requests"):
        assert {"limit", "offset"} <= set(LISTS[path])
    assert "q" in LISTS["/projects"] and "q" in LISTS["/api/v1/projects"]


def route(path: str) -> RouteInfo:
    return next(r for r in all_routes() if r.path == path and "GET" in r.methods)


def asker(path: str) -> Role:
    roles = admitted(route(path))
    return next(role for role in ASKERS if role in roles)


def rows(response: Any) -> set[str]:
    """What a list lists: the API's item ids, or the records a page links to."""
    if response.headers["content-type"].startswith("application/json"):
        body = response.json()
        return {str(item["id"]) for item in body.get("items", []) if "id" in item}
    if "spreadsheet" in response.headers["content-type"]:
        return set()  # an export of no rows or some: its rows are the page's, tested apart
    return set(RECORD_LINK.findall(response.text))


def refusal_problem(response: Any, param: str) -> str | None:
    """What is unclear about a 422, or None."""
    if response.headers["content-type"].startswith("application/json"):
        errors = response.json()["detail"]
        if not errors or not all(param in e["loc"] and e["msg"] for e in errors):
            return f"422 without the parameter named: {errors}"
        return None
    return None if "提交的内容格式不正确" in response.text else "422 page without its message"


def table_state(world: World) -> tuple[set[str], int]:
    engine = world.db.get_bind()
    return (
        set(sa.inspect(engine).get_table_names()),
        world.db.exec(select(func.count()).select_from(Project)).one(),
    )


@pytest.fixture
def world(db) -> World:  # type: ignore[no-untyped-def]
    return build_world(db)


@pytest.mark.parametrize("path", sorted(LISTS))
def test_injected_query_parameters_never_widen_a_list_or_break_it(
    client: TestClient, world: World, path: str
) -> None:
    role = asker(path)
    world.login(client, role)
    headers = world.bearer(role) if path.startswith("/api/") else {}
    tables_before = table_state(world)
    required = REQUIRED.get(path, {})
    everything = client.get(path, params=required, headers=headers)
    assert everything.status_code == 200, everything.text[:300]
    shown = rows(everything)
    failures = []
    for param in LISTS[path]:
        for payload in PAYLOADS:
            response = client.get(path, params={**required, param: payload}, headers=headers)
            label = f"{path}?{param}={payload[:30]!r}"
            allowed = {200, 422} | ({404} if param in NAMES_A_RECORD else set())
            if response.status_code not in allowed:
                failures.append(f"{label}: {response.status_code}")
                continue
            if response.status_code == 422:
                if wrong := refusal_problem(response, param):
                    failures.append(f"{label}: {wrong}")
                continue
            if response.status_code != 200:
                continue
            listed = rows(response)
            if not listed <= shown:
                failures.append(f"{label}: lists {sorted(listed - shown)} beyond the list")
            if param in SEARCHES and listed:
                failures.append(f"{label}: a search for it found {sorted(listed)}")
    assert not failures, "\n".join(failures)
    assert table_state(world) == tables_before
    assert set(SQLModel.metadata.tables) <= tables_before[0]


ID_ROUTES = sorted(r.path for r in all_routes() if "GET" in r.methods and "{" in r.path)


@pytest.mark.parametrize("path", ID_ROUTES)
def test_injected_path_parameters_are_refused_or_not_found(
    client: TestClient, world: World, path: str
) -> None:
    role = asker(path)
    world.login(client, role)
    headers = world.bearer(role) if path.startswith("/api/") else {}
    failures = []
    for payload in [*PAYLOADS, "99999999999999999999999", "-1", "0"]:
        url = re.sub(r"\{\w+\}", quote(payload, safe=""), path)
        response = client.get(url, headers=headers, follow_redirects=False)
        if response.status_code not in (404, 422):
            failures.append(f"{url[:80]}: {response.status_code}")
    assert not failures, "\n".join(failures)


EDGES = [
    ("0001-01-01", "0001-12-31"),  # the year before does not exist
    ("0002-01-01", "0003-01-01"),  # nor 0001-01-01 00:00 in UTC, seen from Shanghai
    ("2000-01-01", "9999-12-31"),  # nor the day after the last
]


@pytest.mark.parametrize(("start", "end"), EDGES)
def test_periods_at_the_calendars_edges_never_break_the_figures(
    client: TestClient, world: World, start: str, end: str
) -> None:
    world.login(client, Role.LEADER)
    period = {"period": "custom", "from": start, "to": end}
    for path in ("/dashboard", "/dashboard/records", "/dashboard/brief", "/dashboard/export.xlsx"):
        assert client.get(path, params=period).status_code == 200, path  # the default period
    token = world.bearer(Role.LEADER)
    api = client.get("/api/v1/metrics", params={"from": start, "to": end}, headers=token)
    assert api.status_code == 422
    for path in ("/api/v1/disputes", "/api/v1/recoveries", "/api/v1/requests"):
        for day in (start, end):
            for name in ("since", "until"):
                answer = client.get(path, params={name: day}, headers=token).status_code
                assert answer == (200 if day == "2000-01-01" else 422), (path, name, day)
    result = CliRunner().invoke(app, ["metrics", "--from", start, "--to", end])
    assert result.exit_code == 1 and "日期须在" in result.output
