"""Service levels: working days across the National Day holiday and its make-up working days,
the admin's corrections, hours and calendar days, and the time left on a request."""

from datetime import date, datetime, timedelta

from liaison.clock import LOCAL_TZ, duration_label, local
from liaison.config import get_settings
from liaison.desk import service, sla
from liaison.desk.models import CalendarDay, RequestType, Satisfaction, ServiceLevel
from liaison.desk.schemas import RequestIn

# 2025: Sunday 28 September is a make-up working day (调休); 1–8 October are the holiday;
# Saturday 11 October is a make-up working day again.
FRIDAY_BEFORE = datetime(2025, 9, 26, 15, 0, tzinfo=LOCAL_TZ)


def submit(db, kind: RequestType = RequestType.HELP):  # type: ignore[no-untyped-def]
    request, _ = service.submit(
        db,
        RequestIn(
            type=kind,
            content="工地门口积水无人处理",
            submitter_name="王",
            submitter_phone="13900001111",
        ),
        settings=get_settings(),
    )
    return request


def working_days(db, days: int) -> None:  # type: ignore[no-untyped-def]
    db.add(ServiceLevel(type="求助", response_hours=8, close_days=days, working_days=True))
    db.commit()


def test_a_make_up_sunday_counts_and_the_holiday_does_not(db, travel):
    travel.to(FRIDAY_BEFORE)
    working_days(db, 3)
    request = submit(db)
    # Sat 27 no, Sun 28 (make-up) 1, Mon 29 2, Tue 30 3: due at the end of Tuesday.
    assert local(request.close_by) == datetime(2025, 9, 30, 23, 59, 59, tzinfo=LOCAL_TZ)
    assert request.respond_by - request.received_at == timedelta(hours=8)


def test_a_deadline_jumps_the_national_day_holiday_and_lands_on_a_make_up_saturday(db, travel):
    travel.to(FRIDAY_BEFORE)
    working_days(db, 6)
    request = submit(db)
    # 28, 29, 30 September; 1–8 October off; 9, 10 October; Saturday 11 (make-up) is the sixth.
    assert local(request.close_by).date() == date(2025, 10, 11)


def test_the_admins_calendar_overrides_the_package(db, travel):
    travel.to(FRIDAY_BEFORE)
    working_days(db, 3)
    db.add(CalendarDay(day=date(2025, 9, 30), workday=False, note="本地调整"))
    db.commit()
    assert local(submit(db).close_by).date() == date(2025, 10, 9)


def test_a_year_the_package_does_not_know_counts_monday_to_friday_and_the_admins_days():
    overrides = {date(2099, 1, 1): False}  # a Thursday the admin entered as a holiday
    assert sla.add_working_days(date(2098, 12, 31), 1, overrides) == date(2099, 1, 2)
    assert sla.add_working_days(date(2099, 1, 2), 1, {}) == date(2099, 1, 5)  # skips the weekend


def test_other_types_keep_the_defaults_in_calendar_days(db, travel):
    travel.to(FRIDAY_BEFORE)
    working_days(db, 3)
    request = submit(db, RequestType.CONSULTATION)
    assert request.close_by - request.received_at == timedelta(days=7)


def test_a_reopening_gets_a_new_closure_deadline(db, travel):
    request = submit(db)
    service.accept(db, request, by_user_id=None)
    service.close(db, request, "已处理", by_user_id=None)
    travel.advance(days=10)
    service.rate(
        db, request, Satisfaction.UNSATISFIED, settings=get_settings(), reason="仍有人偷电缆"
    )
    assert request.close_by - request.received_at > timedelta(days=16)


def test_the_clock_says_what_the_request_waits_for_and_how_it_stands(db, travel):
    settings = get_settings()
    request = submit(db)
    received = request.received_at

    def at(**delta: float) -> sla.Clock:
        return sla.clock(request, received + timedelta(**delta), settings)

    assert (at(hours=1).waiting_for, at(hours=1).urgency) == ("首次响应", sla.Urgency.ON_TRACK)
    assert at(hours=21).urgency == sla.Urgency.DUE_SOON  # 3 hours left of 24, under 4
    assert at(hours=25).urgency == sla.Urgency.BREACHED
    service.accept(db, request, by_user_id=None)
    assert (at(days=5).waiting_for, at(days=5).urgency) == ("办结", sla.Urgency.ON_TRACK)
    assert at(days=6, hours=1).urgency == sla.Urgency.DUE_SOON
    assert duration_label(at(days=8).left) == "1 天"
    service.close(db, request, "已处理", by_user_id=None)
    assert at(days=8).urgency == sla.Urgency.DONE and at(days=8).due_at is None
