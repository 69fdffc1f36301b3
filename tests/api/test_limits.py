"""The API's abuse limits (SECURITY.md R1), kept in the database: per token owner, and per
address for bad tokens. Two app instances share the counts as two processes would."""

from fastapi.testclient import TestClient

from liaison.app import create_app
from liaison.auth.roles import Role
from tests.api.test_read import bearer
from tests.conftest import use_database
from tests.factories import make_user


def test_a_token_owner_past_the_limit_waits(client, db, database_url, monkeypatch, travel):
    use_database(monkeypatch, database_url, api_requests_per_minute="3")
    headers = bearer(db, make_user(db, Role.LEADER))
    assert [client.get("/api/v1/me", headers=headers).status_code for _ in range(3)] == [200] * 3
    refused = client.get("/api/v1/me", headers=headers)
    assert refused.status_code == 429
    assert 1 <= int(refused.headers["retry-after"]) <= 60
    assert "频繁" in refused.json()["detail"]
    # Another owner is not held up by the first.
    assert (
        client.get("/api/v1/me", headers=bearer(db, make_user(db, Role.LEADER))).status_code == 200
    )
    travel.advance(seconds=61)
    assert client.get("/api/v1/me", headers=headers).status_code == 200


def test_the_count_is_shared_by_every_app_process(client, db, database_url, monkeypatch):
    use_database(monkeypatch, database_url, api_requests_per_minute="2")
    headers = bearer(db, make_user(db, Role.LEADER))
    with TestClient(create_app()) as second:
        assert client.get("/api/v1/me", headers=headers).status_code == 200
        assert second.get("/api/v1/me", headers=headers).status_code == 200
        assert client.get("/api/v1/me", headers=headers).status_code == 429
        assert second.get("/api/v1/me", headers=headers).status_code == 429


def test_guessing_tokens_from_one_address_is_stopped(client, db, database_url, monkeypatch):
    use_database(monkeypatch, database_url, api_failures_per_10_minutes="5")
    guesses = [
        client.get("/api/v1/me", headers={"Authorization": f"Bearer lsn_guess{n}"}).status_code
        for n in range(6)
    ]
    assert guesses == [401] * 5 + [429]
    # Another address is not held up; nor is a real token (256 bits cannot be guessed: the
    # limit keeps the guessing from costing the server, not from finding a token).
    elsewhere = TestClient(client.app, client=("192.0.2.77", 40000))
    assert elsewhere.get("/api/v1/me", headers={"Authorization": "Bearer x"}).status_code == 401
    headers = bearer(db, make_user(db, Role.LEADER))
    assert client.get("/api/v1/me", headers=headers).status_code == 200
