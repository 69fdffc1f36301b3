"""Finding 7: the three administrators (三员). The system administrator runs stations, settings
and the ledger import; the security administrator manages accounts; the auditor reads the
audit log. None of them creates, resets or takes over an account of the three from a browser:
that is done with `liaison user …` on the server, and the auditor reads it in the log. The
whole ledger, every number whole, is the leaders' to take."""

import pytest
from sqlmodel import select
from typer.testing import CliRunner

from liaison.audit.models import AuditLog
from liaison.auth.models import User
from liaison.auth.roles import Role
from liaison.cli import app
from tests.factories import PASSWORD, login, login_as, make_user, post

ADMINISTRATORS = (Role.ADMIN, Role.SECURITY, Role.AUDITOR)
ACCOUNT_ACTIONS = {
    "edit": ("", {"display_name": "夺权", "role": "leader"}),
    "deactivate": ("/active", {"active": "false"}),
    "reset password": ("/reset-password", {}),
    "reset two-factor": ("/second-factor/reset", {}),
    "unlock": ("/unlock", {}),
    "end sessions": ("/end-sessions", {}),
}


def invoke(*args: str) -> object:
    return CliRunner().invoke(app, list(args))


def test_the_system_administrator_no_longer_manages_accounts(client, db):
    officer = make_user(db, Role.OFFICER)
    login_as(client, db, Role.ADMIN)
    assert client.get("/admin/users").status_code == 403
    response = post(client, f"/admin/users/{officer.id}/reset-password")
    assert response.status_code == 403
    assert client.get("/audit").status_code == 403
    # What he does run.
    assert client.get("/admin/stations").status_code == 200
    assert client.get("/admin/service-levels").status_code == 200
    assert client.get("/ledger").status_code == 200


@pytest.mark.parametrize("target", ADMINISTRATORS)
@pytest.mark.parametrize("action", ACCOUNT_ACTIONS)
def test_no_administrator_account_is_changed_from_the_web(client, db, target, action):
    victim = make_user(db, target)
    before = (victim.password_hash, victim.active, victim.role, victim.display_name)
    login_as(client, db, Role.SECURITY)
    page = client.get(f"/admin/users/{victim.id}")
    assert page.status_code == 200 and "liaison user" in page.text
    assert "重置密码" not in page.text  # no button that would only be refused
    suffix, data = ACCOUNT_ACTIONS[action]
    response = post(client, f"/admin/users/{victim.id}{suffix}", data)
    assert response.status_code == 403, response.text
    assert "Ls-" not in response.text  # no temporary password shown
    db.refresh(victim)
    assert (victim.password_hash, victim.active, victim.role, victim.display_name) == before


def test_the_security_administrator_cannot_touch_his_own_account(client, db):
    me = login_as(client, db, Role.SECURITY)
    assert post(client, f"/admin/users/{me.id}/reset-password").status_code == 403
    assert post(client, f"/admin/users/{me.id}/second-factor/reset").status_code == 403


@pytest.mark.parametrize("role", [r.value for r in ADMINISTRATORS])
def test_the_web_creates_no_administrator(client, db, role):
    login_as(client, db, Role.SECURITY)
    form = client.get("/admin/users/new").text
    assert f'value="{role}"' not in form  # not offered
    page = post(
        client,
        "/admin/users",
        {"username": "newadmin", "display_name": "新管理员", "role": role, "password": PASSWORD},
    )
    assert page.status_code == 422 and "命令" in page.text
    assert db.exec(select(User).where(User.username == "newadmin")).first() is None


def test_the_web_promotes_nobody_to_an_administrator(client, db):
    leader = make_user(db, Role.LEADER)
    login_as(client, db, Role.SECURITY)
    page = post(
        client,
        f"/admin/users/{leader.id}",
        {"display_name": leader.display_name, "role": "auditor"},
    )
    assert page.status_code == 422 and 'id="e-role"' in page.text
    db.refresh(leader)
    assert leader.role == "leader"


def test_the_security_administrator_manages_business_accounts(client, db):
    leader = make_user(db, Role.LEADER)
    login_as(client, db, Role.SECURITY)
    page = post(client, f"/admin/users/{leader.id}/reset-password")
    assert page.status_code == 200 and "临时密码" in page.text


def test_the_server_command_does_it_and_the_auditor_reads_it(client, db):
    auditor = make_user(db, Role.AUDITOR)
    result = invoke("user", "reset-password", auditor.username)
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    temporary = result.output.rsplit("：", 1)[-1].strip()  # type: ignore[attr-defined]
    assert login(client, auditor.username, temporary).status_code == 303
    for command in (("reset-second-factor",), ("end-sessions",), ("unlock",)):
        assert invoke("user", *command, auditor.username).exit_code == 0  # type: ignore[attr-defined]
    db.expire_all()
    done = {"update", "second_factor_reset", "end_sessions", "unlock"}
    rows = db.exec(
        select(AuditLog).where(AuditLog.object_id == str(auditor.id), AuditLog.actor_name != "test")
    ).all()
    by_cli = {r.action for r in rows if r.actor_name == "cli"}
    assert done <= by_cli  # the password reset is the update of the account's row
    client.cookies.clear()
    login_as(client, db, Role.AUDITOR)
    log = client.get("/audit", params={"object_type": "User"}).text
    assert "cli" in log


def test_an_administrator_never_takes_a_second_administrator_role(db):
    admin = make_user(db, Role.ADMIN)
    result = invoke("user", "role", admin.username, "auditor")
    assert result.exit_code == 1 and "另建账号" in result.output  # type: ignore[attr-defined]
    leader = make_user(db, Role.LEADER)
    assert invoke("user", "role", leader.username, "security").exit_code == 1  # type: ignore[attr-defined]
    db.expire_all()
    assert db.get(User, admin.id).role == "admin"  # type: ignore[union-attr]


def test_only_leaders_take_the_whole_ledger(client, db):
    login_as(client, db, Role.ADMIN)
    assert "/ledger/export.xlsx" not in client.get("/ledger").text
    assert client.get("/ledger/export.zip").status_code == 403
    assert client.get("/ledger/export.xlsx").status_code == 403
    assert client.get("/ledger/template.xlsx").status_code == 200
    client.cookies.clear()
    leader = login_as(client, db, Role.LEADER)
    assert client.get("/ledger/export.xlsx").status_code == 200
    exported = db.exec(
        select(AuditLog).where(AuditLog.action == "export", AuditLog.actor_id == leader.id)
    ).all()
    assert exported
