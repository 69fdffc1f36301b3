"""The audit log: one row per write with before and after, in the same transaction, and
nothing can change or delete a row."""

import re

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from liaison.audit import service as audit_service
from liaison.audit.models import AuditLog
from liaison.auth.roles import Role
from liaison.clock import local, now
from liaison.db import get_engine
from liaison.org.models import Station
from tests.factories import login, login_as, make_station, make_user, post
from tests.routes import all_routes


def rows(db, **where):
    query = select(AuditLog).order_by(AuditLog.id)
    for key, value in where.items():
        query = query.where(getattr(AuditLog, key) == value)
    return db.exec(query).all()


def test_creating_a_station_writes_one_row_with_actor_address_and_after(client, db):
    admin = login_as(client, db, Role.ADMIN)
    response = post(
        client,
        "/admin/stations",
        {"code": "S77", "name": "测试派出所", "active": "on"},
        follow_redirects=False,
    )
    assert response.status_code == 303
    [row] = rows(db, object_type="Station")
    assert row.action == "create"
    assert row.actor_id == admin.id and row.actor_name == admin.username
    assert row.client_ip == "testclient"
    assert row.before is None and row.after["code"] == "S77" and row.after["name"] == "测试派出所"
    assert row.object_id == str(row.after["id"])  # a new row is found by its id too


def test_editing_records_before_and_after(client, db):
    station = make_station(db, code="S88", name="旧名")
    login_as(client, db, Role.ADMIN)
    post(client, f"/admin/stations/{station.id}", {"code": "S88", "name": "新名", "active": "on"})
    [update] = rows(db, object_type="Station", action="update")
    assert update.object_id == str(station.id)
    assert update.before["name"] == "旧名" and update.after["name"] == "新名"


def test_saving_without_a_change_writes_no_row(client, db):
    station = make_station(db, code="S89", name="不变")
    login_as(client, db, Role.ADMIN)
    post(client, f"/admin/stations/{station.id}", {"code": "S89", "name": "不变", "active": "on"})
    assert rows(db, object_type="Station", action="update") == []


def test_password_hashes_never_reach_the_log(client, db):
    user = make_user(db, Role.LEADER)
    login_as(client, db, Role.SECURITY)
    post(client, f"/admin/users/{user.id}/reset-password")
    [update] = rows(db, object_type="User", action="update", object_id=str(user.id))
    assert update.after["password_hash"] == "[已修改]"
    assert "argon2" not in str(update.before) + str(update.after)


def test_user_admin_actions_each_write_their_row(client, db):
    user = make_user(db, Role.LEADER)
    login_as(client, db, Role.SECURITY)
    post(client, f"/admin/users/{user.id}", {"display_name": "新名字", "role": "leader"})
    post(client, f"/admin/users/{user.id}/active", {"active": "false"})
    updates = rows(db, object_type="User", action="update", object_id=str(user.id))
    assert [u.after["display_name"] for u in updates] == ["新名字", "新名字"]
    assert [u.after["active"] for u in updates] == [True, False]


def test_a_failing_audit_write_rolls_the_change_back(client, db, monkeypatch):
    login_as(client, db, Role.ADMIN)

    def broken(connection, rows):  # type: ignore[no-untyped-def]
        raise RuntimeError("audit store unavailable")

    monkeypatch.setattr(audit_service, "_insert_rows", broken)
    with TestClient(client.app, raise_server_exceptions=False, cookies=client.cookies) as browser:
        response = post(
            browser, "/admin/stations", {"code": "S99", "name": "不应保存", "active": "on"}
        )
    assert response.status_code == 500
    assert db.exec(select(Station).where(Station.code == "S99")).first() is None


@pytest.mark.parametrize(
    "statement", ["UPDATE audit_log SET actor_name = 'x'", "DELETE FROM audit_log"]
)
def test_the_database_refuses_to_change_or_delete_audit_rows(db, statement):
    make_station(db)
    assert rows(db)
    with Session(get_engine()) as session, pytest.raises(sa.exc.DatabaseError):
        session.exec(sa.text(statement))
        session.commit()


def test_auditor_filters_by_user_object_and_date(client, db, travel):
    make_station(db, code="S01")
    travel.advance(days=3)
    make_station(db, code="S02")
    login_as(client, db, Role.AUDITOR)
    everything = client.get("/audit")
    assert "Station" in everything.text
    only_stations = client.get("/audit", params={"object_type": "Station"})
    assert only_stations.text.count("/audit/") >= 2
    by_actor = client.get("/audit", params={"actor": "test", "object_type": "Station"})
    assert listed(by_actor.text) == 2
    today = local(now()).date().isoformat()
    recent = client.get("/audit", params={"object_type": "Station", "since": today, "until": today})
    assert listed(recent.text) == 1
    fragment = client.get(
        "/audit", params={"object_type": "Station"}, headers={"HX-Request": "true"}
    )
    assert "<html" not in fragment.text and listed(fragment.text) == 2


def test_auditor_sees_the_change_in_detail(client, db):
    station = make_station(db, code="S66", name="旧")
    station.name = "新"
    db.add(station)
    db.commit()
    login_as(client, db, Role.AUDITOR)
    [update] = rows(db, object_type="Station", action="update")
    page = client.get(f"/audit/{update.id}")
    assert page.status_code == 200 and "旧" in page.text and "新" in page.text


def test_no_route_can_change_or_delete_audit_rows():
    appends_only = {"/audit/export"}  # a POST because exporting is itself an audit event
    for route in all_routes():
        writes = route.path.startswith("/audit") and route.methods - {"GET", "HEAD"}
        assert not writes or route.path in appends_only, route.path


def listed(page: str) -> int:
    """The count a list shows beside its title (or, in an htmx fragment, swaps in there)."""
    found = re.search(r'id="count"[^>]*>(\d+)<', page)
    assert found, "the page shows a count"
    return int(found.group(1))


def test_the_log_names_each_record_by_its_kind_and_code_and_a_login_by_its_user(client, db):
    """An auditor reads 派出所 S77 and 账号 someone, not Station #3 and User #5 by anonymous."""
    make_station(db, code="S77", name="城北派出所")
    someone = make_user(db, Role.OFFICER)
    login(client, someone.username)
    client.cookies.clear()
    login_as(client, db, Role.AUDITOR)
    page = client.get("/audit").text
    objects = re.findall(r'data-testid="audit-object">([^<]*)<', page)
    assert "派出所 S77" in objects and f"账号 {someone.username}" in objects
    assert "Station #" not in page
    [logged_in] = rows(db, action="login", object_id=str(someone.id))
    assert logged_in.actor_name == someone.username
