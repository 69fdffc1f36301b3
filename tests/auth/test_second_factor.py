"""The second login factor (SECURITY.md A5): TOTP after the password, once per code, recovery
codes, enrolment with the QR code shown once, the admin's reset, and production's rule."""

import re
import secrets

import pyotp
import pytest
from sqlmodel import select

from liaison import clock
from liaison.audit.models import AuditLog
from liaison.auth.models import RecoveryCode, User, UserSession
from liaison.auth.roles import Role
from liaison.config import Settings
from tests.conftest import use_database
from tests.factories import PASSWORD, login, login_as, make_user, post


def enrol(db, user: User) -> pyotp.TOTP:
    """Give `user` a confirmed authenticator, as if enrolled long ago."""
    user.totp_secret = pyotp.random_base32()
    user.totp_confirmed_at = clock.now()
    db.add(user)
    db.commit()
    return pyotp.TOTP(user.totp_secret)


def code_now(totp: pyotp.TOTP) -> str:
    return totp.at(clock.now())


@pytest.fixture
def officer(db):
    return make_user(db, Role.OFFICER)


def test_the_password_alone_opens_only_the_code_page(client, db, officer):
    enrol(db, officer)
    response = login(client, officer.username)
    assert response.status_code == 303
    assert response.headers["location"] == "/login/code"
    for page in ("/home", "/projects", "/account/password", "/api/v1/me"):
        reply = client.get(page, follow_redirects=False)
        if page.startswith("/api"):
            assert reply.status_code == 401  # the API takes bearer tokens, never this cookie
        else:
            assert reply.status_code == 303, page
            assert reply.headers["location"] == "/login/code"
    actions = db.exec(select(AuditLog.action).where(AuditLog.object_id == str(officer.id))).all()
    assert "login_password_ok" in actions and "login" not in actions


def test_the_right_code_completes_the_login_under_a_new_token(client, db, officer):
    totp = enrol(db, officer)
    login(client, officer.username)
    half_open = client.cookies.get("liaison_session")
    page = client.get("/login/code")
    assert "验证码" in page.text and 'autocomplete="one-time-code"' in page.text
    response = post(client, "/login/code", {"code": code_now(totp)}, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/home"
    assert client.cookies.get("liaison_session") != half_open
    assert client.get("/home").status_code == 200
    sessions = db.exec(select(UserSession).where(UserSession.user_id == officer.id)).all()
    assert [s.second_factor_pending for s in sessions] == [False]
    assert db.exec(select(AuditLog).where(AuditLog.action == "login")).first() is not None


def test_a_wrong_code_is_refused_beside_the_field(client, db, officer):
    enrol(db, officer)
    login(client, officer.username)
    response = post(client, "/login/code", {"code": "000000"}, follow_redirects=False)
    assert response.status_code == 401
    assert 'id="e-code"' in response.text and "验证码不正确" in response.text
    assert client.get("/home", follow_redirects=False).headers["location"] == "/login/code"


def test_a_code_is_accepted_once(client, db, officer, travel):
    totp = enrol(db, officer)
    code = code_now(totp)
    login(client, officer.username)
    assert post(client, "/login/code", {"code": code}, follow_redirects=False).status_code == 303
    post(client, "/logout")
    login(client, officer.username)
    replay = post(client, "/login/code", {"code": code}, follow_redirects=False)
    assert replay.status_code == 401
    travel.advance(seconds=30)
    fresh = post(client, "/login/code", {"code": code_now(totp)}, follow_redirects=False)
    assert fresh.status_code == 303


def test_wrong_codes_lock_the_account_and_end_the_half_open_session(client, db, officer):
    totp = enrol(db, officer)
    login(client, officer.username)
    for _ in range(4):
        assert post(client, "/login/code", {"code": "123456"}).status_code == 401
    fifth = post(client, "/login/code", {"code": "123456"}, follow_redirects=False)
    assert fifth.status_code == 303 and fifth.headers["location"] == "/login"
    assert db.exec(select(UserSession).where(UserSession.user_id == officer.id)).all() == []
    # Locked: the password and then the right code get nowhere for now.
    assert login(client, officer.username).status_code == 401
    assert code_now(totp)  # the code would have been right


def test_the_half_open_session_lapses_after_five_minutes(client, db, officer, travel):
    totp = enrol(db, officer)
    login(client, officer.username)
    travel.advance(minutes=6)
    late = post(client, "/login/code", {"code": code_now(totp)}, follow_redirects=False)
    assert late.status_code == 303 and late.headers["location"].startswith("/login")
    assert client.get("/home", follow_redirects=False).headers["location"].startswith("/login")


def test_a_recovery_code_stands_in_once(client, db, officer, travel):
    totp = enrol(db, officer)
    login(client, officer.username)
    post(client, "/login/code", {"code": code_now(totp)})
    page = post(client, "/account/two-factor/recovery-codes", {"code": "111111"})
    assert "验证码不正确" in page.text  # a wrong current code issues nothing
    travel.advance(seconds=30)  # the login's code is spent
    page = post(client, "/account/two-factor/recovery-codes", {"code": code_now(totp)})
    codes = re.findall(r"<code>([a-z0-9]{5}-[a-z0-9]{5})</code>", page.text)
    assert len(codes) == 10 and len(set(codes)) == 10
    stored = db.exec(select(RecoveryCode.code_hash).where(RecoveryCode.user_id == officer.id)).all()
    assert len(stored) == 10 and not set(codes) & set(stored)  # only hashes are kept
    post(client, "/logout")

    login(client, officer.username)
    used = post(client, "/login/code", {"code": codes[0].upper()}, follow_redirects=False)
    assert used.status_code == 303 and used.headers["location"] == "/home"
    assert "9" in client.get("/account/two-factor").text.split('data-testid="codes-left">')[1][:2]
    post(client, "/logout")
    login(client, officer.username)
    again = post(client, "/login/code", {"code": codes[0]}, follow_redirects=False)
    assert again.status_code == 401
    actions = db.exec(select(AuditLog.action)).all()
    assert "recovery_code_used" in actions and "recovery_codes_issued" in actions


@pytest.fixture
def required(database_url, monkeypatch):
    use_database(monkeypatch, database_url, two_factor_required="true")


def test_staff_must_enrol_before_anything_else(client, db, required):
    officer = make_user(db, Role.OFFICER)
    response = login(client, officer.username)
    assert response.headers["location"] == "/account/two-factor"
    assert client.get("/projects", follow_redirects=False).headers["location"] == (
        "/account/two-factor"
    )
    assert "开始绑定" in client.get("/account/two-factor").text

    start = post(client, "/account/two-factor/start")
    assert "<svg" in start.text and 'class="qr-code"' in start.text
    secret = re.search(r'data-testid="totp-secret">([A-Z2-7]+)<', start.text).group(1)
    db.refresh(officer)
    assert officer.totp_secret == secret and officer.totp_confirmed_at is None

    wrong = post(client, "/account/two-factor/confirm", {"code": "000000"})
    assert wrong.status_code == 422 and "<svg" not in wrong.text  # the QR code is not shown again
    done = post(client, "/account/two-factor/confirm", {"code": pyotp.TOTP(secret).now()})
    assert done.status_code == 200
    assert len(re.findall(r"<code>[a-z0-9]{5}-[a-z0-9]{5}</code>", done.text)) == 10
    assert client.get("/projects").status_code == 200
    db.refresh(officer)
    assert officer.totp_confirmed_at is not None
    row = db.exec(select(AuditLog).where(AuditLog.action == "second_factor_enrolled")).one()
    assert row.object_id == str(officer.id)
    # The secret never reaches the audit log.
    logged = db.exec(select(AuditLog.before, AuditLog.after)).all()
    assert logged and not any(secret in str(row) for row in logged)


def test_enterprise_contacts_are_not_forced(client, db, required):
    contact = make_user(db, Role.ENTERPRISE)
    assert login(client, contact.username).headers["location"] == "/home"


def test_a_half_open_session_cannot_enrol_a_new_phone(client, db, officer):
    enrol(db, officer)
    login(client, officer.username)
    attempt = post(client, "/account/two-factor/start", follow_redirects=False)
    assert attempt.status_code == 303 and attempt.headers["location"] == "/login/code"
    db.refresh(officer)
    assert officer.totp_confirmed_at is not None


def test_an_enrolled_user_cannot_start_over_without_an_admin(client, db, officer):
    totp = enrol(db, officer)
    login(client, officer.username)
    post(client, "/login/code", {"code": code_now(totp)})
    secret = officer.totp_secret
    post(client, "/account/two-factor/start")
    db.refresh(officer)
    assert officer.totp_secret == secret


def test_an_admin_resets_a_lost_phone(client, db, officer, database_url, monkeypatch):
    enrol(db, officer)
    other = type(client)(client.app)
    login(other, officer.username)
    login_as(client, db, Role.SECURITY)
    page = client.get(f"/admin/users/{officer.id}")
    assert "已绑定" in page.text and "重置双因素认证" in page.text
    response = post(client, f"/admin/users/{officer.id}/second-factor/reset")
    assert "已重置双因素认证" in response.text
    db.refresh(officer)
    assert officer.totp_secret is None and officer.totp_confirmed_at is None
    assert db.exec(select(UserSession).where(UserSession.user_id == officer.id)).all() == []
    assert db.exec(select(RecoveryCode).where(RecoveryCode.user_id == officer.id)).all() == []
    event = db.exec(select(AuditLog).where(AuditLog.action == "second_factor_reset")).one()
    assert event.object_id == str(officer.id) and event.actor_name.startswith("security")
    # Next login, where the second factor is required: enrolment again.
    use_database(monkeypatch, database_url, two_factor_required="true")
    fresh = type(client)(client.app)
    assert login(fresh, officer.username).headers["location"] == "/account/two-factor"


def test_only_admins_reset(client, db, officer):
    enrol(db, officer)
    login_as(client, db, Role.LEADER)
    assert post(client, f"/admin/users/{officer.id}/second-factor/reset").status_code == 403
    db.refresh(officer)
    assert officer.totp_confirmed_at is not None


def test_production_requires_it_and_refuses_to_turn_it_off():
    production = {
        "env": "production",
        "secret_key": secrets.token_urlsafe(48),
        "audit_key": secrets.token_urlsafe(48),
        "database_url": "postgresql://liaison@db.example/liaison",
        "public_url": "https://liaison.example.gov.cn",
    }
    assert Settings(**production).second_factor_required
    assert not Settings(env="development").second_factor_required
    with pytest.raises(ValueError, match="双因素"):
        Settings(**production, two_factor_required=False)


def test_the_login_password_is_still_checked_first(client, db, officer):
    enrol(db, officer)
    assert login(client, officer.username, PASSWORD + "x").status_code == 401
    assert (
        client.get("/login/code", follow_redirects=False).headers["location"].startswith("/login?")
    )
