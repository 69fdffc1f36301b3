"""The demo district, loaded once per run, for the walks that use the app as its people do.
The walks only read (GET), and the forms sent wrong must write nothing (tests/outside/
test_post_forms.py checks it), so every test shares the one database."""

import os
import shutil
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlmodel import Session

from liaison import demo
from liaison.app import create_app
from liaison.audit.service import set_actor
from liaison.config import get_settings
from liaison.db import get_engine, normalise_url, upgrade
from tests.conftest import ON_POSTGRES, point_app_at, recreate_pg_database, release_engines


@pytest.fixture(scope="session")
def demo_database(migrated_database: str, tmp_path_factory: pytest.TempPathFactory) -> str:
    if ON_POSTGRES:
        url = recreate_pg_database(os.environ.get("LIAISON_TEST_PG_NAME", "liaison_test") + "_demo")
        upgrade(url)
    else:
        target = tmp_path_factory.mktemp("demo") / "demo.db"
        shutil.copyfile(sa.make_url(migrated_database).database or "", target)
        url = f"sqlite:///{target}"
    with pytest.MonkeyPatch.context() as monkeypatch:
        point_app_at(monkeypatch, url)
        engine = sa.create_engine(normalise_url(url))
        with Session(engine) as session:
            set_actor(session, user_id=None, name="demo")
            demo.load(session, get_settings())
            session.commit()
        engine.dispose()
        get_settings.cache_clear()
    return url


@pytest.fixture
def demo_client(demo_database: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    point_app_at(monkeypatch, demo_database)
    with TestClient(create_app(), base_url="http://testserver") as client:
        yield client
    release_engines()


@pytest.fixture
def demo_db(demo_client: TestClient) -> Iterator[Session]:
    """A session on the demo district's database, to count what the app writes in it (on
    SQLite each statement on its own, so that it sees what the app has just committed)."""
    engine = get_engine() if ON_POSTGRES else get_engine().execution_options(sqlite_begin=None)
    with Session(engine) as session:
        set_actor(session, user_id=None, name="test")
        yield session
