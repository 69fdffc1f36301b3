"""The morning digest each officer gets (what is due today and overdue) and the monthly brief the
leaders get on the 1st."""

from datetime import datetime

from sqlmodel import Session, col, select

from liaison import reminders
from liaison.auth.models import User
from liaison.auth.roles import Role
from liaison.clock import LOCAL_TZ
from liaison.config import get_settings
from liaison.notify.kinds import Kind
from liaison.notify.models import Notification
from tests.factories import login_as, make_hazard, make_officer, make_project, make_user


def scan() -> int:
    return reminders.scan(get_settings())


def told(db: Session, user: User, kind: Kind) -> list[Notification]:
    return list(
        db.exec(
            select(Notification)
            .where(Notification.user_id == user.id, Notification.kind == kind.value)
            .order_by(col(Notification.id))
        ).all()
    )


def test_an_officer_gets_one_digest_a_morning_of_what_is_due_and_overdue(client, db, travel):
    travel.to(datetime(2026, 3, 10, 7, 0, tzinfo=LOCAL_TZ))
    officer = make_officer(db)
    user = login_as(client, db, Role.OFFICER, officer=officer)
    idle = make_user(db, Role.OFFICER)
    project = make_project(db, officer=officer)
    make_hazard(db, project, officer)  # due in 30 days
    travel.to(datetime(2026, 4, 9, 7, 30, tzinfo=LOCAL_TZ))  # due today
    scan()
    assert told(db, user, Kind.DIGEST) == []

    travel.to(datetime(2026, 4, 9, 8, 5, tzinfo=LOCAL_TZ))
    scan()
    scan()
    (digest,) = told(db, user, Kind.DIGEST)
    # The project, assigned 30 days ago and never visited, is due a visit today.
    assert digest.title == "今日待办：今日到期 2 项，已逾期 0 项"
    assert digest.body == "隐患：今日到期 1 项；走访：今日到期 1 项"
    assert digest.url == "/home"
    assert told(db, idle, Kind.DIGEST) == []
    assert client.get(digest.url).status_code == 200

    travel.to(datetime(2026, 4, 10, 9, 0, tzinfo=LOCAL_TZ))
    scan()
    assert [d.title for d in told(db, user, Kind.DIGEST)][1:] == [
        "今日待办：今日到期 0 项，已逾期 2 项"
    ]


def test_the_leaders_get_the_brief_of_the_month_just_ended_on_the_first(client, db, travel):
    leader = login_as(client, db, Role.LEADER)
    travel.to(datetime(2026, 12, 1, 9, 0, tzinfo=LOCAL_TZ))
    scan()
    scan()
    (brief,) = told(db, leader, Kind.MONTHLY_BRIEF)
    assert brief.title == "月度工作简报：2026年第11期"
    assert brief.url == "/dashboard/brief?period=custom&from=2026-11-01&to=2026-11-30"
    assert brief.body.startswith("2026年11月1日至2026年11月30日，全区")
    page = client.get(brief.url)
    assert page.status_code == 200 and "2026年第11期" in page.text

    travel.to(datetime(2026, 12, 2, 9, 0, tzinfo=LOCAL_TZ))
    scan()
    assert len(told(db, leader, Kind.MONTHLY_BRIEF)) == 1
