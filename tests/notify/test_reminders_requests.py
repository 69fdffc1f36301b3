"""The scan's reminders of a request's deadlines (response, closure), their escalation to the
station's chief and then the leaders, the duty group's robot, and the backup officer (B角)."""

from datetime import timedelta

import sqlalchemy as sa
from sqlmodel import Session, col, select

from liaison import reminders
from liaison.auth.models import User
from liaison.auth.roles import Role
from liaison.clock import local, now, today
from liaison.config import get_settings
from liaison.desk import service as desk_service
from liaison.desk.models import Satisfaction, ServiceRequest
from liaison.notify.kinds import Kind
from liaison.notify.models import (
    Channel,
    Delivery,
    DutyRobot,
    Notification,
    NotifySettings,
    Preference,
)
from liaison.org.models import Absence, Officer, Station
from liaison.projects.models import Project
from tests.factories import login_as, make_officer, make_project, make_request, make_user

# The defaults: a response within 24 hours, warned 4 hours ahead; closure within 7 days,
# warned 24 hours ahead; the leaders told 24 hours after a breach.


def scan() -> int:
    return reminders.scan(get_settings())


def told(db: Session, user: User) -> list[tuple[str, str]]:
    """(kind, url) of the user's reminders of requests, oldest first (the digests, the brief
    and a project's visit come too, and are tested apart; so is the routing's own notice)."""
    rows = db.exec(
        select(Notification.kind, Notification.url)
        .where(
            Notification.user_id == user.id,
            col(Notification.url).startswith("/requests/"),
            Notification.kind != Kind.REQUEST_ROUTED.value,
        )
        .order_by(col(Notification.id))
    ).all()
    return [(kind, url) for kind, url in rows]


def officer_on_a_project(db: Session) -> tuple[User, Officer, Project]:
    officer = make_officer(db)
    user = make_user(db, Role.OFFICER, officer=officer)
    return user, officer, make_project(db, officer=officer)


def answer(db: Session, request: ServiceRequest) -> None:
    desk_service.accept(db, request, by_user_id=None)
    desk_service.reply(db, request, "已联系施工方处理", public=True, by_user_id=None)
    db.commit()


def test_response_due_then_breached_each_reminds_the_officer_once(db, travel):
    user, _, project = officer_on_a_project(db)
    request = make_request(db, project)
    url = f"/requests/{request.id}"
    scan()
    assert told(db, user) == []

    travel.advance(hours=21)
    scan()
    assert told(db, user) == [(Kind.RESPONSE_DUE, url)]
    assert scan() == 0

    travel.advance(hours=4)
    scan()
    assert told(db, user) == [(Kind.RESPONSE_DUE, url), (Kind.RESPONSE_BREACHED, url)]
    assert scan() == 0


def test_an_answered_request_is_reminded_of_its_closure_then_of_its_breach(db, travel):
    user, _, project = officer_on_a_project(db)
    request = make_request(db, project)
    answer(db, request)
    url = f"/requests/{request.id}"

    travel.advance(days=6, hours=1)
    scan()
    assert told(db, user) == [(Kind.CLOSURE_DUE, url)]

    travel.advance(hours=24)
    scan()
    assert told(db, user)[-1] == (Kind.CLOSURE_BREACHED, url)
    assert scan() == 0


def test_a_request_reopened_by_its_rating_is_reminded_of_its_new_closure_deadline(db, travel):
    user, _, project = officer_on_a_project(db)
    request = make_request(db, project)
    answer(db, request)
    travel.advance(days=8)
    scan()
    desk_service.close(db, request, "已清理", by_user_id=None)
    desk_service.rate(
        db, request, Satisfaction.UNSATISFIED, settings=get_settings(), reason="仍未清理"
    )
    db.commit()
    breaches = [(Kind.CLOSURE_BREACHED, f"/requests/{request.id}")]
    assert [t for t in told(db, user) if t[0] == Kind.CLOSURE_BREACHED] == breaches

    travel.advance(days=8)
    scan()
    assert [t for t in told(db, user) if t[0] == Kind.CLOSURE_BREACHED] == breaches * 2


def test_a_breach_goes_to_the_chief_at_once_and_to_the_leaders_a_day_later(db, travel):
    _, officer, project = officer_on_a_project(db)
    chief = make_user(db, Role.CHIEF, officer=make_officer(db, db.get(Station, officer.station_id)))
    leader = make_user(db, Role.LEADER)
    request = make_request(db, project)
    url = f"/requests/{request.id}"

    travel.advance(hours=25)
    scan()
    assert told(db, chief) == [(Kind.ESCALATED, url)]
    assert told(db, leader) == []

    travel.advance(hours=22)
    scan()
    assert told(db, leader) == []
    travel.advance(hours=2)
    scan()
    assert told(db, leader) == [(Kind.ESCALATED, url)]
    assert told(db, chief) == [(Kind.ESCALATED, url)]
    assert scan() == 0


def test_the_stations_duty_robot_is_told_of_the_breach_and_of_the_leaders_escalation(db, travel):
    _, officer, project = officer_on_a_project(db)
    robot = DutyRobot(station_id=officer.station_id, channel="wecom", url="http://robot.invalid")
    bureau = DutyRobot(station_id=None, channel="dingtalk", url="http://bureau.invalid")
    db.add_all([robot, bureau])
    db.commit()
    make_user(db, Role.LEADER)
    request = make_request(db, project)

    travel.advance(hours=25)
    scan()
    travel.advance(hours=25)
    scan()
    scan()

    posts = db.exec(select(Delivery).where(col(Delivery.notification_id).is_(None))).all()
    assert [(p.channel, p.address) for p in posts] == [(Channel.WECOM, f"robot:{robot.id}")] * 2
    assert all(p.text.endswith(f"/requests/{request.id}") for p in posts)
    assert posts[0].subject.startswith(Kind.RESPONSE_BREACHED.label)
    assert posts[1].subject.startswith(Kind.ESCALATED.label)


def test_a_backup_officer_gets_the_reminders_while_the_main_officer_is_away(db, travel):
    user, officer, project = officer_on_a_project(db)
    backup = make_officer(db, db.get(Station, officer.station_id))
    backup_user = make_user(db, Role.OFFICER, officer=backup)
    project.backup_officer_id = backup.id
    db.add(project)
    db.add(
        Absence(officer_id=officer.id or 0, starts_on=today(), ends_on=today() + timedelta(days=7))
    )
    db.commit()
    request = make_request(db, project)

    travel.advance(hours=21)
    scan()
    assert told(db, backup_user) == [(Kind.RESPONSE_DUE, f"/requests/{request.id}")]
    assert told(db, user) == []


def test_without_an_officer_a_request_goes_to_its_stations_chief_or_the_duty_desk(db, travel):
    station_project = make_project(db)
    chief = make_user(
        db, Role.CHIEF, officer=make_officer(db, db.get(Station, station_project.station_id))
    )
    leader = make_user(db, Role.LEADER)
    uncovered = make_request(db, station_project)
    desk = make_request(db)

    travel.advance(hours=21)
    scan()
    assert told(db, chief) == [(Kind.RESPONSE_DUE, f"/requests/{uncovered.id}")]
    assert told(db, leader) == [(Kind.RESPONSE_DUE, f"/requests/{desk.id}")]


def test_quiet_hours_hold_back_the_mail_but_not_the_reminder_in_the_app(client, db, travel):
    officer = make_officer(db)
    user = login_as(client, db, Role.OFFICER, officer=officer)
    request = make_request(db, make_project(db, officer=officer))
    travel.advance(hours=21)
    moment = local(now())
    # Written past the ORM: the audit log cannot write a time of day yet (test_preferences.py).
    db.execute(
        sa.insert(NotifySettings).values(
            user_id=user.id,
            email="officer@example.gov.cn",
            quiet=True,
            quiet_from=(moment - timedelta(hours=1)).time(),
            quiet_until=(moment + timedelta(hours=1)).time(),
        )
    )
    db.execute(
        sa.insert(Preference).values(
            user_id=user.id, kind=Kind.RESPONSE_DUE.value, channels=Channel.EMAIL.value
        )
    )
    db.commit()

    scan()
    assert told(db, user) == [(Kind.RESPONSE_DUE, f"/requests/{request.id}")]
    assert client.get(f"/requests/{request.id}").status_code == 200
    (mail,) = db.exec(select(Delivery).where(Delivery.channel == Channel.EMAIL.value)).all()
    assert mail.next_at > now() + timedelta(minutes=30)
