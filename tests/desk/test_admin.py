"""The admin sets service levels per type and corrects the working-day calendar; requests
received afterwards follow them, and every change is audited."""

from datetime import UTC, date, datetime

from sqlmodel import select

from liaison.audit.models import AuditLog
from liaison.auth.roles import Role
from liaison.clock import LOCAL_TZ, local
from liaison.desk.models import CalendarDay, ServiceLevel
from tests.factories import login_as, make_request, post

LEVELS = {
    f"{kind}.{name}": value
    for kind in ("咨询", "投诉", "建议", "求助")
    for name, value in (("response_hours", "24"), ("close_days", "7"))
}


def test_the_page_shows_the_defaults_and_saves_working_days_for_one_type(client, db, travel):
    login_as(client, db, Role.ADMIN)
    page = client.get("/admin/service-levels").text
    assert 'name="投诉.close_days"' in page and 'value="7"' in page
    saved = post(
        client,
        "/admin/service-levels",
        {**LEVELS, "投诉.close_days": "5", "投诉.working_days": "on", "求助.close_days": "5"},
        follow_redirects=False,
    )
    assert saved.status_code == 303
    complaint = db.get(ServiceLevel, "投诉")
    assert (complaint.close_days, complaint.working_days) == (5, True)
    audit = db.exec(select(AuditLog).where(AuditLog.object_id == "投诉")).one()
    assert (audit.object_type, audit.after["close_days"]) == ("ServiceLevel", 5)


def test_a_bad_value_saves_nothing_and_says_why_beside_it(client, db):
    login_as(client, db, Role.ADMIN)
    refused = post(client, "/admin/service-levels", {**LEVELS, "建议.response_hours": "0"})
    assert refused.status_code == 422 and "不能小于 1" in refused.text
    assert db.exec(select(ServiceLevel)).all() == []


def test_a_day_entered_by_the_admin_moves_the_deadline(client, db, travel):
    login_as(client, db, Role.ADMIN)
    post(
        client,
        "/admin/service-levels",
        {**LEVELS, "求助.close_days": "1", "求助.working_days": "on"},
    )
    thursday = datetime(2099, 3, 5, 10, 0, tzinfo=LOCAL_TZ)  # a year the package does not know
    travel.to(thursday)
    assert local(make_request(db).close_by).date() == date(2099, 3, 6)
    travel.to(datetime.now(UTC))  # back to today, where the admin's session lives
    added = post(client, "/admin/calendar", {"day": "2099-03-06", "note": "地方假日"})
    assert "已将 2099-03-06 设为休息日" in added.text and "地方假日" in added.text
    assert db.get(CalendarDay, date(2099, 3, 6)).workday is False
    travel.to(thursday)
    assert local(make_request(db).close_by).date() == date(2099, 3, 9)  # Friday off: Monday
    travel.to(datetime.now(UTC))
    post(client, "/admin/calendar/2099-03-06/delete")
    assert db.get(CalendarDay, date(2099, 3, 6)) is None


def test_a_bad_date_is_refused_beside_the_field(client, db):
    login_as(client, db, Role.ADMIN)
    refused = post(client, "/admin/calendar", {"day": "2099-02-30"})
    assert refused.status_code == 422 and 'id="e-day"' in refused.text
    assert "请填写有效日期（YYYY-MM-DD）" in refused.text
    blank = post(client, "/admin/calendar", {"day": "", "note": "调休"})
    assert blank.status_code == 422 and "此项必填" in blank.text
    assert 'value="调休"' in blank.text  # what was typed stays
