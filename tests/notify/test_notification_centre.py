"""The notification centre as a staff user sees it: the bell's count, the list with its filters,
opening one (it is marked read and leads to its record), and marking all read."""

import re

from sqlmodel import func, select

from liaison.auth.models import UserSession
from liaison.auth.roles import Role
from liaison.notify.kinds import Kind
from liaison.notify.models import Notification
from liaison.notify.service import Message, notify
from tests.factories import login_as, make_user, post
from tests.outside.forms import read


def tell(
    db,
    user,
    kind=Kind.REQUEST_ROUTED,
    subject="YY20261207-AB12 工地门口车辆乱停",
    url="/requests/1",
):  # type: ignore[no-untyped-def]
    made = notify(db, [user.id], Message(kind, subject, url))
    db.commit()
    return made[0]


def bell_count(client) -> int:  # type: ignore[no-untyped-def]
    fragment = client.get("/notifications/count", headers={"HX-Request": "true"})
    assert fragment.status_code == 200
    assert 'data-testid="bell"' in fragment.text
    badge = re.search(r'data-testid="bell-count">(\d+)<', fragment.text)
    return int(badge.group(1)) if badge else 0


def test_the_bell_counts_the_users_own_unread_notifications(client, db):
    officer = login_as(client, db, Role.OFFICER)
    assert bell_count(client) == 0
    tell(db, officer)
    tell(db, officer, Kind.HAZARD_FOUND, "隐患 H-1", "/hazards/1")
    tell(db, make_user(db, Role.OFFICER))  # someone else's
    assert bell_count(client) == 2


def test_every_staff_page_carries_the_bell_and_the_back_office_none(client, db):
    login_as(client, db, Role.CHIEF)
    page = client.get("/home").text
    assert 'data-testid="bell"' in page and 'hx-get="/notifications/count?polls=0"' in page
    client.cookies.clear()
    login_as(client, db, Role.ADMIN)
    assert 'data-testid="bell"' not in client.get("/admin/stations").text
    assert client.get("/notifications").status_code == 403


def test_the_bell_stops_asking_after_the_idle_limit(client, db):
    """Each poll renews the session: an open tab nobody looks at must still lapse."""
    login_as(client, db, Role.OFFICER)
    first = client.get("/notifications/count?polls=0").text
    assert 'hx-trigger="every 30s"' in first and "polls=1" in first
    last = client.get("/notifications/count?polls=10000").text
    assert "hx-get" not in last and 'data-testid="bell"' in last


def test_polling_the_bell_writes_nothing_but_the_sessions_touch(client, db):
    officer = login_as(client, db, Role.OFFICER)
    tell(db, officer)
    before = db.exec(select(Notification.read_at)).all()
    for _ in range(3):
        assert bell_count(client) == 1
    assert db.exec(select(Notification.read_at)).all() == before
    assert db.exec(select(func.count()).select_from(UserSession)).one() == 1


def test_the_list_is_newest_first_and_filters_by_kind_and_read_state(client, db):
    officer = login_as(client, db, Role.OFFICER)
    tell(db, officer, subject="第一条")
    tell(db, officer, Kind.HAZARD_FOUND, "第二条", "/hazards/2")
    third = tell(db, officer, subject="第三条")
    post(client, f"/notifications/{third.id}/open", follow_redirects=False)
    page = client.get("/notifications")
    assert page.status_code == 200
    titles = re.findall(r"(第.条)", page.text)
    assert titles == ["第三条", "第二条", "第一条"]
    # The filter form as a browser sends it untouched: every select blank.
    (form,) = [f for f in read(str(page.url), page.text).forms if f.method == "get"]
    assert dict(form.as_sent()) == {"kind": "", "read": ""}
    assert client.get("/notifications", params=form.as_sent()).status_code == 200
    unread = client.get("/notifications", params=form.as_sent(read="unread")).text
    assert re.findall(r"(第.条)", unread) == ["第二条", "第一条"]
    hazards = client.get("/notifications", params=form.as_sent(kind="hazard.found")).text
    assert re.findall(r"(第.条)", hazards) == ["第二条"]
    read_ones = client.get("/notifications", params=form.as_sent(read="read")).text
    assert re.findall(r"(第.条)", read_ones) == ["第三条"]


def test_an_empty_centre_says_so(client, db):
    login_as(client, db, Role.LEADER)
    page = client.get("/notifications").text
    assert 'data-testid="empty"' in page and "还没有通知" in page
    filtered = client.get("/notifications?kind=escalated&read=unread").text
    assert "没有符合条件的通知" in filtered


def test_opening_one_marks_it_read_and_leads_to_its_record(client, db):
    officer = login_as(client, db, Role.OFFICER)
    made = tell(db, officer, url="/requests/7")
    page = client.get("/notifications")
    (opening,) = [f for f in read(str(page.url), page.text).forms if "/open" in f.action]
    answer = client.post(opening.action, data=dict(opening.as_sent()), follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"] == "/requests/7"
    db.refresh(made)
    assert made.read_at is not None
    assert bell_count(client) == 0


def test_another_users_notification_is_not_found(client, db):
    login_as(client, db, Role.OFFICER)
    theirs = tell(db, make_user(db, Role.OFFICER))
    answer = post(client, f"/notifications/{theirs.id}/open", follow_redirects=False)
    assert answer.status_code == 404
    db.refresh(theirs)
    assert theirs.read_at is None
    assert post(client, "/notifications/999999/open").status_code == 404


def test_all_are_marked_read_at_once_and_only_the_users_own(client, db):
    officer = login_as(client, db, Role.CHIEF)
    for n in range(3):
        tell(db, officer, subject=f"第{n}条")
    theirs = tell(db, make_user(db, Role.OFFICER))
    page = client.get("/notifications")
    (mark_all,) = [f for f in read(str(page.url), page.text).forms if "read-all" in f.action]
    answer = client.post(mark_all.action, data=dict(mark_all.as_sent()))
    assert "已将 3 条通知标为已读" in answer.text
    assert bell_count(client) == 0
    db.refresh(theirs)
    assert theirs.read_at is None


def test_the_list_pages_through_many(client, db):
    officer = login_as(client, db, Role.OFFICER)
    for n in range(55):
        notify(db, [officer.id], Message(Kind.REQUEST_ROUTED, f"诉求{n:02d}号", "/requests/1"))
    db.commit()
    first = client.get("/notifications").text
    assert first.count('data-testid="notification"') == 50 and "第 1 / 2 页" in first
    second = client.get("/notifications?page=2").text
    assert second.count('data-testid="notification"') == 5 and "诉求00号" in second
