"""/notifications/settings: each person's addresses, quiet hours and channels per kind, saved
as the form is submitted, and refused beside the field when an address is wrong."""

from datetime import time

from sqlmodel import select

from liaison.auth.roles import Role
from liaison.notify.kinds import Kind
from liaison.notify.models import Delivery, NotifySettings, Preference
from liaison.notify.service import Message, notify
from tests.factories import login_as
from tests.outside.forms import read


def settings_form(client):  # type: ignore[no-untyped-def]
    page = client.get("/notifications/settings")
    assert page.status_code == 200
    (form,) = [f for f in read(str(page.url), page.text).forms if f.action.endswith("/settings")]
    return page, form


def as_form(pairs):  # type: ignore[no-untyped-def]
    """Name/value pairs as the test client posts them: a name sent twice, as a list."""
    data: dict[str, list[str]] = {}
    for name, value in pairs:
        data.setdefault(name, []).append(value)
    return data


def submit(client, form, **changes):  # type: ignore[no-untyped-def]
    """The form as sent, with fields replaced (a None value: the box unticked)."""
    pairs = [(k, v) for k, v in form.as_sent() if k not in changes]
    pairs += [(k, v) for k, v in changes.items() if v is not None]
    return client.post(form.action, data=as_form(pairs))


def test_the_page_shows_the_defaults_and_says_breaches_pass_quiet_hours(client, db):
    login_as(client, db, Role.OFFICER)
    page, form = settings_form(client)
    sent = form.as_sent()
    assert ("quiet_from", "22:00") in sent and ("quiet_until", "07:00") in sent
    # Breaches go by SMS and mail unless chosen otherwise; routine kinds in the app only.
    assert ("channels-request.response_breached", "sms") in sent
    assert not any(k == "channels-request.routed" for k, _ in sent)
    assert "不受免打扰限制" in page.text
    for group in {k.group for k in Kind}:
        assert f"<legend>{group}</legend>" in page.text


def test_saving_keeps_addresses_quiet_hours_and_the_chosen_channels(client, db):
    officer = login_as(client, db, Role.OFFICER)
    _, form = settings_form(client)
    answer = client.post(
        form.action,
        data=as_form(
            [
                ("csrf_token", dict(form.fields)["csrf_token"]),
                ("email", "wang@example.gov.cn"),
                ("phone", "13800138000"),
                ("quiet", "on"),
                ("quiet_from", "21:30"),
                ("quiet_until", "06:45"),
                ("channels-request.routed", "email"),
                ("channels-request.routed", "sms"),
                ("channels-hazard.found", "sms"),
                ("channels-hazard.found", "fax"),  # not offered: ignored
            ]
        ),
    )
    assert answer.status_code == 200 and "已保存通知设置" in answer.text
    kept = db.get(NotifySettings, officer.id)
    db.refresh(kept)
    assert (kept.email, kept.phone, kept.quiet) == ("wang@example.gov.cn", "13800138000", True)
    assert (kept.quiet_from, kept.quiet_until) == (time(21, 30), time(6, 45))
    chosen = {
        p.kind: p.channels
        for p in db.exec(select(Preference).where(Preference.user_id == officer.id))
    }
    assert chosen["request.routed"] == "email,sms" and chosen["hazard.found"] == "sms"
    assert chosen["request.response_breached"] == ""  # unticked now: in the app only
    _, again = settings_form(client)
    assert ("channels-request.routed", "email") in again.as_sent()
    assert ("quiet_from", "21:30") in again.as_sent()


def test_a_saved_choice_decides_what_is_sent(client, db):
    officer = login_as(client, db, Role.OFFICER)
    _, form = settings_form(client)
    submit(client, form, email="li@example.gov.cn", phone="13900139000", quiet=None)
    notify(db, [officer.id], Message(Kind.RESPONSE_BREACHED, "YY1", "/requests/1"))
    db.commit()
    channels = sorted(d.channel for d in db.exec(select(Delivery)))
    assert channels == ["email", "sms"]


def test_a_bad_email_or_phone_is_refused_beside_its_field_and_nothing_saved(client, db):
    officer = login_as(client, db, Role.CHIEF)
    _, form = settings_form(client)
    answer = submit(client, form, email="not-an-address", phone="12345")
    assert answer.status_code == 422
    assert "请填写有效的邮箱地址" in answer.text and "请填写 11 位手机号" in answer.text
    assert 'value="not-an-address"' in answer.text  # what was typed, kept
    assert db.get(NotifySettings, officer.id) is None
    assert db.exec(select(Preference).where(Preference.user_id == officer.id)).first() is None


def test_the_back_office_has_no_settings_page(client, db):
    login_as(client, db, Role.AUDITOR)
    assert client.get("/notifications/settings").status_code == 403
