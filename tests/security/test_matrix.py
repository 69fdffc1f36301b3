"""Role × object (SECURITY.md Z2, Z3), NetBox-style: every GET route that opens a record by id,
for every role, on a record of the login's own station or enterprise (the page, fragment or
file), on another station's or enterprise's (404: indistinguishable from a missing id), as a role
the route does not admit (403) and anonymously (the login page, or 401 for the API). Then every
list, export and API list holds exactly the rows the login may see.

The routes are walked from the app: a new GET route with an id fails
`test_every_id_route_has_an_expectation` until it is given a row in ROUTES."""

import io
import re
from dataclasses import dataclass
from functools import cache
from typing import Any

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook

from liaison.auth.roles import Role
from tests.routes import RouteInfo, all_routes
from tests.security.world import OTHER, OWN, World, build_world, fast_hashing  # noqa: F401

HTMX = {"HX-Request": "true"}
HTML, JSON, JPEG = "text/html", "application/json", "image/jpeg"
PHOTOS = ("hazard_photo", "request_photo", "recovery_photo")
REQUESTS = ("request", "poster_request", "spare_request", "duty_request")


@dataclass(frozen=True)
class Expect:
    """How one id route answers. `admits`: the roles the route lets in at all (the rest get
    403 before any record is read); `records`: which of the world's records its id names (each
    is tried); `scoped`: whether the record belongs to a station or an enterprise (False for an
    admin's, the auditor's or the ledger's records, which their one role reaches whole);
    `refused`: roles the route admits that the handler itself turns away here; `kind`: the
    content type of a success."""

    admits: frozenset[Role]
    records: tuple[str, ...]
    kind: str = HTML
    scoped: bool = True
    refused: frozenset[Role] = frozenset()


# Who reaches which kind of page, as PRODUCT.md's roles read: written here, not taken from the
# routes' own `require(...)` or the policy table, so a route that admits too much fails.
ADMIN, SECURITY, AUDITOR, KEEPERS = (
    frozenset({Role.ADMIN}),
    frozenset({Role.SECURITY}),
    frozenset({Role.AUDITOR}),
    frozenset({Role.ADMIN, Role.LEADER}),
)
# The business records, each within the login's scope: not for the security administrator
# (accounts) or the auditor (the log).
READERS = frozenset(Role) - AUDITOR - SECURITY
STAFF = READERS - {Role.ENTERPRISE}  # the staff side, admins' record keeping included
MANAGERS = frozenset({Role.ADMIN, Role.LEADER, Role.CHIEF})
CASEWORKERS = frozenset({Role.LEADER, Role.CHIEF, Role.OFFICER})  # cases need an officer
FINDERS = frozenset({Role.CHIEF, Role.OFFICER})  # who find hazards in the field
TOKEN_OWNERS = frozenset(Role)  # the API: any token's owner, then the record's scope

ROUTES: dict[str, Expect] = {
    "/admin/users/{user_id}": Expect(SECURITY, ("account",), scoped=False),
    "/admin/stations/{station_id}": Expect(ADMIN, ("station",), scoped=False),
    "/admin/officers/{officer_id}": Expect(ADMIN, ("officer",), scoped=False),
    "/audit/{row_id}": Expect(AUDITOR, ("audit_row",), scoped=False),
    "/projects/{project_id}": Expect(READERS, ("project", "spare")),
    # The officer is the project's own liaison officer; one who is not is tested apart.
    "/projects/{project_id}/edit": Expect(STAFF, ("project",)),
    # Any staff login sees an officer of its station (or any, district-wide): who is away.
    "/officers/{officer_id}": Expect(STAFF, ("officer",)),
    "/officers/{officer_id}/reassign": Expect(MANAGERS, ("officer",)),
    "/enterprises/{enterprise_id}": Expect(READERS, ("enterprise", "spare_enterprise")),
    "/enterprises/{enterprise_id}/edit": Expect(STAFF, ("enterprise",)),
    "/projects/{project_id}/hazards/new": Expect(FINDERS, ("project",)),
    "/hazards/{hazard_id}": Expect(READERS, ("hazard", "area")),
    # A leader books and opens cases only with an officer record of their own; ours has none.
    "/projects/{project_id}/disputes/new": Expect(
        CASEWORKERS, ("project",), refused=frozenset({Role.LEADER})
    ),
    "/disputes/{dispute_id}": Expect(STAFF, ("dispute",)),  # not enterprises (finding 14)
    "/disputes/{dispute_id}/agreement": Expect(STAFF, ("dispute",)),
    "/projects/{project_id}/recoveries/new": Expect(
        CASEWORKERS, ("project",), refused=frozenset({Role.LEADER})
    ),
    "/recoveries/{recovery_id}": Expect(READERS, ("recovery",)),
    "/projects/{project_id}/poster": Expect(STAFF, ("project",)),
    "/projects/{project_id}/qr.svg": Expect(STAFF, ("project",), kind="image/svg+xml"),
    "/projects/{project_id}/qr.png": Expect(STAFF, ("project",), kind="image/png"),
    "/requests/{request_id}": Expect(READERS, REQUESTS),
    "/attachments/{attachment_id}": Expect(READERS, PHOTOS, kind=JPEG),
    # The original (EXIF and GPS kept) is for chiefs, leaders, admins and its uploader.
    "/attachments/{attachment_id}/original": Expect(
        READERS, PHOTOS, kind=JPEG, refused=frozenset({Role.OFFICER, Role.ENTERPRISE})
    ),
    "/ledger/uploads/{upload_id}": Expect(KEEPERS, ("upload",), scoped=False),
    "/ledger/uploads/{upload_id}/progress": Expect(KEEPERS, ("upload",), scoped=False),
    "/api/v1/projects/{project_id}": Expect(TOKEN_OWNERS, ("project", "spare"), kind=JSON),
    "/api/v1/requests/{request_id}": Expect(TOKEN_OWNERS, REQUESTS, kind=JSON),
}
# Open to anyone by design: a project's public request form, named by its code. And a kept
# photo of a refused form, which opens for whoever chose it (its browser or its login) and
# for nobody else, whatever their role (tests/attachments/test_pending.py).
PUBLIC = {"/r/{project_code}"}
OWN_ONLY = {"/r/pending/{token}", "/uploads/pending/{token}"}


@cache
def id_routes() -> dict[str, RouteInfo]:
    return {r.path: r for r in all_routes() if "GET" in r.methods and re.search(r"\{\w+\}", r.path)}


def test_every_id_route_has_an_expectation():
    assert set(id_routes()) - PUBLIC - OWN_ONLY == set(ROUTES)


def url_for(path: str, record_id: int) -> str:
    return re.sub(r"\{\w+\}", str(record_id), path)


def expected_status(world: World, path: str, role: Role, side: str, name: str) -> int:
    expect = ROUTES[path]
    if role not in expect.admits:
        return 403
    if expect.scoped and not world.reaches(role, side, name):
        return 404
    return 403 if role in expect.refused else 200


def problem(
    world: World, role: Role, response: Any, path: str, want: int, record_id: int
) -> str | None:
    """What is wrong with `response`, or None."""
    if response.status_code != want:
        return f"{response.status_code} instead of {want}"
    if want != 200:
        return None
    kind = ROUTES[path].kind
    if not response.headers["content-type"].startswith(kind):
        return f"content type {response.headers['content-type']}"
    if kind == HTML and (stray := world.stray_links(role, response.text)):
        return f"links to records out of reach: {sorted(stray)}"
    if kind == JSON and response.json()["id"] != record_id:
        return "another record's JSON"
    if kind not in (HTML, JSON) and "content-disposition" not in response.headers:
        return "a file without Content-Disposition"
    return None


@pytest.fixture
def world(db) -> World:  # type: ignore[no-untyped-def]
    return build_world(db)


@pytest.mark.parametrize("role", list(Role))
def test_role_by_id_route_on_own_and_other_records(client, world, role):
    world.login(client, role)
    api = world.bearer(role)
    failures = []
    for path, expect in ROUTES.items():
        # A role the route does not admit is refused before any record is read: one is enough.
        tried = expect.records if role in expect.admits else expect.records[:1]
        for side in (OWN, OTHER):
            for name in tried:
                record_id = world.record(side, name).id
                url = url_for(path, record_id)
                want = expected_status(world, path, role, side, name)
                # The page, and (once a side) the same URL as htmx asks for it.
                for extra in ({}, HTMX) if name == tried[0] else ({},):
                    headers = {**extra, **api} if path.startswith("/api/") else extra
                    response = client.get(url, headers=headers, follow_redirects=False)
                    if wrong := problem(world, role, response, path, want, record_id):
                        failures.append(f"{role} GET {url} ({side} {name}, {extra}): {wrong}")
    assert not failures, "\n".join(failures)


def test_anonymous_gets_the_login_page_or_401_from_every_id_route(client, world):
    failures = []
    for path, expect in ROUTES.items():
        url = url_for(path, world.record(OWN, expect.records[0]).id)
        page, fragment = (client.get(url, headers=h, follow_redirects=False) for h in ({}, HTMX))
        if path.startswith("/api/"):
            ok = page.status_code == fragment.status_code == 401
        else:
            ok = (
                page.status_code == 303
                and page.headers["location"].startswith("/login")
                and fragment.status_code == 204
                and fragment.headers["hx-redirect"].startswith("/login")
            )
        if not ok:
            failures.append(f"GET {url}: {page.status_code}, htmx {fragment.status_code}")
    assert not failures, "\n".join(failures)


def test_an_officer_edits_only_the_projects_assigned_to_them(client, world):
    """The edit form is the project's own officer's (and managers'); a colleague of the same
    station, who may read the file, may not open it."""
    world.login(client, Role.OFFICER)
    assert client.get(f"/projects/{world.own.project.id}/edit").status_code == 200
    assert client.get(f"/projects/{world.own.spare.id}/edit").status_code == 403
    assert client.get(f"/projects/{world.own.spare.id}").status_code == 200


def test_a_project_page_names_only_the_requests_its_reader_may_open(client, world):
    """An enterprise contact reads their project's file, but a request someone else sent from
    its poster (a worker's complaint, say) is not theirs: neither its tracking number nor a
    link to it, in the open-requests panel or on the timeline. Its officer sees both."""
    own = world.own
    theirs, someone_elses = own.request.tracking_no, own.poster_request.tracking_no
    world.login(client, Role.ENTERPRISE)
    page = client.get(f"/projects/{own.project.id}").text
    assert theirs in page and someone_elses not in page
    world.login(client, Role.OFFICER)
    page = client.get(f"/projects/{own.project.id}").text
    assert theirs in page and someone_elses in page


def test_a_chief_reads_no_other_stations_figures(client, world):
    """The dashboard's station is a query parameter, not an id: another station's code is
    refused on every dashboard route, as no such station would be."""
    world.login(client, Role.CHIEF)
    for path in ("/dashboard", "/dashboard/records", "/dashboard/brief", "/dashboard/export.xlsx"):
        own = client.get(path, params={"station": world.own.station.code})
        other = client.get(path, params={"station": world.other.station.code})
        assert (own.status_code, other.status_code) == (200, 404), path
    metrics = client.get(
        "/api/v1/metrics",
        params={"from": "2020-01-01", "to": "2030-12-31", "station": world.other.station.code},
        headers=world.bearer(Role.CHIEF),
    )
    assert metrics.status_code == 403


# ---- lists, exports and the API: exactly the permitted rows (Z3) -----------------------

LIST_ROLES = (Role.OFFICER, Role.CHIEF, Role.LEADER, Role.ENTERPRISE, Role.ADMIN)

# A list page, the links that name its rows, and which records of the world it lists.
LISTS: dict[str, tuple[str, tuple[str, ...]]] = {
    "/projects": (r'href="/projects/(\d+)"', ("project", "spare")),
    "/coverage": (r'href="/projects/(\d+)"', ("spare",)),  # the uncovered
    "/enterprises": (r'href="/enterprises/(\d+)"', ("enterprise", "spare_enterprise")),
    "/officers": (r'href="/projects\?officer=(\d+)"', ("officer", "chief")),
    "/hazards": (r'href="/hazards/(\d+)"', ("hazard",)),
    "/areas": (r'href="/hazards/(\d+)"', ("area",)),
    "/disputes": (r'href="/disputes/(\d+)"', ("dispute",)),
    "/recoveries": (r'href="/recoveries/(\d+)"', ("recovery",)),
    "/requests?box=all": (r'href="/requests/(\d+)"', REQUESTS),
}
# A filter that names another station, enterprise or project narrows the list to what of it
# the login reaches (nothing, for a station's staff): it never widens the scope.
FILTERED: dict[str, tuple[str, tuple[str, ...]]] = {
    "/projects?station={station}": LISTS["/projects"],
    "/projects?enterprise={enterprise}": (LISTS["/projects"][0], ("project",)),
    "/officers?station={station}": LISTS["/officers"],
    "/hazards?station={station}": LISTS["/hazards"],
    "/areas?station={station}": LISTS["/areas"],
    "/disputes?station={station}": LISTS["/disputes"],
    "/recoveries?station={station}": LISTS["/recoveries"],
}
API_FILTERED: dict[str, tuple[str, ...]] = {
    "/api/v1/projects?station={station}": ("project", "spare"),
    "/api/v1/hazards?station={station}": ("hazard",),
    "/api/v1/hazards?project={spare}&areas=true": ("area",),
    "/api/v1/disputes?project={project}": ("dispute",),
    "/api/v1/recoveries?project={project}": ("recovery",),
    "/api/v1/requests?project={project}": ("request", "poster_request"),
}
# What each staff role's own inbox (the default box) holds: an officer's the requests routed
# to them, a chief's their station's, the leaders' the duty desk's.
INBOX = {
    Role.OFFICER: ("request", "poster_request"),
    Role.CHIEF: ("request", "poster_request", "spare_request"),
    Role.LEADER: ("duty_request",),
    Role.ENTERPRISE: ("request",),  # a contact's only box: their enterprise's requests
}
# The list pages' 导出 Excel: the sheet's first column is the record's code.
EXPORTS: dict[str, tuple[str, ...]] = {
    "/projects?format=xlsx": ("project", "spare"),
    "/hazards?format=xlsx": ("hazard",),
    "/areas?format=xlsx": ("area",),
    "/disputes?format=xlsx": ("dispute",),
    "/recoveries?format=xlsx": ("recovery",),
    "/requests?box=all&format=xlsx": REQUESTS,
}
API_LISTS: dict[str, tuple[str, ...]] = {
    "/api/v1/projects": ("project", "spare"),
    "/api/v1/hazards": ("hazard",),
    "/api/v1/hazards?areas=true": ("area",),
    "/api/v1/disputes": ("dispute",),
    "/api/v1/recoveries": ("recovery",),
    "/api/v1/requests": REQUESTS,
}


def page_ids(
    client: TestClient, world: World, role: Role, url: str, pattern: str, headers: dict[str, str]
) -> set[int]:
    """The ids of the rows the page lists; it links to no record out of the login's reach."""
    response = client.get(url, headers=headers)
    assert response.status_code == 200, f"{url}: {response.status_code}"
    stray = world.stray_links(role, response.text)
    assert not stray, f"{url} links to records out of reach: {sorted(stray)}"
    return {int(found) for found in re.findall(pattern, response.text)}


def code_of(row: Any) -> str:
    return str(getattr(row, "tracking_no", None) or row.code)


def sheet_codes(content: bytes, sheet: str | None = None) -> set[str]:
    book = load_workbook(io.BytesIO(content), read_only=True)
    rows = list((book[sheet] if sheet else book.worksheets[0]).iter_rows(values_only=True))
    return {str(row[0]) for row in rows[1:]}


# Who opens each list (the rest get 403), independent of the routes' own declarations.
LIST_ADMITS = {
    "/projects": READERS,
    "/coverage": STAFF,
    "/enterprises": READERS,
    "/officers": STAFF,
    "/hazards": READERS,
    "/areas": READERS,
    "/disputes": STAFF,  # not enterprise contacts: the cases are often against them
    "/recoveries": READERS,
    "/requests": READERS,
    "/home": CASEWORKERS | {Role.ENTERPRISE},
}


def listable(url: str) -> set[Role]:
    """The roles (of LIST_ROLES) that may open the page at `url`."""
    return LIST_ADMITS[url.split("?")[0]] & set(LIST_ROLES)


def of_the_other_side(world: World, url: str) -> str:
    other = world.other
    return url.format(
        station=other.station.id,
        enterprise=other.enterprise.id,
        project=other.project.id,
        spare=other.spare.id,
    )


def reached_there(world: World, role: Role, names: tuple[str, ...]) -> set[int]:
    """The ids of the other station's records `names` that `role` reaches."""
    return {world.other.id(name) for name in names if world.reaches(role, OTHER, name)}


def list_page_failures(client: TestClient, world: World, role: Role) -> list[str]:
    failures = []
    for url, (pattern, names) in LISTS.items():
        if role not in listable(url):
            continue
        want = {row.id for row in world.visible(role, names)}
        for headers in ({}, HTMX):  # the page, and the fragment a filter swaps in
            got = page_ids(client, world, role, url, pattern, headers)
            if got != want:
                failures.append(f"{url} {headers}: {sorted(got)} != {sorted(want)}")
    for template, (pattern, names) in FILTERED.items():
        if role not in listable(template):
            continue
        url = of_the_other_side(world, template)
        got = page_ids(client, world, role, url, pattern, HTMX)
        if got != (want := reached_there(world, role, names)):
            failures.append(f"{url}: {sorted(got)} != {sorted(want)}")
    if role in listable("/home") and (stray := world.stray_links(role, client.get("/home").text)):
        failures.append(f"/home links to records out of reach: {sorted(stray)}")
    if role in INBOX:
        want = {row.id for row in world.visible(role, INBOX[role])}
        got = page_ids(client, world, role, "/requests", LISTS["/requests?box=all"][0], {})
        if got != want:
            failures.append(f"/requests (inbox): {sorted(got)} != {sorted(want)}")
    return failures


def export_failures(client: TestClient, world: World, role: Role) -> list[str]:
    failures = []
    for url, names in EXPORTS.items():
        if role not in listable(url):
            continue
        response = client.get(url)
        assert response.status_code == 200, url
        want = {code_of(row) for row in world.visible(role, names)}
        if (got := sheet_codes(response.content)) != want:
            failures.append(f"{url}: {sorted(got)} != {sorted(want)}")
    return failures


def api_failures(client: TestClient, world: World, role: Role) -> list[str]:
    headers = world.bearer(role)
    failures = []
    wanted = [
        (url, {row.id for row in world.visible(role, names)}) for url, names in API_LISTS.items()
    ]
    wanted += [
        (of_the_other_side(world, template), reached_there(world, role, names))
        for template, names in API_FILTERED.items()
    ]
    for url, want in wanted:
        response = client.get(url, headers=headers)
        assert response.status_code == 200, url
        if (got := {item["id"] for item in response.json()["items"]}) != want:
            failures.append(f"{url}: {sorted(got)} != {sorted(want)}")
    return failures


# The dashboard's drill-downs and its workbook, for the two roles that read it: a chief their
# station's records, a leader the district's (the duty desk's requests included).
FIGURES = {
    "hazards.found": (r'href="/hazards/(\d+)"', ("hazard",)),
    "areas.found": (r'href="/hazards/(\d+)"', ("area",)),
    "disputes.received": (r'href="/disputes/(\d+)"', ("dispute",)),
    "recoveries.count": (r'href="/recoveries/(\d+)"', ("recovery",)),
    "requests.received": (r'href="/requests/(\d+)"', REQUESTS),
}
DASHBOARD_SHEETS = {
    "隐患": ("hazard", "area"),  # the ledger's sheet holds complex areas too
    "纠纷": ("dispute",),
    "挽回损失": ("recovery",),
    "诉求": REQUESTS,
}


def dashboard_failures(client: TestClient, world: World, role: Role) -> list[str]:
    if role not in (Role.CHIEF, Role.LEADER):
        return []
    failures = []
    for figure, (pattern, names) in FIGURES.items():
        url = f"/dashboard/records?figure={figure}"
        want = {row.id for row in world.visible(role, names)}
        if (got := page_ids(client, world, role, url, pattern, {})) != want:
            failures.append(f"{url}: {sorted(got)} != {sorted(want)}")
    book = client.get("/dashboard/export.xlsx")
    assert book.status_code == 200
    for sheet, names in DASHBOARD_SHEETS.items():
        want_codes = {code_of(row) for row in world.visible(role, names)}
        if (codes := sheet_codes(book.content, sheet)) != want_codes:
            failures.append(f"export {sheet}: {sorted(codes)} != {sorted(want_codes)}")
    return failures


@pytest.mark.parametrize("role", list(Role))
def test_lists_exports_and_the_api_hold_exactly_the_rows_the_login_may_see(client, world, role):
    """Each list page and its htmx fragment, the staff inbox, each list's 导出 Excel, each API
    list, and the dashboard's drill-downs and workbook: the set of ids (or codes) equals the
    set the world says this role reaches."""
    world.login(client, role)
    failures = [
        *list_page_failures(client, world, role),
        *export_failures(client, world, role),
        *api_failures(client, world, role),
        *dashboard_failures(client, world, role),
    ]
    assert not failures, f"{role}:\n" + "\n".join(failures)
