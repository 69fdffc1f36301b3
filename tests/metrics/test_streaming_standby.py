"""LIAISON_READ_DATABASE_URL on a real streaming standby (`make standby`: pg_basebackup of the
local server into a second cluster on port LIAISON_TEST_STANDBY_PORT, 5433), not a copy as in
test_read_replica.py: the metrics show a hazard once the standby has replayed it, and while
replay is paused they keep the standby's figure though the primary's own pages show the new
hazard; resumed, the next read has it, so the cache never serves a figure a standby's lag left
behind. PostgreSQL only; there, a missing standby fails the run, it never skips."""

import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest
import sqlalchemy as sa

from liaison.auth.roles import Role
from liaison.db import normalise_url
from tests.api.test_read import bearer
from tests.conftest import ON_POSTGRES, use_database
from tests.factories import (
    login_as,
    make_hazard,
    make_officer,
    make_project,
    make_station,
    make_user,
)

pytestmark = pytest.mark.skipif(not ON_POSTGRES, reason="a PostgreSQL streaming standby")

STANDBY_PORT = int(os.environ.get("LIAISON_TEST_STANDBY_PORT", "5433"))
QUERY = {"from": "2000-01-01", "to": "2099-12-31"}
REPLAY_TIMEOUT = 30  # seconds


@pytest.fixture
def standby(database_url: str) -> Iterator[sa.Engine]:
    """The test database as the standby replays it."""
    url = sa.make_url(normalise_url(database_url)).set(port=STANDBY_PORT)
    engine = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            in_recovery = conn.exec_driver_sql("SELECT pg_is_in_recovery()").scalar()
    except sa.exc.OperationalError:
        in_recovery = None
    if not in_recovery:
        found = "no server" if in_recovery is None else "a server not in recovery"
        pytest.fail(f"no standby on port {STANDBY_PORT} ({found} there): run `make standby`")
    yield engine
    engine.dispose()


def wait_until(check: Callable[[], object], what: str) -> None:
    deadline = time.monotonic() + REPLAY_TIMEOUT
    while not check():
        assert time.monotonic() < deadline, f"the standby did not {what} in {REPLAY_TIMEOUT}s"
        time.sleep(0.01)


def replayed(standby: sa.Engine, primary: sa.Engine) -> None:
    """Wait until the standby has replayed everything committed on the primary so far."""
    with primary.connect() as conn:
        lsn = conn.exec_driver_sql("SELECT pg_current_wal_lsn()").scalar()
    check = sa.text("SELECT pg_last_wal_replay_lsn() >= CAST(:lsn AS pg_lsn)")
    with standby.connect() as conn:
        wait_until(lambda: conn.execute(check, {"lsn": lsn}).scalar(), f"replay {lsn}")


@contextmanager
def replay_paused(standby: sa.Engine, primary: sa.Engine) -> Iterator[None]:
    """The standby replays nothing inside: what the primary commits meanwhile is not on it.
    The pause holds for the whole standby, so two test runs at once take turns (a lock on the
    primary's `postgres` database, which every run shares)."""
    server = sa.create_engine(primary.url.set(database="postgres"), poolclass=sa.NullPool)
    with server.connect() as lock, standby.connect() as conn:
        lock.exec_driver_sql("SELECT pg_advisory_lock(hashtext('liaison standby replay'))")
        conn.exec_driver_sql("SELECT pg_wal_replay_pause()")
        try:
            state = "SELECT pg_get_wal_replay_pause_state()"
            wait_until(lambda: conn.exec_driver_sql(state).scalar() == "paused", "pause")
            yield
        finally:
            conn.exec_driver_sql("SELECT pg_wal_replay_resume()")


def test_metrics_read_the_streaming_standby(client, db, database_url, standby, monkeypatch):
    station = make_station(db)
    officer = make_officer(db, station)
    project = make_project(db, station, officer=officer)
    make_hazard(db, project, officer)
    headers = bearer(db, make_user(db, Role.LEADER))
    login_as(client, db, Role.LEADER)
    primary = db.get_bind().engine
    standby_url = standby.url.render_as_string(hide_password=False)
    use_database(monkeypatch, database_url, read_database_url=standby_url)

    def found() -> int:
        response = client.get("/api/v1/metrics", params=QUERY, headers=headers)
        return int(response.json()["hazards"]["found"])

    replayed(standby, primary)
    assert found() == 1  # (a) written on the primary, read once the standby has replayed it
    # (b) What the metrics read is the standby: it refuses writes, and while its replay is
    # paused they miss a hazard that the primary's pages show.
    with standby.connect() as conn, pytest.raises(sa.exc.InternalError, match="read-only"):
        conn.exec_driver_sql("CREATE TABLE written_on_the_standby (id int)")
    with replay_paused(standby, primary):
        make_hazard(db, project, officer)
        assert client.get("/hazards").text.count('href="/hazards/') >= 2  # lists: the primary
        assert found() == 1  # the metrics: the standby, which has not replayed it
    replayed(standby, primary)
    # The figure cached while paused was keyed by the standby's own change mark: not reused.
    assert found() == 2
