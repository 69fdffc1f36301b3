"""The admin's station and officer pages."""

from sqlmodel import select

from liaison.auth.roles import Role
from liaison.org.models import Officer, Station
from tests.factories import login_as, make_officer, make_station, post


def test_admin_creates_and_renames_a_station(client, db):
    login_as(client, db, Role.ADMIN)
    assert (
        post(
            client,
            "/admin/stations",
            {"code": "S10", "name": "城南派出所", "active": "on"},
            follow_redirects=False,
        ).status_code
        == 303
    )
    station = db.exec(select(Station).where(Station.code == "S10")).one()
    post(client, f"/admin/stations/{station.id}", {"code": "S10", "name": "城南所", "active": ""})
    db.refresh(station)
    assert station.name == "城南所" and not station.active
    assert "城南所" in client.get("/admin/stations").text


def test_station_codes_are_unique_and_errors_stay_beside_the_field(client, db):
    make_station(db, code="S11")
    login_as(client, db, Role.ADMIN)
    page = post(client, "/admin/stations", {"code": "S11", "name": "重复", "active": "on"})
    assert page.status_code == 422 and "单位编码已存在" in page.text and 'id="e-code"' in page.text


def test_admin_adds_an_officer_record_without_a_login(client, db):
    station = make_station(db)
    login_as(client, db, Role.ADMIN)
    response = post(
        client,
        "/admin/officers",
        {
            "badge_no": "031234",
            "name": "赵敏",
            "phone": "13912345678",
            "station_code": station.code,
            "active": "on",
        },
        follow_redirects=False,
    )
    assert response.status_code == 303
    officer = db.exec(select(Officer).where(Officer.badge_no == "031234")).one()
    assert officer.station_id == station.id
    listing = client.get("/admin/officers")
    assert "139****5678" in listing.text and "13912345678" not in listing.text


def test_officer_form_refuses_a_bad_phone_in_chinese(client, db):
    station = make_station(db)
    login_as(client, db, Role.ADMIN)
    page = post(
        client,
        "/admin/officers",
        {"badge_no": "031235", "name": "钱", "phone": "12345", "station_code": station.code},
    )
    assert page.status_code == 422 and "格式不正确" in page.text


def test_officer_edit_page_moves_an_officer(client, db):
    officer = make_officer(db)
    other = make_station(db)
    login_as(client, db, Role.ADMIN)
    assert client.get(f"/admin/officers/{officer.id}").status_code == 200
    post(
        client,
        f"/admin/officers/{officer.id}",
        {
            "badge_no": officer.badge_no,
            "name": officer.name,
            "phone": "",
            "station_code": other.code,
            "active": "on",
        },
    )
    db.refresh(officer)
    assert officer.station_id == other.id and officer.phone is None
