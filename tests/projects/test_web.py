"""Project pages over HTTP: create and edit with errors beside fields, who may do what, the
file and its timeline, lists and their filters, coverage and auto-assign, visits."""

import re

import sqlalchemy as sa
from sqlmodel import select

from liaison.auth.roles import Role
from liaison.db import get_engine
from liaison.projects import service
from liaison.projects.models import Assignment, Project, Visit
from tests.factories import (
    login_as,
    make_enterprise,
    make_officer,
    make_project,
    make_station,
    post,
)


def project_form(station, enterprise, **overrides):
    return {
        "code": "XM2026-001",
        "name": "星河产业园",
        "enterprise_uscc": enterprise.uscc,
        "level": "市级",
        "stage": "在建",
        "station_id": str(station.id),
        "investment_wan": "12,345.67",
        "workforce": "300",
        **overrides,
    }


def test_leader_creates_a_project_with_its_file(client, db):
    station, enterprise = make_station(db), make_enterprise(db)
    login_as(client, db, Role.LEADER)
    response = post(
        client,
        "/projects",
        project_form(station, enterprise, key_risks="材料被盗"),
        follow_redirects=False,
    )
    assert response.status_code == 303
    project = db.exec(select(Project).where(Project.code == "XM2026-001")).one()
    assert project.investment_fen == 12_345_670_000 and project.workforce == 300
    page = client.get(response.headers["location"])
    assert "12,345.67 万元" in page.text and "材料被盗" in page.text and "未配项目警官" in page.text


def test_bad_input_gets_chinese_errors_beside_fields_and_saves_nothing(client, db):
    station, enterprise = make_station(db), make_enterprise(db)
    make_project(db, station, code="XM-DUP")
    login_as(client, db, Role.LEADER)
    cases = {
        "enterprise_uscc": (
            {"enterprise_uscc": "91350100M000100Y44"},
            "没有这个名称或统一社会信用代码的企业",
        ),
        "code": ({"code": "XM-DUP"}, "已被"),
        "station_id": ({"station_id": "9999"}, "请选择您有权管理的单位"),
        "investment_wan": ({"investment_wan": "12.3456789"}, "金额最多精确到分"),
        "level": ({"level": "特级"}, "请从列表中选择"),
    }
    for field_name, (override, message) in cases.items():
        page = post(client, "/projects", project_form(station, enterprise, **override))
        assert page.status_code == 422, field_name
        error = re.search(rf'<p class="error" id="e-{field_name}">([^<]+)</p>', page.text)
        assert error and message in error.group(1), (field_name, page.text[-2000:])
    assert len(db.exec(select(Project)).all()) == 1


def test_chief_creates_only_in_their_station(client, db):
    home, other = make_station(db), make_station(db)
    enterprise = make_enterprise(db)
    login_as(client, db, Role.CHIEF, officer=make_officer(db, home))
    refused = post(client, "/projects", project_form(other, enterprise))
    assert refused.status_code == 422 and "请选择您有权管理的单位" in refused.text
    assert (
        post(
            client, "/projects", project_form(home, enterprise), follow_redirects=False
        ).status_code
        == 303
    )


def test_officer_edits_only_their_own_projects(client, db):
    station = make_station(db)
    me = make_officer(db, station)
    mine = make_project(db, station, officer=me)
    theirs = make_project(db, station, officer=make_officer(db, station))
    login_as(client, db, Role.OFFICER, officer=me)
    assert client.get(f"/projects/{mine.id}/edit").status_code == 200
    assert client.get(f"/projects/{theirs.id}/edit").status_code == 403
    assert client.get(f"/projects/{theirs.id}").status_code == 200  # same station: may read
    enterprise_uscc = client.get(f"/projects/{mine.id}/edit").text
    uscc = re.search(
        r'name="enterprise_uscc" id="f-enterprise_uscc"\s+value="([^"]+)"', enterprise_uscc
    ).group(1)
    form = {
        "code": mine.code,
        "name": "改了名字",
        "enterprise_uscc": uscc,
        "level": "区级",
        "stage": "投运",
        "station_id": str(station.id),
        "notes": "现场已投运",
    }
    assert post(client, f"/projects/{mine.id}", form, follow_redirects=False).status_code == 303
    assert post(client, f"/projects/{theirs.id}", form).status_code == 403
    db.refresh(mine)
    assert mine.name == "改了名字" and mine.stage == "投运"
    assert post(client, "/projects", form).status_code == 403  # officers do not create


def test_changing_the_id_in_the_url_reaches_nothing_of_another_station(client, db):
    north, south = make_station(db), make_station(db)
    foreign = make_project(db, south, officer=make_officer(db, south))
    login_as(client, db, Role.OFFICER, officer=make_officer(db, north))
    for url in (f"/projects/{foreign.id}", f"/projects/{foreign.id}/edit"):
        assert client.get(url).status_code == 404
    assert (
        post(
            client,
            f"/projects/{foreign.id}/visits",
            {"visit_date": "2026-01-01", "kind": "走访", "summary": "x"},
        ).status_code
        == 404
    )
    listing = client.get("/projects")
    assert foreign.name not in listing.text


def test_chief_cannot_assign_in_another_station(client, db):
    north, south = make_station(db), make_station(db)
    foreign = make_project(db, south)
    login_as(client, db, Role.CHIEF, officer=make_officer(db, north))
    response = post(
        client,
        f"/projects/{foreign.id}/assign",
        {"officer_id": str(make_officer(db, south).id), "reason": "x"},
    )
    assert response.status_code == 404
    assert db.exec(select(Assignment)).all() == []


def test_assigning_an_officer_of_another_station_is_explained_beside_the_field(client, db):
    north, south = make_station(db), make_station(db)
    project = make_project(db, north)
    login_as(client, db, Role.LEADER)
    page = post(
        client,
        f"/projects/{project.id}/assign",
        {"officer_id": str(make_officer(db, south).id), "reason": "配警"},
    )
    assert page.status_code == 422
    assert re.search(r'id="e-officer_id">[^<]*不属于本项目所在单位', page.text)


def test_enterprise_contact_sees_their_projects_read_only_with_the_officers_phone(client, db):
    station = make_station(db)
    enterprise, other = make_enterprise(db), make_enterprise(db)
    officer = make_officer(db, station, phone="13812345678")
    mine = make_project(db, station, enterprise=enterprise, officer=officer)
    foreign = make_project(db, station, enterprise=other)
    login_as(client, db, Role.ENTERPRISE, enterprise=enterprise)
    page = client.get(f"/projects/{mine.id}")
    assert page.status_code == 200 and "13812345678" in page.text and officer.name in page.text
    assert "编辑档案" not in page.text and "登记走访" not in page.text
    assert client.get(f"/projects/{foreign.id}").status_code == 404
    assert client.get(f"/projects/{mine.id}/edit").status_code == 403
    assert {mine.name} == {
        p for p in (mine.name, foreign.name) if p in client.get("/projects").text
    }


def test_officer_logs_a_visit_and_it_appears_on_the_timeline(client, db):
    station = make_station(db)
    me = make_officer(db, station)
    project = make_project(db, station, officer=me)
    login_as(client, db, Role.OFFICER, officer=me)
    today = service.today().isoformat()
    response = post(
        client,
        f"/projects/{project.id}/visits",
        {"visit_date": today, "kind": "巡查", "summary": "检查监控设施"},
        follow_redirects=False,
    )
    assert response.status_code == 303
    page = client.get(f"/projects/{project.id}")
    assert "检查监控设施" in page.text and "任项目警官" in page.text
    bad = post(
        client,
        f"/projects/{project.id}/visits",
        {"visit_date": "2099-01-01", "kind": "巡查", "summary": "未来"},
    )
    assert bad.status_code == 422 and "走访日期不能晚于今天" in bad.text
    assert len(db.exec(select(Visit)).all()) == 1


def test_another_officer_of_the_station_cannot_log_a_visit(client, db):
    station = make_station(db)
    project = make_project(db, station, officer=make_officer(db, station))
    login_as(client, db, Role.OFFICER, officer=make_officer(db, station))
    response = post(
        client,
        f"/projects/{project.id}/visits",
        {"visit_date": service.today().isoformat(), "kind": "走访", "summary": "x"},
    )
    assert response.status_code == 403


def test_list_filters_search_and_count(client, db):
    station = make_station(db)
    officer = make_officer(db, station)
    covered = make_project(db, station, officer=officer, name="远航物流中心")
    uncovered = make_project(db, station, name="金桥产业园")
    login_as(client, db, Role.LEADER)
    page = client.get("/projects", params={"covered": "no"})
    assert uncovered.name in page.text and covered.name not in page.text
    found = client.get("/projects", params={"q": "远航"}, headers={"HX-Request": "true"})
    assert covered.name in found.text and uncovered.name not in found.text
    assert '<span id="count" hx-swap-oob="true" class="muted count">1</span>' in found.text
    assert "<html" not in found.text
    by_officer = client.get("/projects", params={"officer": officer.id})
    assert covered.name in by_officer.text and uncovered.name not in by_officer.text


def count_queries(client, url):
    statements = []

    def record(*args):  # type: ignore[no-untyped-def]
        statements.append(args[2])

    sa.event.listen(get_engine(), "before_cursor_execute", record)
    try:
        assert client.get(url).status_code == 200
    finally:
        sa.event.remove(get_engine(), "before_cursor_execute", record)
    return len(statements)


def test_list_and_file_take_a_fixed_number_of_queries(client, db):
    station = make_station(db)
    officers = [make_officer(db, station) for _ in range(3)]
    project = make_project(db, station, officer=officers[0])
    for officer in officers:
        service.log_visit(
            db,
            project,
            officer,
            visit_date=service.today(),
            kind=service.VisitKind.VISIT,
            summary="x",
            by_user_id=None,
        )
    db.commit()
    login_as(client, db, Role.LEADER)
    small = count_queries(client, "/projects"), count_queries(client, f"/projects/{project.id}")
    for n in range(12):
        make_project(db, station, officer=officers[n % 3])
        service.assign_officer(db, project, officers[(n + 1) % 3], by_user_id=None, reason="轮换")
        db.commit()
    large = count_queries(client, "/projects"), count_queries(client, f"/projects/{project.id}")
    assert small == large


def test_coverage_page_and_auto_assign_reach_full_coverage(client, db):
    station = make_station(db)
    officers = [make_officer(db, station) for _ in range(2)]
    make_project(db, station, officer=officers[0])
    for _ in range(3):
        make_project(db, station)
    login_as(client, db, Role.CHIEF, officer=officers[1])
    assert "25.0%" in client.get("/coverage").text
    proposal = client.get("/coverage/auto-assign")
    pairs = re.findall(r'name="pair" value="(\d+:\d+)"', proposal.text)
    assert len(pairs) == 3
    response = client.post(
        "/coverage/auto-assign",
        data={"pair": pairs, "csrf_token": client.cookies["liaison_csrf"]},
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert "100.0%" in client.get("/coverage").text


def test_auto_assign_of_another_stations_project_is_refused(client, db):
    north, south = make_station(db), make_station(db)
    foreign = make_project(db, south)
    south_officer = make_officer(db, south)
    login_as(client, db, Role.CHIEF, officer=make_officer(db, north))
    response = post(client, "/coverage/auto-assign", {"pair": f"{foreign.id}:{south_officer.id}"})
    assert response.status_code == 404
    assert db.exec(select(Assignment)).all() == []


def test_officer_home_lists_my_projects_with_the_next_visit(client, db):
    station = make_station(db)
    me = make_officer(db, station)
    mine = make_project(db, station, officer=me, name="我的项目甲")
    make_project(db, station, officer=make_officer(db, station), name="别人的项目")
    login_as(client, db, Role.OFFICER, officer=me)
    home = client.get("/home")
    assert mine.name in home.text and "别人的项目" not in home.text and "下次走访" in home.text


def test_workload_page_and_reassign_before_deactivation(client, db):
    station = make_station(db)
    leaving, staying = make_officer(db, station), make_officer(db, station)
    for _ in range(2):
        make_project(db, station, officer=leaving)
    login_as(client, db, Role.ADMIN)
    workload = client.get("/officers")
    assert leaving.name in workload.text and f"/officers/{leaving.id}/reassign" in workload.text
    refused = post(
        client,
        f"/admin/officers/{leaving.id}",
        {
            "badge_no": leaving.badge_no,
            "name": leaving.name,
            "station_code": station.code,
            "active": "",
        },
    )
    assert refused.status_code == 422 and "名下还有 2 个项目，请先改派" in refused.text
    assert f'href="/officers/{leaving.id}/reassign"' in refused.text
    done = post(
        client,
        f"/officers/{leaving.id}/reassign",
        {"officer_id": str(staying.id), "reason": "调岗"},
        follow_redirects=False,
    )
    assert done.status_code == 303
    assert (
        post(
            client,
            f"/admin/officers/{leaving.id}",
            {
                "badge_no": leaving.badge_no,
                "name": leaving.name,
                "station_code": station.code,
                "active": "",
            },
            follow_redirects=False,
        ).status_code
        == 303
    )
    db.refresh(leaving)
    assert not leaving.active


def test_every_project_write_is_audited(client, db):
    from liaison.audit.models import AuditLog

    station, enterprise = make_station(db), make_enterprise(db)
    officer = make_officer(db, station)
    login_as(client, db, Role.LEADER)
    post(client, "/projects", project_form(station, enterprise))
    project = db.exec(select(Project)).one()
    post(
        client, f"/projects/{project.id}/assign", {"officer_id": str(officer.id), "reason": "配警"}
    )
    post(client, f"/projects/{project.id}/archive")
    rows = db.exec(
        select(AuditLog.object_type, AuditLog.action)
        .where(AuditLog.object_type.in_(["Project", "Assignment"]))
        .order_by(AuditLog.id)
    ).all()
    assert rows == [
        ("Project", "create"),
        ("Assignment", "create"),
        ("Assignment", "update"),
        ("Project", "update"),
    ]


def test_officer_list_searches_by_name_or_badge(client, db):
    station = make_station(db)
    wanted, other = make_officer(db, station), make_officer(db, station)
    login_as(client, db, Role.LEADER)
    found = client.get("/officers", params={"q": wanted.badge_no}, headers={"HX-Request": "true"})
    assert wanted.name in found.text and other.name not in found.text
    assert '<span id="count" hx-swap-oob="true" class="muted count">1</span>' in found.text


def _input_limits(html):
    """Each text control's maxlength on the page, by name."""
    controls = re.findall(r"<(?:input|textarea)\b[^>]*>", html)
    limits = {}
    for control in controls:
        name, limit = (
            re.search(r'name="([^"]+)"', control),
            re.search(r'maxlength="(\d+)"', control),
        )
        if name and limit:
            limits[name.group(1)] = int(limit.group(1))
    return limits


def test_the_project_form_stops_where_the_table_stops_and_says_so_beside_the_field(client, db):
    """The limits a person meets on the form are the database's own column lengths, read here
    from the database itself; one character more is refused beside the field, nothing saved."""
    station, enterprise = make_station(db), make_enterprise(db)
    login_as(client, db, Role.LEADER)
    columns = {c["name"]: c["type"] for c in sa.inspect(get_engine()).get_columns("project")}
    limits = _input_limits(client.get("/projects/new").text)
    for name in ("code", "name", "category", "site_security_contact", "key_risks", "notes"):
        if name != "category":  # a select: its choices are its limit
            assert limits[name] == columns[name].length, name
    for name, length in (("name", 128), ("key_risks", 2000), ("site_security_contact", 32)):
        page = post(
            client, "/projects", project_form(station, enterprise, **{name: "长" * (length + 1)})
        )
        assert page.status_code == 422, name
        error = re.search(rf'<p class="error" id="e-{name}">([^<]+)</p>', page.text)
        assert error and error.group(1) == f"最多 {length} 个字符", name
    assert db.exec(select(Project)).all() == []


def test_a_code_a_url_would_have_to_escape_is_refused_beside_the_field(client, db):
    """The code is the path of the project's QR form (/r/<code>): `/`, `#`, `?`, `%` and spaces
    would send the public to another page or lose what they typed."""
    station, enterprise = make_station(db), make_enterprise(db)
    login_as(client, db, Role.LEADER)
    for code in ("XM/2026/01", "XM#1", "XM?1", "XM%201", "XM 1"):
        page = post(client, "/projects", project_form(station, enterprise, code=code))
        assert page.status_code == 422, code
        error = re.search(r'<p class="error" id="e-code">([^<]+)</p>', page.text)
        assert error and "只能由字母、数字和 - _ . 组成" in error.group(1), code
    saved = post(
        client,
        "/projects",
        project_form(station, enterprise, code="XM.2026_01-a"),
        follow_redirects=False,
    )
    assert saved.status_code == 303
    assert [p.code for p in db.exec(select(Project)).all()] == ["XM.2026_01-a"]


def test_the_officer_picker_shows_what_each_officer_already_holds(client, db):
    station = make_station(db)
    busy, free = make_officer(db, station), make_officer(db, station)
    make_project(db, station, officer=busy)
    make_project(db, station, officer=busy)
    archived = make_project(db, station, officer=busy)
    service.archive_project(db, archived, by_user_id=None)
    db.commit()
    uncovered = make_project(db, station)
    login_as(client, db, Role.LEADER)
    page = client.get(f"/projects/{uncovered.id}").text
    form = page.split('data-testid="assign-form"')[1].split("</form>")[0]
    options = dict(re.findall(r'<option value="(\d+)"[^>]*>([^<]+)</option>', form))
    assert (
        options[str(busy.id)] == f"{busy.name}（{busy.badge_no}，现管 2 个项目）"
    )  # not the archived
    assert options[str(free.id)] == f"{free.name}（{free.badge_no}，现管 0 个项目）"
    reassign = client.get(f"/officers/{busy.id}/reassign").text
    assert f"{free.name}（{free.badge_no}，现管 0 个项目）" in reassign
    assert f"{busy.name}（" not in reassign


def _named(db, enterprise, name):
    enterprise.name = name
    db.add(enterprise)
    db.commit()
    return enterprise


def test_the_enterprise_is_found_by_name_as_typed_and_saved_by_its_name(client, db):
    """Nobody types an 18-character credit code on a phone: the field suggests enterprises by
    any part of their name (or the start of their code), and a whole name is enough."""
    station = make_station(db)
    star = _named(db, make_enterprise(db), "星河新材料有限公司")
    _named(db, make_enterprise(db), "银河物流有限公司")
    login_as(client, db, Role.CHIEF, officer=make_officer(db, station))
    form = client.get("/projects/new").text
    lookup = re.search(r'<input[^>]*name="enterprise_uscc"[^>]*>', form).group(0)
    assert 'list="enterprise_uscc-choices"' in lookup
    url = re.search(r'hx-get="([^"]+)"', lookup).group(1)
    suggested = client.get(url, params={"enterprise_uscc": "星河"}, headers={"HX-Request": "true"})
    assert re.findall(r'<option value="([^"]+)">([^<]+)</option>', suggested.text) == [
        (star.uscc, "星河新材料有限公司")
    ]
    by_code = client.get(url, params={"enterprise_uscc": star.uscc[:17]}).text
    assert "星河新材料有限公司" in by_code and "银河" not in by_code
    saved = post(
        client,
        "/projects",
        project_form(station, star, enterprise_uscc="星河新材料有限公司"),
        follow_redirects=False,
    )
    assert saved.status_code == 303
    assert db.exec(select(Project)).one().enterprise_id == star.id


def test_a_name_two_enterprises_share_is_refused_beside_the_field(client, db):
    station = make_station(db)
    _named(db, make_enterprise(db), "同名公司")
    twin = _named(db, make_enterprise(db), "同名公司")
    login_as(client, db, Role.LEADER)
    page = post(client, "/projects", project_form(station, twin, enterprise_uscc="同名公司"))
    assert page.status_code == 422
    error = re.search(r'<p class="error" id="e-enterprise_uscc">([^<]+)</p>', page.text)
    assert error and "没有这个名称或统一社会信用代码的企业" in error.group(1)
    assert db.exec(select(Project)).all() == []
