"""Phone and ID numbers typed into free text (a request's content, a dispute's facts, a visit's
summary, a hazard's description, a project's notes) are masked wherever staff read the text: its
pages, the list exports, the dashboard workbook, and the audit log the auditor reads; a staff
member who reaches the record reveals the text whole, and the reveal is audited without it
(issue 18, finding 8)."""

import io
import json
import re

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlmodel import Session, col, select

from liaison.audit.models import AuditLog
from liaison.auth.roles import Role
from liaison.clock import local, now
from liaison.disputes import service as dispute_service
from liaison.disputes.models import DisputeFollowUp
from liaison.downloads import XLSX
from liaison.projects import service as project_service
from liaison.projects.models import Visit, VisitKind
from tests.factories import (
    login_as,
    make_dispute,
    make_hazard,
    make_officer,
    make_project,
    make_request,
    make_station,
    post,
)
from tests.security.world import fast_hashing  # noqa: F401  (an autouse fixture)

PHONE, ID_NUMBER = "13712345678", "11010519900101123X"
MASKED_PHONE, MASKED_ID = "137****5678", "110***********123X"
TYPED = f"联系人电话 {PHONE}，身份证号 {ID_NUMBER}，涉及金额 12345.67 元，约定 2026-12-06 前付清"
WHOLE = re.compile(rf"{PHONE}|{ID_NUMBER}")
ROLES = [Role.ADMIN, Role.LEADER, Role.CHIEF, Role.OFFICER]


@pytest.fixture
def texts(db: Session) -> dict:
    """A station's records, each with the numbers typed into its free text."""
    station = make_station(db)
    chief, holder = make_officer(db, station), make_officer(db, station)
    project = make_project(db, station, officer=holder)
    project.notes = f"备注：{TYPED}"
    db.add(project)
    request = make_request(db, project, content=f"诉求：{TYPED}")
    dispute = make_dispute(db, project, holder, agreement_fen=1_000_00)
    dispute.facts = f"事实：{TYPED}"
    db.add(dispute)
    summary = f"回访：{TYPED}"
    follow_up = dispute_service.follow_up(
        db, dispute, visited_on=project_service.today(), summary=summary, by_user_id=None
    )
    visit = project_service.log_visit(
        db,
        project,
        holder,
        visit_date=project_service.today(),
        kind=VisitKind.VISIT,
        summary=f"走访：{TYPED}",
        by_user_id=None,
    )
    hazard = make_hazard(db, project, holder)
    hazard.description = f"隐患：{TYPED}"
    db.add(hazard)
    db.commit()
    assert isinstance(follow_up, DisputeFollowUp) and isinstance(visit, Visit)
    return {
        "chief": chief,
        "holder": holder,
        "project": project,
        "request": request,
        "dispute": dispute,
        "follow_up": follow_up,
        "hazard": hazard,
    }


def log_in(client: TestClient, db: Session, texts: dict, role: Role) -> None:
    officer = {Role.CHIEF: texts["chief"], Role.OFFICER: texts["holder"]}.get(role)
    login_as(client, db, role, **({"officer": officer} if officer else {}))


def readable(response) -> str:  # type: ignore[no-untyped-def]
    """What a person reads in an answer: its text, or every cell of a workbook."""
    if response.headers.get("content-type", "").startswith(XLSX):
        book = load_workbook(io.BytesIO(response.content), read_only=True)
        return "\n".join(
            "\t".join("" if v is None else str(v) for v in row)
            for sheet in book.worksheets
            for row in sheet.iter_rows(values_only=True)
        )
    return response.text


def shown_masked(response, where: str) -> str:  # type: ignore[no-untyped-def]
    assert response.status_code == 200, f"{where}: {response.status_code}"
    text = readable(response)
    assert not WHOLE.search(text), f"{where} shows a whole number"
    return text


def pages(texts: dict) -> dict[str, str]:
    """Each page or export → the text of ours it must show, its numbers masked."""
    p, r, d, h = texts["project"], texts["request"], texts["dispute"], texts["hazard"]
    return {
        f"/projects/{p.id}": "备注：",
        f"/requests/{r.id}": "诉求：",
        "/requests?box=all": "诉求：联系人电话 137****5678，",  # cut short in the list
        "/requests?box=all&format=xlsx": "诉求：",
        f"/disputes/{d.id}": "回访：",
        f"/disputes/{d.id}/agreement": "事实：",
        "/disputes?format=xlsx": "事实：",
        f"/hazards/{h.id}": "隐患：",
        "/hazards?format=xlsx": "隐患：",
        "/dashboard/export.xlsx": "诉求：",
    }


@pytest.mark.parametrize("role", ROLES)
def test_staff_read_the_numbers_in_free_text_masked(client, db, texts, role):
    log_in(client, db, texts, role)
    read = 0
    for url, ours in pages(texts).items():
        response = client.get(url)
        if response.status_code in (403, 404) and (role == Role.ADMIN or "dashboard" in url):
            continue  # not this role's page (test_permissions says whose it is)
        text = shown_masked(response, url)
        assert ours in text, url
        if "box=all" not in url:
            assert MASKED_PHONE in text and MASKED_ID in text, url
            assert "12345.67" in text and "2026-12-06" in text, f"{url} mangles an amount or a date"
        read += 1
    assert read >= (1 if role == Role.ADMIN else 9)


def test_the_project_timeline_shows_a_visit_summary_masked(client, db, texts):
    log_in(client, db, texts, Role.CHIEF)
    text = shown_masked(client.get(f"/projects/{texts['project'].id}"), "project")
    assert f"走访：联系人电话 {MASKED_PHONE}" in text


def test_the_auditor_reads_the_audit_log_masked(client, db, texts):
    rows = db.exec(select(AuditLog)).all()
    for row in rows:
        assert not WHOLE.search(json.dumps([row.before, row.after], ensure_ascii=False)), row
    logged = [r for r in rows if "回访：" in json.dumps(r.after, ensure_ascii=False)]
    assert logged and MASKED_ID in logged[0].after["summary"]
    login_as(client, db, Role.AUDITOR)
    shown_masked(client.get("/audit"), "/audit")
    for row in rows:
        shown_masked(client.get(f"/audit/{row.id}"), f"/audit/{row.id}")
    today = f"{local(now()):%Y-%m-%d}"
    export = post(client, "/audit/export", {"since": today, "until": today})
    text = shown_masked(export, "/audit/export")
    assert "诉求：" in text and MASKED_PHONE in text


def reveal(client: TestClient, kind: str, object_id: int, field: str):  # type: ignore[no-untyped-def]
    return post(client, f"/reveal/{kind}/{object_id}/{field}", headers={"HX-Request": "true"})


@pytest.mark.parametrize("role", [Role.LEADER, Role.CHIEF, Role.OFFICER])
def test_staff_reveal_a_free_text_whole_and_the_reveal_is_audited(client, db, texts, role):
    log_in(client, db, texts, role)
    request = texts["request"]
    page = client.get(f"/requests/{request.id}").text
    assert f'hx-post="/reveal/request/{request.id}/content"' in page
    targets = [
        ("request", request.id, "content"),
        ("dispute", texts["dispute"].id, "facts"),
        ("follow-up", texts["follow_up"].id, "summary"),
        ("hazard", texts["hazard"].id, "description"),
        ("project", texts["project"].id, "notes"),
    ]
    for kind, object_id, field in targets:
        response = reveal(client, kind, object_id, field)
        assert response.status_code == 200, (kind, response.status_code)
        assert PHONE in response.text and ID_NUMBER in response.text
        assert response.headers["cache-control"] == "no-store"
    events = db.exec(
        select(AuditLog).where(AuditLog.action == "reveal").order_by(col(AuditLog.id))
    ).all()
    assert [(e.object_id, e.after) for e in events] == [
        (str(object_id), {"field": field}) for _, object_id, field in targets
    ]


def test_an_officer_of_another_station_cannot_reveal_the_text(client, db, texts):
    login_as(client, db, Role.OFFICER, officer=make_officer(db, make_station(db)))
    assert reveal(client, "follow-up", texts["follow_up"].id, "summary").status_code == 404
    assert reveal(client, "request", texts["request"].id, "content").status_code == 404
    assert db.exec(select(AuditLog).where(AuditLog.action == "reveal")).all() == []
