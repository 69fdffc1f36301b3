"""Issue 18, finding 11 (in part): an API token outlived account recovery. Each step an
administrator takes to recover an account (password reset, two-factor reset, ending its
sessions, deactivation) revokes the account's tokens with its sessions."""

import pytest

from liaison.auth import service as auth_service
from liaison.auth.roles import Role
from tests.factories import login_as, make_user, post

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
    login_as(client, db, Role.ADMIN)
    path, data = RECOVERY[step]
    done = post(client, path.format(id=user.id), data, follow_redirects=False)
    assert done.status_code in (200, 303), done.text[:300]
    assert client.get("/api/v1/me", headers=bearer).status_code == 401
