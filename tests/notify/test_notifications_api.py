"""GET /api/v1/notifications and POST /api/v1/notifications/{id}/read, as another program
calls them with its user's bearer token."""

from datetime import timedelta

from liaison.auth import service as auth_service
from liaison.auth.roles import Role
from liaison.notify.kinds import Kind
from liaison.notify.models import Notification
from liaison.notify.service import Message, notify
from tests.factories import make_user


def bearer(db, user):  # type: ignore[no-untyped-def]
    token = auth_service.create_api_token(db, user)
    db.commit()
    return {"Authorization": f"Bearer {token}"}


def tell(db, user, subject, url="/requests/3", kind=Kind.REQUEST_ROUTED):  # type: ignore[no-untyped-def]
    (made,) = notify(db, [user.id], Message(kind, subject, url))
    db.commit()
    return made


def test_the_tokens_user_gets_their_own_newest_first(client, db, travel):
    officer, other = make_user(db, Role.OFFICER), make_user(db, Role.OFFICER)
    older = tell(db, officer, "旧的")
    travel.advance(minutes=5)
    newer = tell(db, officer, "新的", "/hazards/4", Kind.HAZARD_FOUND)
    tell(db, other, "别人的")
    answer = client.get("/api/v1/notifications", headers=bearer(db, officer))
    assert answer.status_code == 200
    body = answer.json()
    assert (body["total"], body["unread"], body["limit"], body["offset"]) == (2, 2, 50, 0)
    assert [i["id"] for i in body["items"]] == [newer.id, older.id]
    first = body["items"][0]
    assert set(first) == {"id", "kind", "title", "url", "created_at", "read_at"}
    assert first["kind"] == "hazard.found" and first["url"] == "/hazards/4"
    assert first["title"] == "您的项目发现隐患：新的" and first["read_at"] is None


def test_limit_offset_and_unread_narrow_the_list(client, db, travel):
    officer = make_user(db, Role.CHIEF)
    made = []
    for n in range(5):
        made.append(tell(db, officer, f"第{n}条"))
        travel.advance(minutes=1)
    headers = bearer(db, officer)
    page = client.get("/api/v1/notifications?limit=2&offset=1", headers=headers).json()
    assert [i["id"] for i in page["items"]] == [made[3].id, made[2].id]
    assert (page["total"], page["limit"], page["offset"]) == (5, 2, 1)
    assert (
        client.post(f"/api/v1/notifications/{made[0].id}/read", headers=headers).status_code == 204
    )
    unread = client.get("/api/v1/notifications?unread=true", headers=headers).json()
    assert unread["total"] == 4 and unread["unread"] == 4
    read = client.get("/api/v1/notifications?unread=false", headers=headers).json()
    assert [i["id"] for i in read["items"]] == [made[0].id] and read["items"][0]["read_at"]


def test_the_bounds_of_limit_and_offset_are_refused_beyond(client, db):
    headers = bearer(db, make_user(db, Role.OFFICER))
    for query in ("limit=0", "limit=201", "offset=-1", "unread=maybe"):
        answer = client.get(f"/api/v1/notifications?{query}", headers=headers)
        assert answer.status_code == 422, query


def test_marking_another_users_notification_read_is_not_found(client, db):
    officer, other = make_user(db, Role.OFFICER), make_user(db, Role.OFFICER)
    theirs = tell(db, other, "别人的")
    headers = bearer(db, officer)
    assert (
        client.post(f"/api/v1/notifications/{theirs.id}/read", headers=headers).status_code == 404
    )
    assert client.post("/api/v1/notifications/999999/read", headers=headers).status_code == 404
    db.refresh(theirs)
    assert theirs.read_at is None


def test_marking_read_twice_keeps_the_first_time(client, db, travel):
    officer = make_user(db, Role.OFFICER)
    made = tell(db, officer, "一条")
    headers = bearer(db, officer)
    client.post(f"/api/v1/notifications/{made.id}/read", headers=headers)
    db.refresh(made)
    first = made.read_at
    travel.advance(hours=1)
    assert client.post(f"/api/v1/notifications/{made.id}/read", headers=headers).status_code == 204
    db.refresh(made)
    assert made.read_at == first and first is not None
    assert abs(db.get(Notification, made.id).read_at - first) < timedelta(seconds=1)


def test_without_a_token_the_api_answers_401(client, db):
    assert client.get("/api/v1/notifications").status_code == 401
    assert client.post("/api/v1/notifications/1/read").status_code in (401, 403)
