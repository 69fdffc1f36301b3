"""Test set-up: one fresh database per test (a copied SQLite file, or an emptied PostgreSQL
database), the app behind Starlette's TestClient, and a movable clock.

LIAISON_TEST_DATABASE picks the engine: "sqlite" (default) or a PostgreSQL URL, on whose server
the suite makes its own database, LIAISON_TEST_PG_NAME (default liaison_test), so that two runs
at once need not share one."""

import os
import secrets
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

# The job engine's queue, made as liaison.jobs is imported: in memory, where no consumer runs
# unless a test asks the app to run one (LIAISON_WORKER_IN_SERVE, the browser tests' server)
# or starts workers (tests/notify: Redis and the SQLite file).
os.environ.setdefault("LIAISON_JOBS_URL", "memory://")
os.environ.setdefault("LIAISON_WORKER_IN_SERVE", "false")
from fastapi.testclient import TestClient
from sqlmodel import Session, SQLModel

from liaison import clock
from liaison.app import create_app
from liaison.audit.service import set_actor
from liaison.config import get_settings
from liaison.db import get_engine, get_read_engine, normalise_url, upgrade
from liaison.wiring import wire

TEST_DATABASE = os.environ.get("LIAISON_TEST_DATABASE", "sqlite")
ON_POSTGRES = TEST_DATABASE.startswith("postgres")


def recreate_pg_database(name: str, server_url: str = TEST_DATABASE) -> str:
    """An empty database `name` on the PostgreSQL server of `server_url`, and its URL."""
    admin = sa.create_engine(normalise_url(server_url), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    admin.dispose()
    return admin.url.set(database=name).render_as_string(hide_password=False)


@pytest.fixture(scope="session", autouse=True)
def _wired() -> None:
    """Tests that call the services directly get the registries the app and the command fill."""
    wire()


@pytest.fixture(scope="session", autouse=True)
def _audit_checkpoints_apart(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """No audit checkpoint lands in the working directory, or is written behind a test's back
    as the app starts (a test's own database gets its own directory: `database_url`)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("LIAISON_AUDIT_CHECKPOINT_DIR", str(tmp_path_factory.mktemp("checkpoints")))
        patch.setenv("LIAISON_AUDIT_CHECKPOINT_HOURS", "0")
        yield


@pytest.fixture(scope="session")
def migrated_database(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A database at the latest revision, made once per run through the real migrations."""
    if ON_POSTGRES:
        url = recreate_pg_database(os.environ.get("LIAISON_TEST_PG_NAME", "liaison_test"))
    else:
        url = f"sqlite:///{tmp_path_factory.mktemp('template') / 'template.db'}"
    upgrade(url)
    return url


def _empty_pg_tables(url: str) -> None:
    engine = sa.create_engine(normalise_url(url))
    tables = ", ".join(f'"{t.name}"' for t in SQLModel.metadata.sorted_tables)
    with engine.begin() as conn:
        # Replica mode skips triggers, including the audit log's append-only guard.
        conn.exec_driver_sql("SET session_replication_role = replica")
        conn.exec_driver_sql(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")
    engine.dispose()


def use_database(monkeypatch: pytest.MonkeyPatch, url: str, **settings: str) -> None:
    monkeypatch.setenv("LIAISON_DATABASE_URL", url)
    for key, value in settings.items():
        monkeypatch.setenv(f"LIAISON_{key.upper()}", value)
    get_settings.cache_clear()
    get_engine.cache_clear()
    get_read_engine.cache_clear()


def point_app_at(monkeypatch: pytest.MonkeyPatch, url: str) -> None:
    """Development settings on the database at `url`, as each test starts."""
    monkeypatch.delenv("LIAISON_ENV", raising=False)
    monkeypatch.setenv("LIAISON_SECRET_KEY", "test-secret-key-that-is-long-enough-0123456789")
    use_database(monkeypatch, url)


def use_production(monkeypatch: pytest.MonkeyPatch, **settings: str) -> None:
    """Production settings that `liaison check` finds no error in, on the test database
    (SQLite allowed when the suite runs on it)."""
    monkeypatch.setenv("LIAISON_ENV", "production")
    monkeypatch.setenv("LIAISON_SECRET_KEY", secrets.token_urlsafe(48))
    monkeypatch.setenv("LIAISON_AUDIT_KEY", secrets.token_urlsafe(48))
    monkeypatch.setenv("LIAISON_ALLOW_SQLITE_IN_PRODUCTION", "true")
    monkeypatch.setenv("LIAISON_PUBLIC_URL", "https://liaison.example.gov.cn")
    for key, value in settings.items():
        monkeypatch.setenv(f"LIAISON_{key.upper()}", value)
    get_settings.cache_clear()


@pytest.fixture
def database_url(
    migrated_database: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[str]:
    if ON_POSTGRES:
        _empty_pg_tables(migrated_database)
        url = migrated_database
    else:
        source = Path(sa.make_url(migrated_database).database or "")
        target = tmp_path / "liaison.db"
        shutil.copyfile(source, target)
        url = f"sqlite:///{target}"
    monkeypatch.setenv("LIAISON_AUDIT_CHECKPOINT_DIR", str(tmp_path / "audit-checkpoints"))
    point_app_at(monkeypatch, url)
    yield url
    release_engines()


def release_engines() -> None:
    """Close the test's connections, so the next test's database is the only one open."""
    get_engine().dispose()
    get_read_engine().dispose()
    get_engine.cache_clear()
    get_read_engine.cache_clear()
    get_settings.cache_clear()


@pytest.fixture
def db(database_url: str) -> Iterator[Session]:
    """A session for arranging and checking data, acting as the test itself."""
    # The test's reads must see what the app has just committed: PostgreSQL's READ COMMITTED
    # does; on SQLite a read transaction would keep its snapshot (and a write one would block
    # the app), so there each statement runs on its own.
    engine = get_engine() if ON_POSTGRES else get_engine().execution_options(sqlite_begin=None)
    with Session(engine, expire_on_commit=False) as session:
        set_actor(session, user_id=None, name="test")
        yield session


@pytest.fixture
def client(database_url: str) -> Iterator[TestClient]:
    with TestClient(create_app(), base_url="http://testserver") as test_client:
        yield test_client


class Clock:
    """Moves liaison.clock.now() forward."""

    def advance(self, **delta: float) -> None:
        clock.offset += timedelta(**delta)

    def to(self, moment: datetime) -> None:
        """Set now() to `moment` (give or take the test's own running time)."""
        clock.offset = moment - datetime.now(UTC)


@pytest.fixture
def travel(monkeypatch: pytest.MonkeyPatch) -> Clock:
    monkeypatch.setattr(clock, "offset", timedelta(0))
    return Clock()
