"""Hazard pages over HTTP: logging with photos, the loop, lists, and the other pages' sections."""

import re
from datetime import timedelta

import sqlalchemy as sa
from sqlmodel import select

from liaison.audit.models import AuditLog
from liaison.auth.roles import Role
from liaison.db import get_engine
from liaison.hazards import service as hazard_service
from liaison.hazards.models import Hazard, HazardCategory, HazardLevel
from liaison.projects.service import today
from tests.factories import login_as, make_hazard, make_officer, make_project, make_station
from tests.images import jpeg


def log(client, project, *, photos=(), **fields):  # type: ignore[no-untyped-def]
    data = {
        "csrf_token": client.cookies["liaison_csrf"],
        "category": "消防安全",
        "level": "较大",
        "description": "消防通道被材料堵塞",
        "found_on": today().isoformat(),
        **fields,
    }
    files = [("photos", (name, content, "image/jpeg")) for name, content in photos]
    return client.post(
        f"/projects/{project.id}/hazards", data=data, files=files or None, follow_redirects=False
    )


def step(client, hazard, action, *, comment="已处理", photos=()):  # type: ignore[no-untyped-def]
    files = [("photos", (name, content, "image/jpeg")) for name, content in photos]
    return client.post(
        f"/hazards/{hazard.id}/steps",
        data={"csrf_token": client.cookies["liaison_csrf"], "action": action, "comment": comment},
        files=files or None,
        follow_redirects=False,
    )


def test_officer_logs_a_hazard_with_a_photo_and_it_shows_everywhere(client, db):
    station = make_station(db)
    me = make_officer(db, station)
    project = make_project(db, station, officer=me)
    login_as(client, db, Role.OFFICER, officer=me)
    assert client.get(f"/projects/{project.id}/hazards/new").status_code == 200
    response = log(client, project, photos=[("现场.jpg", jpeg())], location="东门")
    assert response.status_code == 303
    hazard = db.exec(select(Hazard)).one()
    assert hazard.found_by_id == me.id and hazard.deadline == today() + timedelta(days=15)
    detail = client.get(response.headers["location"])
    assert "消防通道被材料堵塞" in detail.text and re.search(
        r'<img src="/attachments/\d+"', detail.text
    )
    project_page = client.get(f"/projects/{project.id}")
    assert hazard.code in project_page.text and "发现较大隐患" in project_page.text
    assert hazard.code in client.get("/hazards").text
    assert hazard.code not in client.get("/areas").text


def test_bad_input_is_explained_beside_its_field(client, db):
    station = make_station(db)
    me = make_officer(db, station)
    project = make_project(db, station, officer=me)
    login_as(client, db, Role.OFFICER, officer=me)
    early = log(client, project, deadline=(today() - timedelta(days=1)).isoformat())
    assert early.status_code == 422 and re.search(
        r'id="e-deadline">整改期限不能早于发现日期', early.text
    )
    tenth = log(client, project, photos=[(f"{n}.jpg", jpeg()) for n in range(10)])
    assert tenth.status_code == 422 and re.search(r'id="e-photos">[^<]*最多 9 个', tenth.text)
    empty = log(client, project, photos=[("empty.jpg", b"")])
    assert empty.status_code == 422 and "空文件" in empty.text
    assert db.exec(select(Hazard)).all() == []


def test_the_finder_cannot_sign_off_but_the_chief_can(client, db):
    station = make_station(db)
    finder = make_officer(db, station)
    project = make_project(db, station, officer=finder)
    hazard = make_hazard(db, project, finder)
    login_as(client, db, Role.OFFICER, officer=finder)
    assert step(client, hazard, "start").status_code == 303
    assert step(client, hazard, "submit", photos=[("后.jpg", jpeg())]).status_code == 303
    page = client.get(f"/hazards/{hazard.id}")
    assert "复查通过，销号" not in page.text  # the finder is not offered the button
    refused = step(client, hazard, "sign_off")
    assert refused.status_code == 422 and "发现人和提交整改的人不能复查" in refused.text
    client.cookies.clear()
    login_as(client, db, Role.CHIEF, officer=make_officer(db, station))
    assert step(client, hazard, "sign_off", comment="复查合格").status_code == 303
    db.refresh(hazard)
    assert hazard.status == "已销号" and hazard.closed_on == today()


def test_an_illegal_step_over_http_changes_nothing(client, db):
    station = make_station(db)
    finder = make_officer(db, station)
    hazard = make_hazard(db, make_project(db, station, officer=finder), finder)
    login_as(client, db, Role.CHIEF, officer=make_officer(db, station))
    response = step(client, hazard, "sign_off")
    assert response.status_code == 422 and "不能执行此操作" in response.text
    db.refresh(hazard)
    assert hazard.status == "待整改"


def test_another_stations_hazard_is_404_for_every_route(client, db):
    south = make_station(db)
    finder = make_officer(db, south)
    hazard = make_hazard(db, make_project(db, south, officer=finder), finder)
    login_as(client, db, Role.OFFICER, officer=make_officer(db, make_station(db)))
    assert client.get(f"/hazards/{hazard.id}").status_code == 404
    assert step(client, hazard, "start").status_code == 404
    assert hazard.code not in client.get("/hazards").text


def test_complex_areas_have_their_own_list_and_words(client, db):
    station = make_station(db)
    finder = make_officer(db, station)
    area = make_hazard(
        db, make_project(db, station, officer=finder), finder, category=HazardCategory.COMPLEX_AREA
    )
    login_as(client, db, Role.LEADER)
    listing = client.get("/areas")
    assert area.code in listing.text and "已排查" in listing.text
    assert area.code not in client.get("/hazards").text
    page = client.get(f"/hazards/{area.id}")
    assert "挂牌整治" in page.text and "开始整改" not in page.text


def test_leaders_home_shows_major_hazards_until_signed_off(client, db):
    station = make_station(db)
    finder = make_officer(db, station)
    major = make_hazard(
        db, make_project(db, station, officer=finder), finder, level=HazardLevel.MAJOR
    )
    login_as(client, db, Role.LEADER)
    home = client.get("/home")
    assert "挂牌督办的重大隐患" in home.text and f"/hazards/{major.id}" in home.text


def test_officer_home_shows_their_own_overdue_work_not_a_colleagues_or_a_review(client, db):
    station = make_station(db)
    me, colleague = make_officer(db, station), make_officer(db, station)
    long_ago = today() - timedelta(days=40)
    late = make_hazard(db, make_project(db, station, officer=me), me, found_on=long_ago)
    theirs = make_hazard(
        db, make_project(db, station, officer=colleague), colleague, found_on=long_ago
    )
    waiting = make_hazard(db, make_project(db, station, officer=me), me, found_on=long_ago)
    for action, photos in (("start", []), ("submit", [("整改后.jpg", jpeg())])):
        hazard_service.transition(
            db, waiting, action, comment="说明", role=Role.OFFICER, by_user_id=None,
            officer_id=me.id, photos=photos,
        )  # fmt: skip
    db.commit()  # waiting is 待复查: a reviewer's to act on now, not mine
    login_as(client, db, Role.OFFICER, officer=me)
    home = client.get("/home").text
    heading = home.index("<h1>工作台</h1>")
    assert home.index("我的逾期未整改隐患") > heading  # under the heading, not inside it
    assert f"/hazards/{late.id}" in home
    assert f"/hazards/{theirs.id}" not in home and f"/hazards/{waiting.id}" not in home
    overdue = client.get("/hazards", params={"overdue": "true"})
    assert late.code in overdue.text


def test_each_step_writes_its_audit_rows(client, db):
    station = make_station(db)
    me = make_officer(db, station)
    project = make_project(db, station, officer=me)
    login_as(client, db, Role.OFFICER, officer=me)
    log(client, project, photos=[("现场.jpg", jpeg())])
    hazard = db.exec(select(Hazard)).one()
    step(client, hazard, "start")
    types = db.exec(
        select(AuditLog.object_type, AuditLog.action)
        .where(AuditLog.object_type.in_(["Hazard", "HazardEvent", "Attachment"]))
        .order_by(AuditLog.id)
    ).all()
    assert types == [
        ("Hazard", "create"),
        ("HazardEvent", "create"),
        ("Attachment", "create"),
        ("HazardEvent", "create"),
        ("Hazard", "update"),
    ]


def test_the_hazard_form_stops_where_the_table_stops_and_says_so_beside_the_field(client, db):
    """The form's labels and limits are HazardIn's (the table's own column lengths, read here
    from the database); one character more is refused beside the field, nothing saved."""
    station = make_station(db)
    me = make_officer(db, station)
    project = make_project(db, station, officer=me)
    login_as(client, db, Role.OFFICER, officer=me)
    columns = {c["name"]: c["type"] for c in sa.inspect(get_engine()).get_columns("hazard")}
    form = client.get(f"/projects/{project.id}/hazards/new").text
    for name in ("description", "location", "responsible_party"):
        control = re.search(rf'<(?:input|textarea)\b[^>]*name="{name}"[^>]*>', form)
        assert control, name
        assert f'maxlength="{columns[name].length}"' in control.group(0), name
    for label in ("类别", "等级", "描述", "位置", "发现日期", "整改期限", "整改责任方"):
        assert re.search(rf'<label for="f-\w+">{label}(<span|</label>)', form), label
    assert re.search(r'<textarea name="description"[^>]*required', form)
    assert '<option value="周边治安复杂区域"' in form
    for name, length in (("description", 2000), ("location", 255), ("responsible_party", 128)):
        page = log(client, project, **{name: "长" * (length + 1)})
        assert page.status_code == 422, name
        error = re.search(rf'<p class="error" id="e-{name}">([^<]+)</p>', page.text)
        assert error and error.group(1) == f"最多 {length} 个字符", name
    blank = log(client, project, description=" ")
    assert re.search(r'id="e-description">此项必填', blank.text)
    assert db.exec(select(Hazard)).all() == []


def test_a_complex_area_is_logged_on_the_same_form(client, db):
    station = make_station(db)
    me = make_officer(db, station)
    project = make_project(db, station, officer=me)
    login_as(client, db, Role.OFFICER, officer=me)
    form = client.get(f"/projects/{project.id}/hazards/new", params={"area": "true"}).text
    assert '<option value="周边治安复杂区域" selected>' in form
    response = log(client, project, category=HazardCategory.COMPLEX_AREA.value, deadline="")
    assert response.status_code == 303
    area = db.exec(select(Hazard)).one()
    assert area.is_area and area.code in client.get("/areas").text


def test_the_list_shows_open_work_first_by_deadline_then_the_closed(client, db):
    """An officer's first page is what is left to do, soonest first, not last year's closed."""
    station = make_station(db)
    officer, colleague = make_officer(db, station), make_officer(db, station)
    project = make_project(db, station, officer=officer)
    old = make_hazard(db, project, officer, found_on=today() - timedelta(days=400))
    later = make_hazard(db, project, officer, level=HazardLevel.GENERAL)  # 30 days to rectify
    sooner = make_hazard(db, project, officer, level=HazardLevel.MAJOR)  # 7 days
    for action, who, photos in (
        ("start", officer, []),
        ("submit", officer, [("整改后.jpg", jpeg())]),
        ("sign_off", colleague, []),
    ):
        hazard_service.transition(
            db, old, action, comment="说明", role=Role.OFFICER, by_user_id=None,
            officer_id=who.id, photos=photos,
        )  # fmt: skip
    db.commit()
    login_as(client, db, Role.OFFICER, officer=officer)
    page = client.get("/hazards").text
    order = re.findall(r">(YH[\w-]+)</a>", page)
    assert order == [sooner.code, later.code, old.code], order


def test_the_record_of_steps_names_who_took_each_one(client, db):
    station = make_station(db)
    finder, reviewer = make_officer(db, station), make_officer(db, station)
    project = make_project(db, station, officer=finder)
    hazard = make_hazard(db, project, finder)
    for action, who, photos in (
        ("start", finder, []),
        ("submit", finder, [("整改后.jpg", jpeg())]),
        ("sign_off", reviewer, []),
    ):
        hazard_service.transition(
            db, hazard, action, comment="说明", role=Role.OFFICER, by_user_id=None,
            officer_id=who.id, photos=photos,
        )  # fmt: skip
    db.commit()
    login_as(client, db, Role.LEADER)
    page = client.get(f"/hazards/{hazard.id}").text
    names = re.findall(r'data-testid="step-by">([^<]+)<', page)
    assert names == [finder.name, finder.name, finder.name, reviewer.name]
