"""The backup officer (B角) of a project, over HTTP: set and cleared on the project page by whoever
may edit the project's file, refused beside the field (another station's officer, the project's
own officer) with nothing saved, out of reach of another station's chief, audited, and shown
with the officer on the enterprise's page and the poster. Coverage still counts the officer."""

from datetime import timedelta

from sqlmodel import select

from liaison.audit.models import AuditLog
from liaison.auth.roles import Role
from liaison.clock import today
from liaison.org import service as org_service
from liaison.projects import queries
from liaison.projects import service as projects
from liaison.projects.models import Project
from liaison.scope import Scope
from tests.factories import (
    login_as,
    make_enterprise,
    make_officer,
    make_project,
    make_station,
    post,
)
from tests.outside.forms import read


def backup_form(client, project):  # type: ignore[no-untyped-def]
    """The project page and its B角 form, as the browser has them."""
    page = client.get(f"/projects/{project.id}")
    assert page.status_code == 200
    [form] = [f for f in read(str(page.url), page.text).forms if f.action.endswith("/backup")]
    return page, form


def submit(client, form, backup_id):  # type: ignore[no-untyped-def]
    """The form as rendered, with the B角 chosen (any value, as a crafted post could send)."""
    return client.post(
        form.action,
        data=dict(form.as_sent(backup_officer_id=str(backup_id))),
        follow_redirects=False,
    )


def stored_backup(db, project):  # type: ignore[no-untyped-def]
    db.expire_all()
    return db.get(Project, project.id).backup_officer_id


def test_the_chief_sets_a_backup_shown_on_the_file_and_audited(client, db):
    station = make_station(db)
    holder, colleague, chief = (make_officer(db, station) for _ in range(3))
    project = make_project(db, station, officer=holder)
    login_as(client, db, Role.CHIEF, officer=chief)
    page, form = backup_form(client, project)
    assert "未设 B角" in page.text
    assert ("backup_officer_id", "") in form.as_sent()  # none chosen yet
    [choices] = [s.options for s in form.selects]
    assert str(colleague.id) in choices and str(holder.id) not in choices  # not the officer
    answer = submit(client, form, colleague.id)
    assert answer.status_code == 303
    assert stored_backup(db, project) == colleague.id
    page = client.get(answer.headers["location"])
    assert "项目警官" in page.text and "B角" in page.text
    assert holder.name in page.text and colleague.name in page.text
    assert "已设" in page.text  # the flash
    [row] = db.exec(
        select(AuditLog).where(AuditLog.object_type == "Project", AuditLog.action == "update")
    ).all()
    assert row.object_id == str(project.id)
    assert row.before["backup_officer_id"] is None
    assert row.after["backup_officer_id"] == colleague.id


def test_the_project_officer_may_set_a_backup_and_clear_it(client, db):
    station = make_station(db)
    holder, colleague = make_officer(db, station), make_officer(db, station)
    project = make_project(db, station, officer=holder)
    login_as(client, db, Role.OFFICER, officer=holder)
    _, form = backup_form(client, project)
    assert submit(client, form, colleague.id).status_code == 303
    page = client.get(f"/projects/{project.id}")
    [clear] = [f for f in read(str(page.url), page.text).forms if f.action.endswith("/clear")]
    cleared = client.post(clear.action, data=dict(clear.as_sent()))
    assert cleared.status_code == 200 and "已取消 B角" in cleared.text
    assert stored_backup(db, project) is None
    assert "未设 B角" in client.get(f"/projects/{project.id}").text


def test_a_backup_of_another_station_is_refused_beside_the_field(client, db):
    station, elsewhere = make_station(db), make_station(db)
    holder = make_officer(db, station)
    stranger = make_officer(db, elsewhere)
    project = make_project(db, station, officer=holder)
    login_as(client, db, Role.LEADER)
    _, form = backup_form(client, project)
    answer = submit(client, form, stranger.id)
    assert answer.status_code == 422
    assert "B角须是本单位民警" in answer.text
    assert stranger.name not in answer.text  # another unit's officer is not named
    assert 'id="e-backup_officer_id"' in answer.text  # beside the field
    assert stored_backup(db, project) is None


def test_the_projects_own_officer_cannot_be_its_backup(client, db):
    station = make_station(db)
    holder = make_officer(db, station)
    project = make_project(db, station, officer=holder)
    login_as(client, db, Role.LEADER)
    _, form = backup_form(client, project)
    answer = submit(client, form, holder.id)
    assert answer.status_code == 422
    assert "是本项目的项目警官" in answer.text and 'id="e-backup_officer_id"' in answer.text
    assert stored_backup(db, project) is None


def test_the_form_sent_without_a_choice_asks_for_one(client, db):
    station = make_station(db)
    project = make_project(db, station, officer=make_officer(db, station))
    login_as(client, db, Role.LEADER)
    _, form = backup_form(client, project)
    answer = client.post(form.action, data=dict(form.as_sent()))
    assert answer.status_code == 422 and "请选择民警" in answer.text
    assert stored_backup(db, project) is None


def test_an_inactive_or_missing_officer_is_refused(client, db):
    station = make_station(db)
    holder, gone = make_officer(db, station), make_officer(db, station)
    project = make_project(db, station, officer=holder)
    gone.active = False
    db.add(gone)
    db.commit()
    login_as(client, db, Role.LEADER)
    _, form = backup_form(client, project)
    assert "已停用" in submit(client, form, gone.id).text
    assert "请选择民警" in submit(client, form, 2_000_000).text
    assert stored_backup(db, project) is None


def test_another_stations_chief_cannot_reach_the_project(client, db):
    station = make_station(db)
    holder, colleague = make_officer(db, station), make_officer(db, station)
    project = make_project(db, station, officer=holder)
    login_as(client, db, Role.CHIEF, officer=make_officer(db, make_station(db)))
    answer = post(
        client, f"/projects/{project.id}/backup", {"backup_officer_id": str(colleague.id)}
    )
    assert answer.status_code == 404
    assert post(client, f"/projects/{project.id}/backup/clear").status_code == 404
    assert stored_backup(db, project) is None


def test_a_colleague_officer_may_not_set_the_backup(client, db):
    station = make_station(db)
    holder, colleague = make_officer(db, station), make_officer(db, station)
    project = make_project(db, station, officer=holder)
    login_as(client, db, Role.OFFICER, officer=colleague)
    page = client.get(f"/projects/{project.id}")
    assert 'data-testid="backup-form"' not in page.text
    answer = post(
        client, f"/projects/{project.id}/backup", {"backup_officer_id": str(colleague.id)}
    )
    assert answer.status_code == 403
    assert post(client, f"/projects/{project.id}/backup/clear").status_code == 403
    assert stored_backup(db, project) is None


def test_the_backup_made_officer_stops_being_the_backup(client, db):
    station = make_station(db)
    holder, colleague = make_officer(db, station), make_officer(db, station)
    project = make_project(db, station, officer=holder)
    projects.set_backup(db, project, colleague)
    db.commit()
    login_as(client, db, Role.LEADER)
    answer = post(
        client,
        f"/projects/{project.id}/assign",
        {"officer_id": str(colleague.id), "reason": "岗位调整"},
        follow_redirects=False,
    )
    assert answer.status_code == 303
    assert stored_backup(db, project) is None


def test_moving_the_project_to_another_station_drops_its_backup(db):
    station, elsewhere = make_station(db), make_station(db)
    holder, colleague = make_officer(db, station), make_officer(db, station)
    project = make_project(db, station, officer=holder)
    projects.set_backup(db, project, colleague)
    db.commit()
    data = projects.ProjectIn.model_validate(
        {**project.model_dump(), "station_id": elsewhere.id, "level": project.level}
    )
    projects.save_project(db, project, data)
    db.commit()
    assert stored_backup(db, project) is None


def test_coverage_counts_the_officer_not_the_backup(db):
    station = make_station(db)
    holder, colleague = make_officer(db, station), make_officer(db, station)
    covered = make_project(db, station, officer=holder)
    uncovered = make_project(db, station)
    projects.set_backup(db, covered, colleague)
    projects.set_backup(db, uncovered, colleague)
    org_service.mark_away(
        db, holder, starts_on=today(), ends_on=today(), reason="休假", by_user_id=None
    )
    db.commit()
    [row] = queries.coverage_by_station(db, Scope(everything=True))
    assert (row.active, row.covered) == (2, 1)


def test_the_enterprise_contact_sees_both_officers_and_their_phones(client, db):
    station, enterprise = make_station(db), make_enterprise(db)
    holder = make_officer(db, station, phone="13911112222")
    colleague = make_officer(db, station, phone="13933334444")
    project = make_project(db, station, enterprise=enterprise, officer=holder)
    projects.set_backup(db, project, colleague)
    org_service.mark_away(
        db,
        holder,
        starts_on=today(),
        ends_on=today() + timedelta(days=3),
        reason="培训",
        by_user_id=None,
    )
    db.commit()
    login_as(client, db, Role.ENTERPRISE, enterprise=enterprise)
    page = client.get(f"/enterprises/{enterprise.id}")
    assert holder.name in page.text and "13911112222" in page.text
    assert colleague.name in page.text and "13933334444" in page.text
    assert "外出" in page.text  # the officer is away: the contact calls the B角


def test_the_poster_names_both_officers_never_their_phones(client, db):
    station = make_station(db)
    holder = make_officer(db, station, phone="13911112222")
    colleague = make_officer(db, station, phone="13933334444")
    project = make_project(db, station, officer=holder)
    projects.set_backup(db, project, colleague)
    db.commit()
    login_as(client, db, Role.OFFICER, officer=holder)
    poster = client.get(f"/projects/{project.id}/poster")
    assert poster.status_code == 200
    assert holder.badge_no in poster.text and colleague.badge_no in poster.text
    assert "B角" in poster.text
    assert "13933334444" not in poster.text and "13911112222" not in poster.text
