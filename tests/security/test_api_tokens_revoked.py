"""Issue 18, finding 11: API tokens outlived account recovery, never expired, and nothing listed
or revoked them. Each step an administrator takes to recover an account (password reset,
two-factor reset, ending its sessions, deactivation) revokes its tokens; tokens expire, note
their last use, and are listed and revoked on the owner's page and by the command."""

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from liaison.auth import service as auth_service
from liaison.auth.roles import Role
from liaison.cli import app
from tests.factories import login, login_as, make_user, post

RECOVERY = {
    "password reset": ("/admin/users/{id}/reset-password", {}),
    "two-factor reset": ("/admin/users/{id}/second-factor/reset", {}),
    "end sessions": ("/admin/users/{id}/end-sessions", {}),
    "deactivation": ("/admin/users/{id}/active", {"active": "false"}),
}


@pytest.mark.parametrize("step", RECOVERY, ids=list(RECOVERY))
def test_each_account_recovery_step_revokes_the_api_tokens(client, db, step):
    user = make_user(db, Role.OFFICER)
    token = auth_service.create_api_token(db, user, "报表脚本")
    db.commit()
    bearer = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/me", headers=bearer).status_code == 200
    login_as(client, db, Role.SECURITY)
    path, data = RECOVERY[step]
    done = post(client, path.format(id=user.id), data, follow_redirects=False)
    assert done.status_code in (200, 303), done.text[:300]
    assert client.get("/api/v1/me", headers=bearer).status_code == 401


def test_a_token_expires_and_notes_its_last_use(client, db, travel):
    """Finding 11: tokens have an expiry (LIAISON_API_TOKEN_DAYS, 90) and a last-used time."""
    user = make_user(db, Role.OFFICER)
    bearer = {"Authorization": f"Bearer {auth_service.create_api_token(db, user, '报表')}"}
    db.commit()
    assert client.get("/api/v1/me", headers=bearer).status_code == 200
    [token] = [t for t, _ in auth_service.api_tokens(db, user)]
    db.refresh(token)
    assert token.last_used_at is not None and token.expires_at is not None
    travel.advance(days=91)
    assert client.get("/api/v1/me", headers=bearer).status_code == 401


def test_the_owner_lists_and_revokes_a_token_on_the_page_and_nobody_else_can(client, db):
    user = make_user(db, Role.OFFICER)
    bearer = {"Authorization": f"Bearer {auth_service.create_api_token(db, user, '报表脚本')}"}
    db.commit()
    [(token, _)] = auth_service.api_tokens(db, user)
    other = TestClient(client.app)
    login_as(other, db, Role.LEADER)
    assert post(other, f"/account/tokens/{token.id}/revoke").status_code == 404
    assert client.get("/api/v1/me", headers=bearer).status_code == 200
    login(client, user.username)
    page = client.get("/account/tokens")
    assert page.status_code == 200 and "报表脚本" in page.text and "有效" in page.text
    form = f'action="/account/tokens/{token.id}/revoke"'
    assert form in page.text and "data-confirm" in page.text
    revoked = post(client, f"/account/tokens/{token.id}/revoke", follow_redirects=True)
    assert "已吊销" in revoked.text
    assert client.get("/api/v1/me", headers=bearer).status_code == 401


def test_the_command_lists_and_revokes_tokens(db):
    user = make_user(db, Role.OFFICER)
    auth_service.create_api_token(db, user, "夜间同步")
    db.commit()
    [(token, _)] = auth_service.api_tokens(db, user)
    listed = CliRunner().invoke(app, ["token", "list", user.username])
    assert listed.exit_code == 0 and "夜间同步" in listed.output and "有效" in listed.output
    assert "lsn_" not in listed.output  # the token itself is never shown again
    revoked = CliRunner().invoke(app, ["token", "revoke", str(token.id)])
    assert revoked.exit_code == 0
    assert "已吊销" in CliRunner().invoke(app, ["token", "list", user.username]).output
