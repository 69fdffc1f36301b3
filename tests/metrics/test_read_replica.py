"""LIAISON_READ_DATABASE_URL: the metrics and the dashboard read the standby, everything else
the primary. The standby here is a copy of the primary taken at one moment; a hazard logged
after it is in the primary only, which shows which database each page read."""

import shutil
from pathlib import Path

import sqlalchemy as sa

from liaison.auth.roles import Role
from liaison.db import get_engine, normalise_url
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


def _copy_of(url: str, tmp_path: Path) -> str:
    """A second database holding what `url` holds now."""
    get_engine().dispose()
    if not ON_POSTGRES:
        target = tmp_path / "standby.db"
        shutil.copyfile(sa.make_url(url).database or "", target)
        return f"sqlite:///{target}"
    source = sa.make_url(normalise_url(url))
    admin = sa.create_engine(source.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql('DROP DATABASE IF EXISTS "liaison_standby" WITH (FORCE)')
        conn.execute(
            sa.text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = :name AND pid <> pg_backend_pid()"
            ),
            {"name": source.database},
        )
        conn.exec_driver_sql(f'CREATE DATABASE "liaison_standby" TEMPLATE "{source.database}"')
    admin.dispose()
    return source.set(database="liaison_standby").render_as_string(hide_password=False)


def test_metrics_and_dashboard_read_the_standby(client, db, database_url, monkeypatch, tmp_path):
    station = make_station(db)
    officer = make_officer(db, station)
    project = make_project(db, station, officer=officer)
    make_hazard(db, project, officer)
    leader = make_user(db, Role.LEADER)
    headers = bearer(db, leader)
    db.close()
    standby = _copy_of(database_url, tmp_path)
    make_hazard(db, project, officer)  # in the primary only
    use_database(monkeypatch, database_url, read_database_url=standby)

    query = {"from": "2000-01-01", "to": "2099-12-31"}
    found = client.get("/api/v1/metrics", params=query, headers=headers).json()["hazards"]["found"]
    assert found == 1  # the standby's count
    login_as(client, db, Role.LEADER)
    # The login itself went to the primary (the standby has no such user or session).
    page = client.get("/dashboard/records", params={**query, "figure": "hazards.found"})
    assert page.status_code == 200
    assert page.text.count('href="/hazards/') == 1
    assert len(client.get("/hazards").text.split('href="/hazards/')) - 1 >= 2  # lists: primary

    monkeypatch.delenv("LIAISON_READ_DATABASE_URL")  # no standby: the primary's count
    use_database(monkeypatch, database_url)
    found = client.get("/api/v1/metrics", params=query, headers=headers).json()["hazards"]["found"]
    assert found == 2
