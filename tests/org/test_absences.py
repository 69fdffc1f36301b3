"""An officer marked away (外出) for a range of dates, over HTTP: on the officer's page by the
officer, their chief or a leader; refused beside the field (dates reversed, overlapping
another absence, longer than a year) with nothing saved; ended early or taken back; out of reach
of a colleague and of another station's chief; audited; and shown where officers are listed
and on the project page, with who stands in."""

from datetime import timedelta

from sqlmodel import func, select

from liaison.audit.models import AuditLog
from liaison.auth.roles import Role
from liaison.clock import today
from liaison.notify import routing
from liaison.org import service
from liaison.org.models import Absence
from liaison.projects import service as projects
from tests.factories import login_as, make_officer, make_project, make_station, post
from tests.outside.forms import read


def day(offset: int) -> str:
    return (today() + timedelta(days=offset)).isoformat()


def absence_form(client, officer):  # type: ignore[no-untyped-def]
    """The officer's page and its form to mark them away, as the browser has them."""
    page = client.get(f"/officers/{officer.id}")
    assert page.status_code == 200
    [form] = [f for f in read(str(page.url), page.text).forms if f.action.endswith("/absences")]
    return page, form


def submit(client, form, **filled):  # type: ignore[no-untyped-def]
    sent = dict(form.as_sent())
    return client.post(form.action, data={**sent, **filled}, follow_redirects=False)


def absences(db, officer):  # type: ignore[no-untyped-def]
    db.expire_all()
    return db.exec(select(Absence).where(Absence.officer_id == officer.id)).all()


def test_an_officer_marks_himself_away_and_the_backup_is_on_duty(client, db):
    station = make_station(db)
    holder, colleague = make_officer(db, station), make_officer(db, station)
    project = make_project(db, station, officer=holder)
    projects.set_backup(db, project, colleague)
    db.commit()
    login_as(client, db, Role.OFFICER, officer=holder)
    page, form = absence_form(client, holder)
    assert "在岗" in page.text and "没有外出登记" in page.text
    answer = submit(client, form, starts_on=day(0), ends_on=day(4), reason="休假")
    assert answer.status_code == 303
    [absence] = absences(db, holder)
    assert (absence.starts_on.isoformat(), absence.ends_on.isoformat()) == (day(0), day(4))
    assert absence.reason == "休假" and absence.created_by_id is not None
    assert routing.duty_officer(db, project.id) == colleague.id
    page = client.get(answer.headers["location"])
    assert 'data-testid="status">外出' in page.text and "休假" in page.text
    project_page = client.get(f"/projects/{project.id}")
    assert 'data-testid="on-duty"' in project_page.text and colleague.name in project_page.text
    [row] = db.exec(select(AuditLog).where(AuditLog.object_type == "Absence")).all()
    assert row.action == "create" and row.object_id == str(absence.id)


def test_reversed_dates_are_refused_beside_the_field_and_nothing_is_saved(client, db):
    officer = make_officer(db, make_station(db))
    login_as(client, db, Role.OFFICER, officer=officer)
    _, form = absence_form(client, officer)
    answer = submit(client, form, starts_on=day(5), ends_on=day(2), reason="培训")
    assert answer.status_code == 422
    assert "结束日期不能早于开始日期" in answer.text and 'id="e-ends_on"' in answer.text
    assert f'value="{day(5)}"' in answer.text  # what was typed comes back
    assert absences(db, officer) == []


def test_an_overlapping_absence_is_refused(client, db):
    officer = make_officer(db, make_station(db))
    service.mark_away(
        db,
        officer,
        starts_on=today(),
        ends_on=today() + timedelta(days=3),
        reason="休假",
        by_user_id=None,
    )
    db.commit()
    login_as(client, db, Role.OFFICER, officer=officer)
    _, form = absence_form(client, officer)
    answer = submit(client, form, starts_on=day(3), ends_on=day(6), reason="培训")
    assert answer.status_code == 422
    assert "重叠" in answer.text and 'id="e-starts_on"' in answer.text
    assert len(absences(db, officer)) == 1
    # The day after is free.
    assert submit(client, form, starts_on=day(4), ends_on=day(6), reason="培训").status_code == 303


def test_an_absence_longer_than_a_year_or_blank_is_refused(client, db):
    officer = make_officer(db, make_station(db))
    login_as(client, db, Role.OFFICER, officer=officer)
    _, form = absence_form(client, officer)
    too_long = submit(client, form, starts_on=day(0), ends_on=day(366), reason="借调")
    assert too_long.status_code == 422 and "不能超过 366 天" in too_long.text
    blank = submit(client, form)
    assert blank.status_code == 422 and "此项必填" in blank.text
    assert absences(db, officer) == []


def test_the_chief_and_a_leader_mark_an_officer_away(client, db):
    station = make_station(db)
    officer, chief = make_officer(db, station), make_officer(db, station)
    login_as(client, db, Role.CHIEF, officer=chief)
    _, form = absence_form(client, officer)
    assert submit(client, form, starts_on=day(1), ends_on=day(2), reason="培训").status_code == 303
    client.cookies.clear()
    login_as(client, db, Role.LEADER)
    _, form = absence_form(client, officer)
    assert submit(client, form, starts_on=day(9), ends_on=day(9), reason="会议").status_code == 303
    assert len(absences(db, officer)) == 2


def test_a_colleague_sees_but_cannot_mark_another_officer_away(client, db):
    station = make_station(db)
    officer, colleague = make_officer(db, station), make_officer(db, station)
    login_as(client, db, Role.OFFICER, officer=colleague)
    page = client.get(f"/officers/{officer.id}")
    assert page.status_code == 200 and 'data-testid="absence-form"' not in page.text
    data = {"starts_on": day(0), "ends_on": day(1), "reason": "休假"}
    assert post(client, f"/officers/{officer.id}/absences", data).status_code == 403
    assert absences(db, officer) == []


def test_another_stations_chief_cannot_reach_the_officer(client, db):
    officer = make_officer(db, make_station(db))
    absence = service.mark_away(
        db,
        officer,
        starts_on=today() + timedelta(days=2),
        ends_on=today() + timedelta(days=3),
        reason="休假",
        by_user_id=None,
    )
    db.commit()
    login_as(client, db, Role.CHIEF, officer=make_officer(db, make_station(db)))
    before = db.exec(select(func.count()).select_from(AuditLog)).one()
    assert client.get(f"/officers/{officer.id}").status_code == 404
    data = {"starts_on": day(0), "ends_on": day(1), "reason": "休假"}
    assert post(client, f"/officers/{officer.id}/absences", data).status_code == 404
    remove = f"/officers/{officer.id}/absences/{absence.id}/remove"
    assert post(client, remove).status_code == 404
    assert db.exec(select(func.count()).select_from(AuditLog)).one() == before
    assert len(absences(db, officer)) == 1


def test_an_absence_of_another_officer_is_not_found_through_this_one(client, db):
    station = make_station(db)
    officer, other = make_officer(db, station), make_officer(db, station)
    theirs = service.mark_away(
        db,
        other,
        starts_on=today() + timedelta(days=2),
        ends_on=today() + timedelta(days=3),
        reason="休假",
        by_user_id=None,
    )
    db.commit()
    login_as(client, db, Role.OFFICER, officer=officer)
    answer = post(client, f"/officers/{officer.id}/absences/{theirs.id}/remove")
    assert answer.status_code == 404
    assert len(absences(db, other)) == 1


def test_back_early_ends_the_absence_yesterday(client, db, travel):
    officer = make_officer(db, make_station(db))
    service.mark_away(
        db,
        officer,
        starts_on=today(),
        ends_on=today() + timedelta(days=5),
        reason="休假",
        by_user_id=None,
    )
    db.commit()
    travel.advance(days=2)
    login_as(client, db, Role.OFFICER, officer=officer)
    page = client.get(f"/officers/{officer.id}")
    actions = [f.action for f in read(str(page.url), page.text).forms]
    assert not any(a.endswith("/remove") for a in actions)  # under way: only ended, not removed
    [end] = [f for f in read(str(page.url), page.text).forms if f.action.endswith("/end")]
    answer = client.post(end.action, data=dict(end.as_sent()))
    assert answer.status_code == 200 and "已返岗" in answer.text
    [absence] = absences(db, officer)
    assert absence.ends_on == today() - timedelta(days=1)
    assert not routing.away(db, [officer.id])


def test_an_absence_not_begun_is_taken_back_one_under_way_is_not(client, db):
    officer = make_officer(db, make_station(db))
    later = service.mark_away(
        db,
        officer,
        starts_on=today() + timedelta(days=10),
        ends_on=today() + timedelta(days=11),
        reason="培训",
        by_user_id=None,
    )
    now = service.mark_away(
        db,
        officer,
        starts_on=today() - timedelta(days=1),
        ends_on=today() + timedelta(days=1),
        reason="休假",
        by_user_id=None,
    )
    db.commit()
    later_id, now_id = later.id, now.id
    login_as(client, db, Role.OFFICER, officer=officer)
    refused = post(client, f"/officers/{officer.id}/absences/{now_id}/remove")
    assert "已开始的外出不能删除" in refused.text
    taken_back = post(client, f"/officers/{officer.id}/absences/{later_id}/remove")
    assert "已删除外出登记" in taken_back.text
    assert [a.id for a in absences(db, officer)] == [now_id]
    deleted = db.exec(
        select(AuditLog).where(AuditLog.object_type == "Absence", AuditLog.action == "delete")
    ).all()
    assert [row.object_id for row in deleted] == [str(later_id)]


def test_the_officer_list_says_who_is_away(client, db):
    station = make_station(db)
    here, gone = make_officer(db, station), make_officer(db, station)
    service.mark_away(db, gone, starts_on=today(), ends_on=today(), reason="休假", by_user_id=None)
    db.commit()
    login_as(client, db, Role.CHIEF, officer=here)
    page = client.get("/officers")
    rows = {o.name: row for o in (here, gone) for row in page.text.split("<tr>") if o.name in row}
    assert "在岗" in rows[here.name] and "外出" in rows[gone.name]
    assert f'href="/officers/{gone.id}"' in rows[gone.name]
