"""Issue 18, finding 10: input that made a 500 for anyone gets a 4xx (or the page it would
have got) instead: Unicode digits in integer parameters, a non-ASCII CSRF token, a
non-ASCII second-factor code, huge or Unicode-digit ids in forms, and days at the ends of
the calendar on the audit pages."""

import pyotp
import pytest

from liaison import clock
from liaison.auth.roles import Role
from tests.factories import (
    csrf_token,
    login,
    login_as,
    make_officer,
    make_project,
    make_request,
    make_station,
    make_user,
    post,
)

# "²" and "³" are str.isdigit() but int() refuses them; "١٢" are Arabic-Indic digits.
ODD_NUMBERS = ["²", "%C2%B2", "١٢", "99999999999999999999", "１２"]


def no_error(response) -> None:  # type: ignore[no-untyped-def]
    assert response.status_code < 500, (response.request.url, response.text[:300])


@pytest.mark.parametrize("number", ODD_NUMBERS)
def test_odd_digits_in_an_id_of_the_path_or_query_are_not_a_server_error(client, db, number):
    login_as(client, db, Role.LEADER)
    for url in (
        f"/projects/{number}",
        f"/projects?station={number}",
        f"/hazards/{number}",
        f"/requests?project={number}",
    ):
        no_error(client.get(url))


@pytest.mark.parametrize("where", ["form", "header"])
def test_a_non_ascii_csrf_token_is_refused_not_a_server_error(client, db, where):
    token = csrf_token(client) + "é"
    data = {"username": "nobody", "password": "x"}
    if where == "form":
        response = client.post("/login", data={**data, "csrf_token": token})
    else:
        response = client.post("/login", data=data, headers=[("X-CSRF-Token", token.encode())])
    assert response.status_code == 403


def test_a_second_factor_code_of_other_digits_is_refused_beside_the_field(client, db):
    user = make_user(db, Role.OFFICER)
    user.totp_secret = pyotp.random_base32()
    user.totp_confirmed_at = clock.now()
    db.add(user)
    db.commit()
    login(client, user.username)
    response = post(client, "/login/code", {"code": "١٢٣٤٥٦"}, follow_redirects=False)
    assert response.status_code == 401 and "验证码不正确" in response.text


@pytest.mark.parametrize("number", ["²", "١٢", "99999999999999999999", "-1"])
def test_odd_ids_in_the_assignment_and_transfer_forms_are_refused(client, db, number):
    station = make_station(db)
    officer = make_officer(db, station)
    project = make_project(db, station, officer=officer)
    found = make_request(db, project)
    login_as(client, db, Role.LEADER)
    sent = [
        post(client, f"/projects/{project.id}/assign", {"officer_id": number, "reason": "调整"}),
        post(client, f"/officers/{officer.id}/reassign", {"officer_id": number, "reason": "调"}),
        post(client, "/coverage/auto-assign", {"pair": f"{project.id}:{number}"}),
        post(client, "/coverage/auto-assign", {"pair": f"{number}:{officer.id}"}),
        post(client, f"/requests/{found.id}/transfer", {"to": f"o{number}", "reason": "转办"}),
        post(client, f"/requests/{found.id}/transfer", {"to": f"s{number}", "reason": "转办"}),
    ]
    for response in sent:
        no_error(response)
        assert response.status_code >= 400 or "请选择" in response.text, response.request.url


@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31", "1899-12-31"])
def test_days_at_the_ends_of_the_calendar_on_the_audit_pages(client, db, day):
    login_as(client, db, Role.AUDITOR)
    no_error(client.get(f"/audit?since={day}"))
    no_error(client.get(f"/audit?until={day}"))
    no_error(post(client, "/audit/export", {"since": day, "until": "2026-01-01"}))
    no_error(post(client, "/audit/export", {"since": "2026-01-01", "until": day}))
