"""The hazard loop tells who must act next: the project's officer on duty of a hazard someone
else found on it and of one sent back, the verifier of one sent for review, the leaders of a
重大 one at once (挂牌督办); never the person who took the step, and never for a change that
rolled back."""

from datetime import timedelta

from sqlmodel import Session, col, select

from liaison.auth.roles import Role
from liaison.clock import local, now, today
from liaison.config import get_settings
from liaison.db import get_engine
from liaison.hazards import service as hazard_service
from liaison.hazards.models import Hazard
from liaison.hazards.schemas import HazardIn
from liaison.notify import service as notify_service
from liaison.notify.kinds import Kind
from liaison.notify.models import Channel, Delivery, Notification
from liaison.org import service as org_service
from liaison.projects import service as project_service
from liaison.projects.models import Project
from tests.desk.test_request_notifications import officer_with_login, opens, told
from tests.factories import make_officer, make_project, make_station, make_user, post


def log(client, project, **fields):  # type: ignore[no-untyped-def]
    """Log a hazard on the project's page as the login in the browser does."""
    assert client.get(f"/projects/{project.id}/hazards/new").status_code == 200
    data = {
        "category": "消防安全",
        "level": "一般",
        "description": "消防通道被材料堵塞",
        "found_on": today().isoformat(),
        **fields,
    }
    response = post(client, f"/projects/{project.id}/hazards", data, follow_redirects=False)
    assert response.status_code == 303, response.text
    return response.headers["location"]


def step(client, url, action):  # type: ignore[no-untyped-def]
    response = post(
        client, f"{url}/steps", {"action": action, "comment": "已处理"}, follow_redirects=False
    )
    assert response.status_code == 303, response.text


def test_a_hazard_a_colleague_found_reaches_the_projects_officer_who_opens_it(client, db):
    station = make_station(db)
    officer, officer_user = officer_with_login(db, station)
    _finder, finder_user = officer_with_login(db, station)
    project = make_project(db, station, officer=officer)
    opens(client, finder_user, "/home")

    url = log(client, project)

    (note,) = told(db, officer_user, Kind.HAZARD_FOUND)
    assert note.url == url and note.title.startswith("您的项目发现隐患：YH")
    assert told(db, finder_user) == []
    assert opens(client, officer_user, url) == 200


def test_the_officer_who_found_it_on_his_own_project_is_not_told(client, db):
    station = make_station(db)
    officer, officer_user = officer_with_login(db, station)
    project = make_project(db, station, officer=officer)
    opens(client, officer_user, "/home")

    log(client, project)

    assert told(db, officer_user) == []


def test_while_the_officer_is_away_the_backup_officer_is_told(client, db):
    station = make_station(db)
    officer, officer_user = officer_with_login(db, station)
    backup, backup_user = officer_with_login(db, station)
    project = make_project(db, station, officer=officer)
    project_service.set_backup(db, project, backup)
    org_service.mark_away(
        db, officer, starts_on=today(), ends_on=today() + timedelta(days=5), reason="培训",
        by_user_id=None,
    )  # fmt: skip
    db.commit()
    chief = make_user(db, Role.CHIEF, officer=make_officer(db, station))
    opens(client, chief, "/home")

    url = log(client, project)

    assert told(db, officer_user) == []
    (note,) = told(db, backup_user, Kind.HAZARD_FOUND)
    assert opens(client, backup_user, note.url) == 200 and note.url == url


def test_a_major_hazard_goes_to_the_leaders_at_once_even_in_their_quiet_hours(client, db):
    station = make_station(db)
    officer, officer_user = officer_with_login(db, station)
    project = make_project(db, station, officer=officer)
    leader = make_user(db, Role.LEADER)
    moment = local(now())
    quiet_now = notify_service.SettingsIn(
        phone="13912345678",
        quiet=True,
        quiet_from=(moment - timedelta(hours=1)).time(),
        quiet_until=(moment + timedelta(hours=1)).time(),
    )
    sms = {Kind.HAZARD_MAJOR: frozenset({Channel.SMS})}
    notify_service.save_settings(db, leader.id or 0, quiet_now, sms)
    db.commit()
    opens(client, officer_user, "/home")

    url = log(client, project, level="重大")

    (note,) = told(db, leader, Kind.HAZARD_MAJOR)
    assert note.url == url and told(db, officer_user) == []
    (sms,) = db.exec(select(Delivery).where(Delivery.notification_id == note.id)).all()
    assert sms.channel == Channel.SMS and sms.next_at <= now()
    assert opens(client, leader, url) == 200


def test_sent_for_review_the_chief_is_asked_and_a_failed_review_returns_to_the_officer(client, db):
    station = make_station(db)
    officer, officer_user = officer_with_login(db, station)
    chief = make_user(db, Role.CHIEF, officer=make_officer(db, station))
    leader = make_user(db, Role.LEADER)
    project = make_project(db, station, officer=officer)
    _finder, finder_user = officer_with_login(db, station)
    opens(client, finder_user, "/home")
    url = log(client, project)

    opens(client, officer_user, url)
    step(client, url, "start")
    step(client, url, "submit")

    (review,) = told(db, chief, Kind.HAZARD_REVIEW)
    assert review.url == url and told(db, leader) == []
    assert told(db, officer_user, Kind.HAZARD_REVIEW) == []
    assert opens(client, chief, url) == 200
    step(client, url, "reject")
    (returned,) = told(db, officer_user, Kind.HAZARD_RETURNED)
    assert told(db, chief, Kind.HAZARD_RETURNED) == []
    assert opens(client, officer_user, returned.url) == 200


def test_a_hazard_the_chief_found_is_reviewed_by_the_leaders(client, db):
    station = make_station(db)
    officer, officer_user = officer_with_login(db, station)
    chief = make_user(db, Role.CHIEF, officer=make_officer(db, station))
    leader = make_user(db, Role.LEADER)
    project = make_project(db, station, officer=officer)
    opens(client, chief, "/home")
    url = log(client, project)

    opens(client, officer_user, url)
    step(client, url, "start")
    step(client, url, "submit")

    assert told(db, chief, Kind.HAZARD_REVIEW) == []  # he found it: he may not review it
    (review,) = told(db, leader, Kind.HAZARD_REVIEW)
    assert opens(client, leader, review.url) == 200


def test_a_hazard_that_rolled_back_leaves_no_notification(db):
    station = make_station(db)
    officer, _user = officer_with_login(db, station)
    finder = make_officer(db, station)
    make_user(db, Role.LEADER)
    project = make_project(db, station, officer=officer)
    data = HazardIn.model_validate(
        {
            "category": "消防安全",
            "level": "重大",
            "description": "消防通道被材料堵塞",
            "found_on": today(),
        }
    )

    # A transaction of the app's own (the test's session commits each statement on SQLite).
    with Session(get_engine()) as session:
        on_project = session.get(Project, project.id)
        assert on_project is not None
        hazard_service.log_hazard(
            session, get_settings(), on_project, finder, data, by_user_id=None
        )
        assert session.exec(select(Notification)).all() != []
        session.rollback()

    assert db.exec(select(Notification)).all() == []
    assert db.exec(select(Hazard).where(col(Hazard.project_id) == project.id)).all() == []
