"""Deny by default: every route declares who may use it, and each role reaches exactly its
pages (a role × page table), including by id."""

import pytest
from sqlmodel import select

from liaison.attachments.models import Attachment
from liaison.audit.models import AuditLog
from liaison.auth.roles import Role
from liaison.ledger.models import LedgerUpload
from tests.factories import (
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
)
from tests.images import jpeg
from tests.routes import all_routes

PUBLIC = {
    "/login",
    "/healthz",
    "/",
    "/r",
    "/r/{project_code}",
    "/r/pending/{token}",  # the public form's kept photo: its own browser's only
    "/track",
    "/track/rate",
}
# A kept photo of a refused staff form opens for the login that chose it and nobody else,
# whatever the role (tests/attachments/test_pending.py): no record to open it by.
OWN_ONLY = {"/uploads/pending/{token}"}


def test_every_route_declares_a_permission():
    for route in all_routes():
        marked = [d for d in route.dependencies if getattr(d, "__permission__", False)]
        assert marked, f"{route.methods} {route.path} has no permission dependency"
        if route.path in PUBLIC:
            continue
        assert all(getattr(d, "__name__", "") != "public" for d in marked), route.path


MANAGERS = {Role.ADMIN, Role.LEADER, Role.CHIEF}
STAFF = MANAGERS | {Role.OFFICER}
READERS = STAFF | {Role.ENTERPRISE}
KEEPERS = {Role.ADMIN, Role.LEADER}  # the ledger's import
EXPORTERS = {Role.LEADER}  # the whole ledger, every number whole

# Every GET page, and who may open it; everyone else gets 403 (logged in) or the login page.
PAGES = {
    "/home": {Role.LEADER, Role.CHIEF, Role.OFFICER, Role.ENTERPRISE},
    "/account/password": set(Role),
    "/account/keepalive": set(Role),  # renews the session: the warning before it lapses
    "/account/tokens": set(Role),  # one's own API tokens
    "/account/two-factor": set(Role),
    # Accounts are the security administrator's; stations, officers and settings the system
    # administrator's; the audit log the auditor's (the three administrators).
    "/admin/users": {Role.SECURITY},
    "/admin/users/new": {Role.SECURITY},
    "/admin/users/{user_id}": {Role.SECURITY},
    "/admin/stations": {Role.ADMIN},
    "/admin/stations/new": {Role.ADMIN},
    "/admin/stations/{station_id}": {Role.ADMIN},
    "/admin/officers": {Role.ADMIN},
    "/admin/officers/new": {Role.ADMIN},
    "/admin/officers/{officer_id}": {Role.ADMIN},
    "/admin/policy": {Role.ADMIN, Role.SECURITY, Role.AUDITOR},
    "/audit": {Role.AUDITOR},
    "/audit/{row_id}": {Role.AUDITOR},
    "/projects": READERS,
    "/projects/new": MANAGERS,
    "/projects/enterprise-choices": STAFF,  # the project form's enterprise suggestions
    "/projects/{project_id}": READERS,
    "/projects/{project_id}/edit": MANAGERS,  # and the project's own officer, tested apart
    "/coverage": STAFF,
    "/coverage/auto-assign": MANAGERS,
    "/officers": STAFF,
    "/officers/{officer_id}": STAFF,  # who is away; marking them is the policy's absence.mark
    "/officers/{officer_id}/reassign": MANAGERS,
    "/enterprises": READERS,
    "/enterprises/new": STAFF,
    "/enterprises/{enterprise_id}": READERS,
    "/enterprises/{enterprise_id}/edit": STAFF,
    "/hazards": READERS,
    "/areas": READERS,
    "/projects/{project_id}/hazards/new": {Role.CHIEF, Role.OFFICER},
    "/hazards/{hazard_id}": READERS,
    "/attachments/{attachment_id}": READERS,
    "/attachments/{attachment_id}/original": MANAGERS,  # and the uploader, tested apart
    "/disputes": STAFF,  # not enterprise contacts: the cases are often against them
    "/projects/{project_id}/disputes/new": {Role.CHIEF, Role.OFFICER},
    "/disputes/{dispute_id}": STAFF,
    "/disputes/{dispute_id}/agreement": STAFF,
    "/recoveries": READERS,
    # The logged-in officer is a colleague of the project's officer: booking is the holder's.
    "/projects/{project_id}/recoveries/new": {Role.CHIEF},
    "/recoveries/{recovery_id}": READERS,
    "/requests": READERS,
    "/dashboard": {Role.LEADER, Role.CHIEF},
    "/dashboard/records": {Role.LEADER, Role.CHIEF},
    "/dashboard/brief": {Role.LEADER, Role.CHIEF},
    "/dashboard/export.xlsx": {Role.LEADER, Role.CHIEF},
    "/admin/service-levels": {Role.ADMIN},
    "/admin/calendar": {Role.ADMIN},
    "/requests/new": {Role.LEADER, Role.CHIEF, Role.OFFICER, Role.ENTERPRISE},
    "/requests/{request_id}": READERS,
    "/projects/{project_id}/poster": STAFF,
    "/projects/{project_id}/qr.svg": STAFF,
    "/projects/{project_id}/qr.png": STAFF,
    "/desk/poster": STAFF,
    "/desk/qr.svg": STAFF,
    "/desk/qr.png": STAFF,
    "/ledger": KEEPERS,
    "/ledger/template.xlsx": KEEPERS,
    "/ledger/export.xlsx": EXPORTERS,
    "/ledger/export.zip": EXPORTERS,
    "/ledger/uploads/{upload_id}": KEEPERS,
    "/ledger/uploads/{upload_id}/progress": KEEPERS,
    # Each staff login's own notifications; the outbox and the duty robots the administrator's.
    "/notifications": {Role.LEADER, Role.CHIEF, Role.OFFICER},
    "/notifications/count": {Role.LEADER, Role.CHIEF, Role.OFFICER},
    "/notifications/settings": {Role.LEADER, Role.CHIEF, Role.OFFICER},
    "/admin/deliveries": {Role.ADMIN},
    "/admin/robots": {Role.ADMIN},
}


def test_the_table_covers_every_page():
    pages = {r.path for r in all_routes() if "GET" in r.methods and not r.path.startswith("/api/")}
    # The code page only opens mid-login (tests/auth/test_second_factor.py).
    assert pages - PUBLIC - OWN_ONLY - {"/login/code"} == set(PAGES)


@pytest.fixture
def district(db):
    """One of each object the pages open by id, all in one station and one enterprise."""
    station = make_station(db)
    holder = make_officer(db, station)
    enterprise = make_enterprise(db)
    project = make_project(db, station, enterprise=enterprise, officer=holder)
    hazard = make_hazard(db, project, holder, photos=[("现场.jpg", jpeg())])
    attachment = db.exec(select(Attachment)).one()
    dispute = make_dispute(db, project, holder, agreement_fen=10_000_00, book_recovery=True)
    recovery = make_recovery(db, project, holder)
    request = make_request(db, project, enterprise=enterprise)
    user = make_user(db, Role.LEADER)
    audit_row = db.exec(select(AuditLog)).first()
    upload = LedgerUpload(filename="台账.xlsx", size=0, sha256="0" * 64, data=b"")
    db.add(upload)
    db.commit()
    return {
        "ids": {
            "user_id": user.id,
            "station_id": station.id,
            "officer_id": holder.id,
            "row_id": audit_row.id,
            "project_id": project.id,
            "enterprise_id": enterprise.id,
            "hazard_id": hazard.id,
            "attachment_id": attachment.id,
            "dispute_id": dispute.id,
            "recovery_id": recovery.id,
            "request_id": request.id,
            "upload_id": upload.id,
        },
        "station": station,
        "enterprise": enterprise,
    }


def login_in_district(client, db, district, role):  # type: ignore[no-untyped-def]
    """Log in as `role`, belonging to the district's station or enterprise."""
    if role in (Role.OFFICER, Role.CHIEF):
        return login_as(client, db, role, officer=make_officer(db, district["station"]))
    if role == Role.ENTERPRISE:
        return login_as(client, db, role, enterprise=district["enterprise"])
    return login_as(client, db, role)


@pytest.mark.parametrize("role", list(Role))
def test_role_by_page(client, db, district, role):
    login_in_district(client, db, district, role)
    for path, allowed in PAGES.items():
        url = path.format(**district["ids"])
        response = client.get(url, follow_redirects=False)
        expected = 200 if role in allowed else 403
        assert response.status_code == expected, f"{role} GET {url}"


def test_anonymous_is_sent_to_login_from_every_page(client, district):
    for path in PAGES:
        response = client.get(path.format(**district["ids"]), follow_redirects=False)
        assert response.status_code == 303, path
        assert response.headers["location"].startswith("/login")


def test_missing_objects_are_404(client, db):
    login_as(client, db, Role.SECURITY)
    assert client.get("/admin/users/9999").status_code == 404
    client.cookies.clear()
    login_as(client, db, Role.ADMIN)
    for path in (
        "/admin/stations/9999",
        "/admin/officers/9999",
        "/ledger/uploads/9999",
    ):
        assert client.get(path).status_code == 404
