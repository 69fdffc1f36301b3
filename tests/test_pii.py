"""Personal data (SECURITY.md Z4, P3, P4): phone and ID numbers are masked on every page, htmx
fragment, export and API answer that staff reach; a leader, chief or officer may reveal one
number whole on a record they reach, and each reveal is audited without the number."""

import io
import json
import re
from datetime import date

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlmodel import Session, col, select
from typer.testing import CliRunner

from liaison.attachments.models import Attachment
from liaison.audit.models import AuditLog
from liaison.auth import service as auth_service
from liaison.auth.roles import Role
from liaison.cli import app
from liaison.disputes.models import DisputeParty
from liaison.downloads import XLSX
from liaison.enterprises import service as enterprise_service
from liaison.enterprises.schemas import ContactIn
from liaison.ledger.models import LedgerUpload
from liaison.pii import mask_numbers, strip_numbers
from liaison.projects.models import Project
from tests.factories import (
    csrf_token,
    login_as,
    make_dispute,
    make_enterprise,
    make_hazard,
    make_officer,
    make_project,
    make_recovery,
    make_request,
    make_station,
    make_user,
    post,
)
from tests.images import jpeg
from tests.routes import all_routes
from tests.test_permissions import PAGES

# A whole number standing on its own: not a run of digits inside a random token (CSRF, keys).
FULL_NUMBER = re.compile(r"(?<![0-9A-Za-z_-])(?:1[3-9]\d{9}|\d{17}[\dXx])(?![0-9A-Za-z_-])")
# The whole ledger must import back as it is: it keeps numbers whole, for keepers only.
WHOLE_BY_DESIGN = {"/ledger/export.xlsx", "/ledger/export.zip"}
LISTS = ["/projects", "/hazards", "/areas", "/disputes", "/recoveries", "/requests?box=all"]
STAFF = [Role.LEADER, Role.CHIEF, Role.OFFICER]

SITE_PHONE = "13755556666"
CONTACT_PHONE = "13911112222"
PARTY_PHONE, PARTY_ID = "13900001111", "11010519491231002X"  # make_dispute's applicant
SUBMITTER_PHONE = "13811112222"  # make_request's


@pytest.fixture
def district(db: Session) -> dict:
    """A station with every kind of record that carries a phone or an ID number."""
    station = make_station(db)
    chief, holder = make_officer(db, station), make_officer(db, station)
    enterprise = make_enterprise(db)
    contact = enterprise_service.save_contact(
        db,
        None,
        ContactIn(
            enterprise_id=enterprise.id,
            name="赵六",
            title="经理",
            phone=CONTACT_PHONE,
            is_primary=True,
        ),
    )
    project = make_project(db, station, enterprise=enterprise, officer=holder)
    project.site_security_phone = SITE_PHONE
    db.add(project)
    db.commit()
    hazard = make_hazard(db, project, holder, photos=[("现场.jpg", jpeg())])
    dispute = make_dispute(db, project, holder, agreement_fen=10_000_00, book_recovery=True)
    party = db.exec(select(DisputeParty).where(DisputeParty.id_number == PARTY_ID)).one()
    recovery = make_recovery(db, project, holder)
    request = make_request(db, project, enterprise=enterprise)
    upload = LedgerUpload(filename="台账.xlsx", size=0, sha256="0" * 64, data=b"")
    db.add(upload)
    db.commit()
    ids = {
        "user_id": make_user(db, Role.LEADER).id,
        "station_id": station.id,
        "officer_id": holder.id,
        "row_id": db.exec(select(AuditLog.id)).first(),
        "project_id": project.id,
        "enterprise_id": enterprise.id,
        "hazard_id": hazard.id,
        "attachment_id": db.exec(select(Attachment.id)).first(),
        "dispute_id": dispute.id,
        "recovery_id": recovery.id,
        "request_id": request.id,
        "upload_id": upload.id,
    }
    return {
        "ids": ids,
        "station": station,
        "chief": chief,
        "holder": holder,
        "contact": contact,
        "project": project,
        "party": party,
        "request": request,
        "dispute": dispute,
        "enterprise": enterprise,
    }


def login_in(client: TestClient, db: Session, district: dict, role: Role):  # type: ignore[no-untyped-def]
    """The district's chief, its project's own officer, or a leader."""
    officer = {Role.CHIEF: district["chief"], Role.OFFICER: district["holder"]}.get(role)
    return login_as(client, db, role, **({"officer": officer} if officer else {}))


def readable(response) -> str:  # type: ignore[no-untyped-def]
    """What a person could read in a response: its text, or every cell of a workbook."""
    kind = response.headers.get("content-type", "")
    if kind.startswith(XLSX):
        book = load_workbook(io.BytesIO(response.content), read_only=True)
        return "\n".join(
            "\t".join("" if v is None else str(v) for v in row)
            for sheet in book.worksheets
            for row in sheet.iter_rows(values_only=True)
        )
    if kind.startswith(("image/", "application/pdf")):
        return ""
    return response.text


def assert_no_full_number(response, where: str) -> None:  # type: ignore[no-untyped-def]
    assert response.status_code == 200, f"{where}: {response.status_code}"
    found = FULL_NUMBER.findall(readable(response))
    assert not found, f"{where} shows {found}"


@pytest.mark.parametrize("role", STAFF)
def test_no_page_fragment_or_export_shows_a_whole_number(client, db, district, role):
    login_in(client, db, district, role)
    for path, allowed in PAGES.items():
        if role in allowed and path not in WHOLE_BY_DESIGN:
            url = path.format(**district["ids"])
            assert_no_full_number(client.get(url), url)
    for path in LISTS:
        assert_no_full_number(client.get(path, headers={"HX-Request": "true"}), f"{path} htmx")
        export = path + ("&" if "?" in path else "?") + "format=xlsx"
        assert_no_full_number(client.get(export), export)


@pytest.mark.parametrize("role", STAFF)
def test_no_api_answer_shows_a_whole_number(client, db, district, role):
    officer = {Role.CHIEF: district["chief"], Role.OFFICER: district["holder"]}.get(role)
    user = make_user(db, role, **({"officer": officer} if officer else {}))
    headers = {"Authorization": f"Bearer {auth_service.create_api_token(db, user)}"}
    db.commit()
    year = date.today().year
    for route in all_routes():
        if route.path.startswith("/api/") and "GET" in route.methods:
            url = route.path.format(**district["ids"])
            response = client.get(
                url, headers=headers, params={"from": f"{year}-01-01", "to": f"{year}-12-31"}
            )
            if response.status_code == 403:  # metrics: not an officer's
                continue
            assert_no_full_number(response, url)


def test_the_pages_show_the_numbers_masked(client, db, district):
    """The scan above proves something: the numbers are on the pages, masked."""
    login_in(client, db, district, Role.LEADER)
    ids = district["ids"]
    dispute = client.get(f"/disputes/{ids['dispute_id']}").text
    assert "139****1111" in dispute and "110***********002X" in dispute
    assert "137****6666" in client.get(f"/projects/{ids['project_id']}").text
    assert "139****2222" in client.get(f"/enterprises/{ids['enterprise_id']}").text
    assert "138****2222" in client.get(f"/requests/{ids['request_id']}").text


def test_the_audit_log_keeps_no_whole_number(db, district):
    rows = db.exec(select(AuditLog)).all()
    types = {row.object_type for row in rows}
    assert {"Officer", "EnterpriseContact", "Project", "DisputeParty", "ServiceRequest"} <= types
    for row in rows:
        logged = json.dumps([row.before, row.after], ensure_ascii=False)
        assert not FULL_NUMBER.search(logged), (row.object_type, logged)
    party = next(r for r in rows if r.object_type == "DisputeParty" and r.after["id_number"])
    assert (party.after["phone"], party.after["id_number"]) == ("139****1111", "110***********002X")
    request = next(r for r in rows if r.object_type == "ServiceRequest" and r.action == "create")
    assert (request.after["submitter_name"], request.after["submitter_phone"]) == (
        "张*",
        "138****2222",
    )


# ---- reveal ----------------------------------------------------------------------------


def reveal(client: TestClient, kind: str, object_id: int, field: str):  # type: ignore[no-untyped-def]
    """The 显示 button: an htmx POST carrying the CSRF header the layout sets."""
    return client.post(
        f"/reveal/{kind}/{object_id}/{field}",
        headers={"HX-Request": "true", "X-CSRF-Token": csrf_token(client)},
    )


def reveals(db: Session) -> list[AuditLog]:
    return list(db.exec(select(AuditLog).where(AuditLog.action == "reveal")).all())


def test_a_chief_reveals_an_id_number_and_the_audit_names_the_field_not_the_number(
    client, db, district
):
    user = login_in(client, db, district, Role.CHIEF)
    party = district["party"]
    page = client.get(f"/disputes/{district['dispute'].id}").text
    assert f'hx-post="/reveal/party/{party.id}/id_number"' in page and PARTY_ID not in page
    response = reveal(client, "party", party.id, "id_number")
    assert response.status_code == 200 and PARTY_ID in response.text
    assert response.headers["cache-control"] == "no-store"
    [row] = reveals(db)
    assert (row.actor_id, row.actor_name) == (user.id, user.username)
    assert (row.object_type, row.object_id, row.after) == (
        "DisputeParty",
        str(party.id),
        {"field": "id_number"},
    )
    assert PARTY_ID not in json.dumps([row.before, row.after])


@pytest.mark.parametrize(
    ("kind", "record", "field", "number"),
    [
        ("officer", "holder", "phone", None),
        ("project", "project", "site_security_phone", SITE_PHONE),
        ("contact", "contact", "phone", CONTACT_PHONE),
        ("party", "party", "phone", PARTY_PHONE),
        ("party", "party", "id_number", PARTY_ID),
        ("request", "request", "submitter_phone", SUBMITTER_PHONE),
    ],
)
@pytest.mark.parametrize("role", STAFF)
def test_staff_reveal_each_kind_of_number_on_their_records(
    client, db, district, role, kind, record, field, number
):
    login_in(client, db, district, role)
    target = district[record]
    response = reveal(client, kind, target.id, field)
    assert response.status_code == 200
    assert (number or target.phone) in response.text
    assert [(r.object_id, r.after) for r in reveals(db)] == [(str(target.id), {"field": field})]


@pytest.mark.parametrize("role", [Role.AUDITOR, Role.ENTERPRISE, Role.ADMIN, Role.SECURITY])
def test_roles_without_the_permission_get_403(client, db, district, role):
    extra = {"enterprise": district["enterprise"]} if role == Role.ENTERPRISE else {}
    login_as(client, db, role, **extra)
    response = reveal(client, "party", district["party"].id, "id_number")
    assert response.status_code == 403 and PARTY_ID not in response.text
    assert reveals(db) == []


def test_an_officer_of_another_station_gets_404(client, db, district):
    login_as(client, db, Role.OFFICER, officer=make_officer(db, make_station(db)))
    for kind, target, field in (
        ("party", district["party"], "id_number"),
        ("request", district["request"], "submitter_phone"),
        ("project", district["project"], "site_security_phone"),
        ("officer", district["holder"], "phone"),
    ):
        assert reveal(client, kind, target.id, field).status_code == 404, kind
    assert reveals(db) == []


def test_only_listed_fields_can_be_revealed(client, db, district):
    login_in(client, db, district, Role.LEADER)
    request = district["request"]
    for kind, field in (("request", "tracking_no"), ("officer", "badge_no"), ("user", "phone")):
        assert reveal(client, kind, request.id, field).status_code == 404
    assert reveals(db) == []


def test_an_enterprise_contact_sees_their_officers_phone_to_call_but_nothing_to_reveal(
    client, db, district
):
    login_as(client, db, Role.ENTERPRISE, enterprise=district["enterprise"])
    page = client.get(f"/projects/{district['project'].id}").text
    assert f'href="tel:{district["holder"].phone}"' in page
    assert "/reveal/" not in page and SITE_PHONE not in page


# ---- edit forms ------------------------------------------------------------------------


def test_the_project_form_shows_the_phone_masked_and_keeps_it_unless_a_new_one_is_typed(
    client, db, district
):
    login_in(client, db, district, Role.LEADER)
    project = district["project"]
    form = client.get(f"/projects/{project.id}/edit").text
    assert 'value="137****6666"' in form and SITE_PHONE not in form
    fields = {
        "code": project.code,
        "name": "改名",
        "enterprise_uscc": district["enterprise"].uscc,
        "level": project.level,
        "stage": project.stage,
        "station_id": str(project.station_id),
    }
    saved = post(
        client, f"/projects/{project.id}", {**fields, "site_security_phone": "137****6666"}
    )
    assert saved.status_code == 200  # followed the redirect to the project
    db.refresh(project)
    assert (project.name, project.site_security_phone) == ("改名", SITE_PHONE)
    post(client, f"/projects/{project.id}", {**fields, "site_security_phone": "13600001234"})
    db.refresh(project)
    assert project.site_security_phone == "13600001234"


def test_a_number_changed_in_the_middle_is_logged_as_changed(db, district):
    project = db.get(Project, district["project"].id)
    assert project is not None
    project.site_security_phone = "13700006666"  # same first three and last four
    db.add(project)
    db.commit()
    row = db.exec(
        select(AuditLog)
        .where(AuditLog.object_type == "Project", AuditLog.action == "update")
        .order_by(col(AuditLog.id).desc())
    ).first()
    assert row is not None
    assert row.before["site_security_phone"] == "137****6666"
    assert row.after["site_security_phone"] == "137****6666 [已修改]"


# ---- exports ---------------------------------------------------------------------------


def exports(db: Session) -> list[tuple[str, str, str]]:
    rows = db.exec(select(AuditLog).where(AuditLog.action == "export")).all()
    return [(r.actor_name, r.object_type, r.after["file"]) for r in rows]


def test_every_export_is_audited_and_only_the_whole_ledger_keeps_numbers_whole(
    client, db, district
):
    leader = login_in(client, db, district, Role.LEADER)
    ledger = client.get("/ledger/export.xlsx")
    assert SUBMITTER_PHONE in readable(ledger)
    listed, dashboard = (
        client.get("/requests?box=all&format=xlsx"),
        client.get("/dashboard/export.xlsx"),
    )
    for masked in (listed, dashboard):
        assert "138****2222" in readable(masked) and SUBMITTER_PHONE not in readable(masked)
    assert [(who, kind) for who, kind, _ in exports(db)] == [
        (leader.username, "LedgerWorkbook"),
        (leader.username, "LedgerSheet"),
        (leader.username, "DashboardWorkbook"),
    ]
    assert exports(db)[1][2].startswith("诉求-")


def test_the_ledger_export_command_is_audited_too(db, district, tmp_path):
    result = CliRunner().invoke(app, ["export", str(tmp_path / "台账.xlsx")])
    assert result.exit_code == 0, result.output
    [row] = db.exec(select(AuditLog).where(AuditLog.action == "export")).all()
    assert (row.actor_name, row.object_type, row.after) == (
        "cli",
        "LedgerWorkbook",
        {"file": "台账.xlsx"},
    )


# ---- numbers in free text ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "shown"),
    [
        ("电话13812345678。", "电话138****5678。"),
        ("138 1234 5678", "138****5678"),
        ("138-1234-5678", "138****5678"),
        ("+86 138 1234 5678", "138****5678"),
        ("８６１３８１２３４５６７８", "138****5678"),  # full-width, 86 in front
        ("１３８１２３４５６７８号", "138****5678号"),
        ("座机 010-12345678", "座机 010****5678"),
        ("(0755) 8888 6666", "075****6666"),
        ("0755-8888-6666", "075****6666"),
        ("身份证11010519491231002X", "身份证110***********002X"),
        ("11010519491231002x", "110***********002X"),
        ("110105 19491231 002X", "110***********002X"),
        ("110105-1949-1231-002X", "110***********002X"),
        ("１１０１０５１９４９１２３１００２Ｘ", "110***********002X"),
        ("老身份证 110105491231002", "老身份证 110********1002"),
    ],
)
def test_phone_and_id_numbers_in_free_text_are_masked(typed, shown):
    assert mask_numbers(typed) == shown


@pytest.mark.parametrize(
    "kept",
    [
        "金额 12345.67 元",
        "13812345678.50 元",  # an amount, however long
        "2026-12-06 前付清",
        "受理编号 YY20261206-0001",
        "YY20261207-FS9M-FA67",
        "统一社会信用代码 91110000MA01ABCD2X",
        "911101080000000000",  # a credit code of digits only: no birth date inside
        "订单号 2026120612345678",
        "邮编 518000，门牌 12-3",
        "１２３４５．６７元",  # full-width text stays as typed
    ],
)
def test_amounts_dates_and_codes_in_free_text_are_kept(kept):
    assert mask_numbers(kept) == kept


def test_the_text_around_a_number_stays_as_typed():
    assert (
        mask_numbers("联系：１３８１２３４５６７８，金额１２３元")
        == "联系：138****5678，金额１２３元"
    )
    assert strip_numbers("张三 13812345678 反映") == "张三 [号码已删除] 反映"
    assert mask_numbers(None) == strip_numbers("") == ""
