"""A request tells whom it waits on: routed from a project's QR form to its officer on duty (the
backup officer while the officer is away, the duty desk without one), transferred, reopened by a
不满意, or followed up by the enterprise contact; never the person who took the step, and never
for a change that rolled back."""

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from liaison.auth.models import User
from liaison.auth.roles import Role
from liaison.clock import today
from liaison.config import get_settings
from liaison.db import get_engine
from liaison.desk import service
from liaison.desk.models import ServiceRequest
from liaison.desk.schemas import RequestIn
from liaison.notify.kinds import Kind
from liaison.notify.models import Notification
from liaison.org import service as org_service
from liaison.org.models import Officer
from liaison.projects import service as project_service
from liaison.projects.models import Project
from tests.factories import (
    login,
    make_enterprise,
    make_officer,
    make_project,
    make_station,
    make_user,
    post,
)
from tests.outside.forms import read

TYPED = {
    "type": "求助",
    "content": "工地门口夜间车辆乱停，影响材料运输",
    "name": "李经理",
    "phone": "13812345678",
}


def send_from_form(
    client: TestClient, db: Session, url: str, **typed: str
) -> ServiceRequest | None:
    """Fill in the request form as a person does (what they type, the consent ticked) and send
    it as the browser sends what the page renders; the request it made, if any."""
    page = client.get(url)
    form = next(f for f in read(str(page.url), page.text).forms if f.action.endswith(url))
    sent = dict(form.as_sent())
    sent.update({**TYPED, "consent": "on", **typed})
    done = client.post(form.action, data=sent)
    assert done.status_code == 200, done.text
    return latest(db)


def latest(db: Session) -> ServiceRequest | None:
    db.expire_all()
    return db.exec(select(ServiceRequest).order_by(col(ServiceRequest.id).desc())).first()


def told(db: Session, user: User, kind: Kind | None = None) -> list[Notification]:
    db.expire_all()
    query = select(Notification).where(Notification.user_id == user.id)
    if kind is not None:
        query = query.where(Notification.kind == kind.value)
    return list(db.exec(query).all())


def opens(client: TestClient, user: User, url: str) -> int:
    """The status of `url` as `user` opens it, logged in in a browser of their own."""
    client.cookies.clear()
    assert login(client, user.username).status_code == 303
    return client.get(url).status_code


def officer_with_login(db: Session, station=None) -> tuple[Officer, User]:  # type: ignore[no-untyped-def]
    officer = make_officer(db, station)
    return officer, make_user(db, Role.OFFICER, officer=officer)


def test_a_request_from_a_projects_qr_form_reaches_its_officer_who_opens_it(client, db):
    station = make_station(db)
    officer, officer_user = officer_with_login(db, station)
    _, colleague = officer_with_login(db, station)
    leader = make_user(db, Role.LEADER)
    project = make_project(db, station, officer=officer)

    request = send_from_form(client, db, f"/r/{project.code}")

    assert request is not None and request.officer_id == officer.id
    (note,) = told(db, officer_user, Kind.REQUEST_ROUTED)
    assert note.url == f"/requests/{request.id}"
    assert note.title.startswith(f"诉求转至您处办理：{request.tracking_no} 工地门口夜间车辆乱停")
    assert told(db, colleague) == [] and told(db, leader) == []
    assert opens(client, officer_user, note.url) == 200


def test_the_subject_masks_a_number_before_it_is_cut(client, db):
    station = make_station(db)
    officer, officer_user = officer_with_login(db, station)
    project = make_project(db, station, officer=officer)

    send_from_form(client, db, f"/r/{project.code}", content="请回电13900001111，工地被盗")

    (note,) = told(db, officer_user)
    assert "13900001111" not in note.title and "1390000" not in note.title
    assert "139****1111" in note.title


def test_an_away_officers_project_request_goes_to_the_backup_officer(client, db):
    station = make_station(db)
    officer, officer_user = officer_with_login(db, station)
    backup, backup_user = officer_with_login(db, station)
    project = make_project(db, station, officer=officer)
    project_service.set_backup(db, project, backup)
    org_service.mark_away(
        db, officer, starts_on=today(), ends_on=today() + timedelta(days=3), reason="培训",
        by_user_id=None,
    )  # fmt: skip
    db.commit()

    request = send_from_form(client, db, f"/r/{project.code}")

    assert request is not None and request.officer_id == backup.id
    assert told(db, officer_user) == []
    (note,) = told(db, backup_user, Kind.REQUEST_ROUTED)
    assert opens(client, backup_user, note.url) == 200


def test_an_away_officer_without_a_backup_leaves_the_request_to_the_duty_desk(client, db):
    station = make_station(db)
    officer, officer_user = officer_with_login(db, station)
    chief = make_user(db, Role.CHIEF, officer=make_officer(db, station))
    leader = make_user(db, Role.LEADER)
    project = make_project(db, station, officer=officer)
    org_service.mark_away(
        db, officer, starts_on=today() - timedelta(days=1), ends_on=today(), reason="休假",
        by_user_id=None,
    )  # fmt: skip
    db.commit()

    request = send_from_form(client, db, f"/r/{project.code}")

    assert request is not None and (request.officer_id, request.station_id) == (None, None)
    assert told(db, officer_user) == [] and told(db, chief) == []
    (note,) = told(db, leader, Kind.REQUEST_ROUTED)
    assert opens(client, leader, note.url) == 200
    assert request.tracking_no in client.get("/requests").text  # the leaders' own inbox
    assert opens(client, chief, note.url) == 200  # the project's station still sees it


def test_a_transfer_tells_the_officer_the_chiefs_or_the_leaders_never_the_one_who_moved_it(
    client, db
):
    first, second = make_station(db), make_station(db)
    chief = make_user(db, Role.CHIEF, officer=make_officer(db, first))
    other, other_user = officer_with_login(db, second)
    second_chief = make_user(db, Role.CHIEF, officer=make_officer(db, second))
    leader = make_user(db, Role.LEADER)
    project = make_project(db, first)  # no officer yet: the station's chief assigns it
    request = send_from_form(client, db, f"/r/{project.code}")
    assert request is not None and told(db, chief, Kind.REQUEST_ROUTED)

    def transfer(user: User, to: str) -> None:
        opens(client, user, f"/requests/{request.id}")
        moved = post(
            client,
            f"/requests/{request.id}/transfer",
            {"to": to, "reason": "属地管辖"},
            follow_redirects=False,
        )
        assert moved.status_code == 303, moved.text

    transfer(chief, f"o{other.id}")
    assert len(told(db, other_user, Kind.REQUEST_ROUTED)) == 1
    assert len(told(db, chief)) == 1  # the first routing only, not their own transfer
    transfer(other_user, f"s{second.id}")
    assert len(told(db, second_chief, Kind.REQUEST_ROUTED)) == 1
    assert len(told(db, other_user)) == 1
    transfer(second_chief, "duty")
    (note,) = told(db, leader, Kind.REQUEST_ROUTED)
    assert len(told(db, second_chief)) == 1
    assert opens(client, leader, note.url) == 200


def test_a_not_satisfied_rating_that_reopens_tells_the_officer(client, db):
    station = make_station(db)
    officer, officer_user = officer_with_login(db, station)
    project = make_project(db, station, officer=officer)
    request = send_from_form(client, db, f"/r/{project.code}")
    assert request is not None
    request = db.get(ServiceRequest, request.id)
    service.accept(db, request, by_user_id=officer_user.id)
    service.close(db, request, "已联系交警加强巡查", by_user_id=officer_user.id)
    db.commit()

    rated = post(
        client,
        "/track/rate",
        {
            "tracking_no": request.tracking_no,
            "last4": "5678",
            "satisfaction": "不满意",
            "reason": "车辆仍然乱停",
        },
    )

    assert rated.status_code == 200
    (note,) = told(db, officer_user, Kind.REQUEST_REOPENED)
    assert opens(client, officer_user, note.url) == 200


def _contact_with_request(client, db):  # type: ignore[no-untyped-def]
    """An enterprise contact logged in, who sent a request about their enterprise's project
    from /requests/new; its officer's login."""
    station = make_station(db)
    officer, officer_user = officer_with_login(db, station)
    enterprise = make_enterprise(db)
    project = make_project(db, station, officer=officer, enterprise=enterprise)
    contact = make_user(db, Role.ENTERPRISE, enterprise=enterprise)
    opens(client, contact, "/requests/new")
    page = client.get("/requests/new")
    form = next(f for f in read(str(page.url), page.text).forms if f.action.endswith("/new"))
    sent = {**dict(form.as_sent(project_code=project.code)), **TYPED}
    created = client.post(form.action, data=sent, follow_redirects=False)
    assert created.status_code == 303, created.text
    request = latest(db)
    assert request is not None and request.created_by_id == contact.id
    return contact, officer_user, request


def test_the_enterprise_contacts_follow_up_tells_the_officer_and_is_no_response(client, db):
    contact, officer_user, request = _contact_with_request(client, db)
    assert told(db, officer_user, Kind.REQUEST_ROUTED)
    page = client.get(f"/requests/{request.id}")
    form = next(f for f in read(str(page.url), page.text).forms if f.action.endswith("/supplement"))

    sent = client.post(form.action, data={**dict(form.as_sent()), "body": "车辆多在晚上九点后停放"})

    assert sent.status_code == 200 and "车辆多在晚上九点后停放" in sent.text
    (note,) = told(db, officer_user, Kind.REQUEST_REPLY)
    assert told(db, contact) == []
    db.expire_all()
    kept = db.get(ServiceRequest, request.id)
    assert kept.first_response_at is None and kept.status == "待受理"
    assert opens(client, officer_user, note.url) == 200


def test_only_the_enterprises_contacts_may_follow_up_their_request(client, db):
    _contact, officer_user, request = _contact_with_request(client, db)
    url = f"/requests/{request.id}/supplement"
    stranger = make_user(db, Role.ENTERPRISE)
    opens(client, stranger, "/requests")
    assert post(client, url, {"body": "我也来补充"}).status_code == 404
    opens(client, officer_user, f"/requests/{request.id}")
    assert post(client, url, {"body": "民警不走这里"}).status_code == 403
    assert told(db, officer_user, Kind.REQUEST_REPLY) == []


def test_a_request_that_rolled_back_leaves_no_notification(db: Session):
    station = make_station(db)
    officer, officer_user = officer_with_login(db, station)
    project = make_project(db, station, officer=officer)
    data = RequestIn.model_validate(TYPED)

    # A transaction of the app's own (the test's session commits each statement on SQLite).
    with Session(get_engine()) as session:
        project_now = session.get(Project, project.id)
        service.submit(session, data, settings=get_settings(), project=project_now)
        made = session.exec(select(Notification).where(Notification.user_id == officer_user.id))
        assert made.all() != []  # written in the change's transaction
        session.rollback()

    assert told(db, officer_user) == []
    assert db.exec(select(ServiceRequest)).all() == []
