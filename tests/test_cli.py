"""The `liaison` command: init, create-user, token create, demo and serve."""

import os
import re
import socket
import subprocess
import sys
import time
from datetime import date, datetime, timedelta

import httpx
from sqlmodel import func, select
from typer.testing import CliRunner

from liaison.auth.models import User
from liaison.auth.roles import Role
from liaison.cli import app
from liaison.clock import LOCAL_TZ
from liaison.demo import DEMO_PASSWORD, DEMO_USERS
from liaison.desk.models import ServiceRequest
from liaison.disputes.models import Dispute
from liaison.hazards.models import Hazard, HazardCategory, HazardStatus
from liaison.projects import queries
from liaison.projects import service as project_service
from liaison.projects.models import Project, Visit
from liaison.recoveries.models import Recovery
from liaison.scope import Scope
from tests.conftest import use_production
from tests.factories import PASSWORD, TRACKING_NO, login, make_officer, make_station, make_user

runner = CliRunner()


def invoke(*args: str, input: str | None = None):  # type: ignore[no-untyped-def]
    return runner.invoke(app, list(args), input=input)


def test_init_is_idempotent(database_url):
    first, second = invoke("init"), invoke("init")
    assert first.exit_code == second.exit_code == 0


def test_create_user_reads_the_password_from_stdin(db, client):
    station = make_station(db)
    result = invoke(
        "create-user",
        "zhangwei",
        "--role",
        "officer",
        "--name",
        "张伟",
        "--station",
        station.code,
        "--badge",
        "123456",
        input=PASSWORD + "\n",
    )
    assert result.exit_code == 0, result.output
    user = db.exec(select(User).where(User.username == "zhangwei")).one()
    assert user.role == "officer" and user.display_name == "张伟" and user.must_change_password
    assert user.officer_id is not None
    assert login(client, "zhangwei").headers["location"] == "/account/password"


def test_create_user_links_an_existing_officer(db):
    officer = make_officer(db)
    result = invoke(
        "create-user",
        "chief1",
        "--role",
        "chief",
        "--badge",
        officer.badge_no,
        input=PASSWORD + "\n",
    )
    assert result.exit_code == 0, result.output
    assert db.exec(select(User).where(User.username == "chief1")).one().officer_id == officer.id


def test_create_user_refuses_a_weak_password_in_chinese(database_url):
    result = invoke("create-user", "boss", "--role", "admin", input="password123\n")
    assert result.exit_code == 1
    assert "密码" in result.output


def test_create_user_refuses_an_officer_without_a_badge(database_url):
    result = invoke("create-user", "nobadge", "--role", "officer", input=PASSWORD + "\n")
    assert result.exit_code == 1 and "警号" in result.output


def test_token_is_printed_once_and_authenticates_the_api(db, client):
    user = make_user(db, Role.LEADER)
    result = invoke("token", "create", user.username)
    assert result.exit_code == 0
    token = result.output.strip()
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200 and me.json()["username"] == user.username
    assert client.get("/api/v1/me", headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert client.get("/api/v1/me").status_code == 401


def test_deactivated_users_tokens_stop_working(db, client):
    from liaison.auth import service

    user = make_user(db, Role.LEADER)
    token = invoke("token", "create", user.username).output.strip()
    service.set_active(db, user, False)
    db.commit()
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401


def test_token_for_unknown_user_fails(database_url):
    result = invoke("token", "create", "ghost")
    assert result.exit_code == 1 and "不存在" in result.output


def test_demo_loads_a_user_for_every_role_once(db, client):
    result = invoke("demo")
    assert result.exit_code == 0, result.output
    roles = set(db.exec(select(User.role)).all())
    assert roles == {r.value for r in Role}
    coverage = queries.coverage_by_station(db, Scope(everything=True))
    assert sum(s.active for s in coverage) == sum(s.covered for s in coverage) == 264
    loads = list(project_service.officer_loads(db).values())
    assert max(loads) > 2 * min(loads)  # officers carry different loads
    assert db.exec(select(func.count()).select_from(Visit)).one() > 264
    closed_2023 = dict(
        db.exec(
            select(Hazard.category, func.count())
            .where(Hazard.found_on.between(date(2023, 1, 1), date(2023, 12, 31)))
            .where(Hazard.status == "已销号")
            .group_by(Hazard.category)
        ).all()
    )
    assert closed_2023.pop("周边治安复杂区域") == 4
    assert sum(closed_2023.values()) == 106
    ledger_2023 = db.exec(
        select(func.sum(Recovery.amount_fen), func.count(Recovery.reverses_id)).where(
            Recovery.recovered_on.between(date(2023, 1, 1), date(2023, 12, 31))
        )
    ).one()
    assert tuple(ledger_2023) == (714_760_000, 4)  # ¥7,147,600.00, four reversals
    resolved_2023 = db.exec(
        select(func.count())
        .select_from(Dispute)
        .where(
            Dispute.received_on.between(date(2023, 1, 1), date(2023, 12, 31)),
            Dispute.status == "调解成功",
        )
    ).one()
    assert resolved_2023 == 142
    assert (
        db.exec(select(func.count()).select_from(Dispute).where(Dispute.status == "调解中")).one()
        > 0
    )
    requests_2023 = db.exec(
        select(ServiceRequest.status, func.count())
        .where(
            ServiceRequest.received_at >= datetime(2023, 1, 1, tzinfo=LOCAL_TZ),
            ServiceRequest.received_at < datetime(2024, 1, 1, tzinfo=LOCAL_TZ),
        )
        .group_by(ServiceRequest.status)
    ).all()
    assert dict(requests_2023) == {"已办结": 144}  # all closed
    waiting = db.exec(select(ServiceRequest.status).where(ServiceRequest.closed_at.is_(None)))
    assert {"待受理", "已受理", "办理中", "已答复"} <= set(waiting.all())
    open_now = db.exec(select(Hazard).where(Hazard.status != "已销号")).all()
    assert open_now and any(h.deadline < project_service.today() for h in open_now)
    for username, _, _, _ in DEMO_USERS:
        client.cookies.clear()
        assert login(client, username, DEMO_PASSWORD).status_code == 303
    assert invoke("demo").exit_code == 1
    again = invoke("demo", "--if-empty")
    assert again.exit_code == 0 and "demo-admin" in again.output


def test_demo_if_empty_leaves_a_real_database_alone(db):
    make_user(db, Role.ADMIN)
    result = invoke("demo", "--if-empty")
    assert result.exit_code == 0 and "未加载演示数据" in result.output
    assert "demo-admin" not in result.output
    assert len(db.exec(select(User)).all()) == 1


def test_demo_refuses_to_run_in_production(database_url, monkeypatch):
    use_production(monkeypatch)
    result = invoke("demo")
    assert result.exit_code == 1 and "生产环境" in result.output


def test_no_account_exists_that_nobody_created(db):
    invoke("init")
    assert db.exec(select(User)).all() == []


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_serve_runs_the_app_with_several_workers(database_url):
    port = _free_port()
    env = {**os.environ, "LIAISON_DATABASE_URL": database_url}
    server = subprocess.Popen(
        [sys.executable, "-m", "liaison.cli", "serve", "--port", str(port), "--workers", "2"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 90  # two processes importing the app on a busy machine
        while True:
            try:
                response = httpx.get(f"http://127.0.0.1:{port}/login", timeout=1)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "server did not start"
                time.sleep(0.2)
        assert response.status_code == 200 and "登录" in response.text
        assert "server" not in response.headers
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_demo_scale_copies_the_district_with_every_figure_doubled(db):
    from liaison.metrics.service import compute

    assert invoke("demo", "--scale", "2").exit_code == 0
    assert db.exec(select(func.count()).select_from(Project)).one() == 2 * 264
    m = compute(db, date(2023, 1, 1), date(2023, 12, 31))
    assert (m["projects"]["with_officer"], m["hazards"]["found"]) == (528, 212)
    assert (m["recoveries"]["total_fen"], m["requests"]["closed"]) == (2 * 714_760_000, 288)
    assert len(m["by_station"]) == 12
    codes = db.exec(select(Project.code).where(Project.code.like("%-1"))).all()
    assert len(codes) == 264


AREA = HazardCategory.COMPLEX_AREA  # counted apart from hazards in the metrics


def test_demo_years_add_earlier_years_of_closed_cases_to_every_district(db):
    from liaison.metrics.service import compute

    assert invoke("demo", "--scale", "2", "--years", "3").exit_code == 0
    hazards = {h.code: h for h in db.exec(select(Hazard)).all()}
    # Codes: the demo's "YH…-0001", a copy's "…-1", an earlier year's "…-{copy}-{years back}".
    layered = [h for h in hazards.values() if h.code.count("-") == 3]
    present = [h for h in hazards.values() if h.code.count("-") < 3]
    closed = [h for h in present if h.status == HazardStatus.CLOSED and h.found_on.year == 2023]
    copies = [h for h in present if h.code.endswith("-1")]  # the demo's own and its one copy
    assert len(present) == 2 * len(copies) and len(layered) == 2 * len(closed)  # 2023's layered
    assert all(h.status == HazardStatus.CLOSED for h in layered)  # open cases stay in the present
    for hazard in layered:
        code, copy, back = hazard.code.rsplit("-", 2)
        origin = hazards[code if copy == "0" else f"{code}-{copy}"]
        days = timedelta(days=364 * int(back))
        assert (hazard.found_on, hazard.closed_on) == (
            origin.found_on - days,
            origin.closed_on - days,
        )
        assert hazard.project_id == origin.project_id and hazard.category == origin.category
    requests = db.exec(select(ServiceRequest)).all()
    layered_requests = [
        r for r in requests if re.fullmatch(rf"{TRACKING_NO}-\d+-\d+", r.tracking_no)
    ]
    assert layered_requests and {r.status for r in layered_requests} <= {"已办结", "不予受理"}
    for model, per_district in ((Dispute, 148), (Recovery, 193), (ServiceRequest, 154)):
        assert db.exec(select(func.count()).select_from(model)).one() > 2 * per_district * 2
    # The demo's year is as before; the year before it now has the repeated cases.
    m = compute(db, date(2023, 1, 1), date(2023, 12, 31))
    assert (m["hazards"]["found"], m["requests"]["closed"]) == (212, 288)
    earlier = compute(db, date(2022, 1, 1), date(2022, 12, 31))
    in_2022 = [h for h in hazards.values() if h.found_on.year == 2022 and h.category != AREA]
    assert earlier["hazards"]["found"] == len(in_2022) > len([h for h in layered if h in in_2022])
    assert len([h for h in layered if h in in_2022]) > 200  # besides the demo's own 2022


def test_an_import_that_fails_while_writing_says_so_in_chinese_and_keeps_nothing(db, monkeypatch):
    """Whatever the dry run could not foresee: the half written is rolled back, the command
    exits 1 with a sentence, never a traceback."""
    from sqlalchemy.exc import IntegrityError

    from liaison.ledger import importer
    from liaison.org.models import Station
    from tests.ledger.test_import import SAMPLE

    real_apply = importer.apply

    def fails_halfway(session, plan, **kwargs):  # type: ignore[no-untyped-def]
        real_apply(session, plan, **kwargs)  # everything written, not yet committed
        raise IntegrityError("INSERT …", {}, Exception("NOT NULL constraint failed: x.y"))

    monkeypatch.setattr(importer, "apply", fails_halfway)
    result = runner.invoke(app, ["import", str(SAMPLE)])
    assert result.exit_code == 1
    assert "导入失败，未写入任何数据" in result.output and "Traceback" not in result.output
    db.expire_all()
    assert db.exec(select(func.count()).select_from(Station)).one() == 0
