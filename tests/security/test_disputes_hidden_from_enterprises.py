"""Issue 18, finding 14: an enterprise contact read the disputes against his company, labour
claims included (the applicants' names and what they told the police). Contacts see no
dispute: not in a list, not by id, not on the project's page, not through the API."""

from liaison.auth import service as auth_service
from liaison.auth.roles import Role
from tests.factories import (
    login_as,
    make_dispute,
    make_enterprise,
    make_officer,
    make_project,
    make_station,
)


def test_an_enterprise_contact_sees_no_dispute_of_its_own_projects(client, db):
    station = make_station(db)
    officer = make_officer(db, station)
    acme = make_enterprise(db)
    project = make_project(db, station, officer=officer, enterprise=acme)
    case = make_dispute(db, project, officer)
    contact = login_as(client, db, Role.ENTERPRISE, enterprise=acme)
    assert client.get(f"/projects/{project.id}").status_code == 200  # their project: yes
    assert case.code not in client.get(f"/projects/{project.id}").text
    assert client.get(f"/disputes/{case.id}").status_code in (403, 404)
    assert client.get("/disputes").status_code in (403, 404)
    assert client.get("/disputes?format=xlsx").status_code in (403, 404)
    token = auth_service.create_api_token(db, contact)
    db.commit()
    api = client.get("/api/v1/disputes", headers={"Authorization": f"Bearer {token}"}).json()
    assert api["total"] == 0
