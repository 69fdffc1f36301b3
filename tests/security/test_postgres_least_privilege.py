"""Issue 18, finding 6: on PostgreSQL the app connects as a role that may only read and write
rows, so a stolen app password (or an injected statement) cannot lift the database's guards:
no rewriting or emptying the audit log, no disabling its triggers, no DDL. The tables' owner
runs the migrations and the audit purge; `liaison check` says when the app connects as the
owner or a superuser."""

import os
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlmodel import Session, col, func, select
from typer.testing import CliRunner

from liaison.app import create_app
from liaison.audit.models import AuditLog
from liaison.audit.service import set_actor
from liaison.auth.roles import Role
from liaison.cli import app as cli
from liaison.config import get_settings
from liaison.db import get_engine, normalise_url
from liaison.db_roles import create_roles
from liaison.enterprises.models import Enterprise
from tests.conftest import (
    ON_POSTGRES,
    TEST_DATABASE,
    point_app_at,
    recreate_pg_database,
    release_engines,
    use_production,
)
from tests.factories import login, make_user, post

on_postgres = pytest.mark.skipif(
    not ON_POSTGRES,
    reason="database roles and grants are PostgreSQL's; SQLite has no accounts to restrict "
    "(run with LIAISON_TEST_DATABASE=postgresql://…)",
)

# Roles belong to the whole server: named after this run's database, two runs never share them.
DATABASE = os.environ.get("LIAISON_TEST_PG_NAME", "liaison_test") + "_roles"
OWNER, APP = f"{DATABASE}_owner", f"{DATABASE}_app"
REFUSED = r"permission denied|must be owner"


@dataclass(frozen=True)
class Urls:
    admin: str  # the test server's superuser, on the roles' database
    owner: str
    app: str


def _as(url: str, user: str) -> str:
    return sa.make_url(url).set(username=user).render_as_string(hide_password=False)


def _run(*args: str):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(cli, list(args))


@pytest.fixture(scope="module")
def urls() -> Iterator[Urls]:
    """A database of its own whose two roles `liaison init --admin-url` made, then migrated."""
    admin = recreate_pg_database(DATABASE)
    made = Urls(admin, _as(admin, OWNER), _as(admin, APP))
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("LIAISON_DATABASE_URL", made.app)
        patch.setenv("LIAISON_DATABASE_OWNER_URL", made.owner)
        get_settings.cache_clear()
        result = _run("init", "--admin-url", made.admin)
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    assert f"应用账号 {APP} 只能读写数据" in result.output
    yield made
    engine = sa.create_engine(normalise_url(TEST_DATABASE), isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
        connection.exec_driver_sql(f'DROP ROLE IF EXISTS "{APP}", "{OWNER}"')
    engine.dispose()


@pytest.fixture
def as_app(urls: Urls, monkeypatch: pytest.MonkeyPatch) -> Iterator[Urls]:
    """The app's settings on the restricted role, the owner's URL beside it."""
    point_app_at(monkeypatch, urls.app)
    monkeypatch.setenv("LIAISON_DATABASE_OWNER_URL", urls.owner)
    get_settings.cache_clear()
    yield urls
    release_engines()


def _refused(url: str, statement: str) -> None:
    engine = sa.create_engine(normalise_url(url))
    try:
        with pytest.raises(sa.exc.ProgrammingError, match=REFUSED), engine.begin() as connection:
            connection.exec_driver_sql(statement)
    finally:
        engine.dispose()


@on_postgres
@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_log SET action = 'forged'",
        "DELETE FROM audit_log",
        "TRUNCATE audit_log",
        "ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only",
        "ALTER TABLE recovery DISABLE TRIGGER recovery_reversal_fits",
        "DELETE FROM recovery",
        "TRUNCATE project CASCADE",
        "DROP TABLE project CASCADE",
        "CREATE TABLE smuggled (id integer)",
        "UPDATE alembic_version SET version_num = 'x'",
        "SET session_replication_role = replica",
    ],
)
def test_the_app_role_cannot_undo_the_databases_guards(urls, statement):
    _refused(urls.app, statement)


@on_postgres
def test_the_app_works_as_the_restricted_role_and_its_changes_are_audited(as_app):
    with Session(get_engine(), expire_on_commit=False) as db:
        set_actor(db, user_id=None, name="test")
        user = make_user(db, Role.LEADER)
        before = db.exec(select(func.max(AuditLog.id))).one() or 0
    with TestClient(create_app(), base_url="http://testserver") as client:
        assert login(client, user.username).status_code == 303
        created = post(
            client,
            "/enterprises",
            {"uscc": "91350100M000100Y43", "name": "示例企业", "industry": "制造业"},
            follow_redirects=False,
        )
        assert created.status_code == 303, created.text
        assert client.get("/dashboard").status_code == 200
    with Session(get_engine()) as db:
        assert db.exec(select(Enterprise.name)).all() == ["示例企业"]
        audited = db.exec(select(AuditLog.object_type).where(col(AuditLog.id) > before)).all()
    assert "Enterprise" in audited


@on_postgres
def test_the_audit_purge_runs_as_the_owner(as_app, travel):
    with Session(get_engine()) as db:
        set_actor(db, user_id=None, name="test")
        make_user(db, Role.OFFICER)
    travel.advance(days=200)
    result = _run("audit", "purge", "--days", "190")
    assert result.exit_code == 0, result.output
    assert "已删除" in result.output and " 0 条" not in result.output
    with Session(get_engine()) as db:
        assert db.exec(select(func.count()).select_from(AuditLog)).one() == 1  # the purge's


@on_postgres
def test_a_restore_runs_as_the_owner_and_the_app_works_on_what_it_loaded(
    as_app, tmp_path, monkeypatch
):
    with Session(get_engine()) as db:
        set_actor(db, user_id=None, name="test")
        username = make_user(db, Role.OFFICER).username
    saved = tmp_path / "backup.zip"
    assert _run("backup", str(saved)).exit_code == 0  # reading is the app's right
    target = f"{DATABASE}_restored"
    admin = recreate_pg_database(target)
    try:
        monkeypatch.setenv("LIAISON_DATABASE_URL", _as(admin, APP))
        monkeypatch.setenv("LIAISON_DATABASE_OWNER_URL", _as(admin, OWNER))
        release_engines()
        create_roles(get_settings(), admin)
        restored = _run("restore", str(saved))
        assert restored.exit_code == 0, restored.output
        with TestClient(create_app(), base_url="http://testserver") as client:
            assert login(client, username).status_code == 303
        _refused(_as(admin, APP), "TRUNCATE audit_log")
    finally:
        release_engines()
        engine = sa.create_engine(normalise_url(TEST_DATABASE), isolation_level="AUTOCOMMIT")
        with engine.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{target}" WITH (FORCE)')
        engine.dispose()


@on_postgres
def test_a_table_the_owner_adds_later_is_the_apps_too(urls):
    owner = sa.create_engine(normalise_url(urls.owner))
    with owner.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE added_later (id serial PRIMARY KEY, note text)")
    owner.dispose()
    app = sa.create_engine(normalise_url(urls.app))
    try:
        with app.begin() as connection:
            connection.exec_driver_sql("INSERT INTO added_later (note) VALUES ('x')")
    finally:
        app.dispose()
    _refused(urls.app, "TRUNCATE added_later")


def _check(monkeypatch: pytest.MonkeyPatch, app_url: str, owner_url: str = ""):  # type: ignore[no-untyped-def]
    use_production(monkeypatch, database_url=app_url, database_owner_url=owner_url)
    return _run("check")


@on_postgres
def test_check_reports_an_app_connecting_as_a_superuser_or_the_owner(urls, monkeypatch):
    as_superuser = _check(monkeypatch, urls.admin)
    assert as_superuser.exit_code == 1
    assert "超级用户" in as_superuser.output and "liaison init --roles-sql" in as_superuser.output
    as_owner = _check(monkeypatch, urls.owner)
    assert as_owner.exit_code == 1 and "表的所有者" in as_owner.output
    restricted = _check(monkeypatch, urls.app, urls.owner)
    assert restricted.exit_code == 0, restricted.output
    assert "LIAISON_DATABASE_URL" not in restricted.output


def test_the_roles_sql_names_both_roles_and_holds_no_password(monkeypatch):
    monkeypatch.setenv("LIAISON_DATABASE_URL", "postgresql://liaison_app:app-s3cret@db/liaison")
    monkeypatch.setenv(
        "LIAISON_DATABASE_OWNER_URL", "postgresql://liaison_owner:owner-s3cret@db/liaison"
    )
    get_settings.cache_clear()
    result = _run("init", "--roles-sql")
    get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    assert "CREATE ROLE liaison_owner LOGIN" in result.output
    assert "CREATE ROLE liaison_app LOGIN" in result.output
    assert "ALTER DATABASE liaison OWNER TO liaison_owner" in result.output
    assert "\\password liaison_app" in result.output
    assert "s3cret" not in result.output
