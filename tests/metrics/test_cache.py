"""The metrics JSON from memory while its figures have not changed (issue 10), and never a stale
figure: a record written anywhere, by any app instance, shows in the very next read; so does a
deadline passing; a standby that catches up is read afresh; the dashboard shows what the JSON
says."""

import re
import sqlite3
from contextlib import closing
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from liaison.app import create_app
from liaison.auth.roles import Role
from liaison.db import get_engine, get_read_engine, normalise_url
from liaison.desk import service as desk_service
from liaison.metrics import service
from liaison.projects.service import today
from tests.api.test_read import bearer
from tests.conftest import ON_POSTGRES, use_database
from tests.desk.test_public import submit
from tests.factories import (
    login_as,
    make_hazard,
    make_officer,
    make_project,
    make_recovery,
    make_request,
    make_station,
    make_user,
)


@pytest.fixture
def computed(monkeypatch):  # type: ignore[no-untyped-def]
    """Each time the figures are computed from the database (not served from memory)."""
    calls = []
    real = service.compute

    def counting(*args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(args[1:3])
        return real(*args, **kwargs)

    monkeypatch.setattr(service, "compute", counting)
    return calls


@pytest.fixture
def site(db):  # type: ignore[no-untyped-def]
    """A project whose officer starts today, with one hazard and one request; a leader's token;
    a period from a month ago to three months ahead."""
    station = make_station(db)
    officer = make_officer(db, station)
    project = make_project(db, station, officer=officer)
    make_hazard(db, project, officer)
    request = make_request(db, project)
    period = {"from": str(today() - timedelta(days=30)), "to": str(today() + timedelta(days=90))}
    headers = bearer(db, make_user(db, Role.LEADER))
    return {"project": project, "officer": officer, "request": request, "headers": headers,
            "period": period, "station": station}  # fmt: skip


def read(client, site, **params):  # type: ignore[no-untyped-def]
    response = client.get(
        "/api/v1/metrics", params={**site["period"], **params}, headers=site["headers"]
    )
    assert response.status_code == 200
    return response.json()


def test_unchanged_figures_are_served_from_memory(client, db, site, computed):
    first = read(client, site)
    assert read(client, site) == first and len(computed) == 1
    station = read(client, site, station=site["station"].code)  # another question
    assert station["period"]["station"] == site["station"].code and len(computed) == 2
    assert read(client, site) == first and len(computed) == 2


def _log_hazard(db, site):  # type: ignore[no-untyped-def]
    make_hazard(db, site["project"], site["officer"])
    return "hazards", "found"


def _add_recovery(db, site):  # type: ignore[no-untyped-def]
    make_recovery(db, site["project"], site["officer"])
    return "recoveries", "count"


def _close_request(db, site):  # type: ignore[no-untyped-def]
    request = site["request"]
    desk_service.accept(db, request, by_user_id=None)
    desk_service.close(db, request, "已协调解决", by_user_id=None)
    db.commit()
    return "requests", "closed"


@pytest.mark.parametrize("write", [_log_hazard, _add_recovery, _close_request])
def test_a_record_written_shows_in_the_very_next_read(client, db, site, computed, write):
    before = read(client, site)
    read(client, site)
    section, figure = write(db, site)
    after = read(client, site)
    assert after[section][figure] == before[section][figure] + 1
    assert len(computed) == 2


def test_a_change_made_through_another_app_instance_is_seen(client, db, site, computed):
    before = read(client, site)["requests"]["received"]
    with TestClient(create_app(), base_url="http://testserver") as other:
        assert submit(other, f"/r/{site['project'].code}").status_code == 200
        assert read(other, site)["requests"]["received"] == before + 1
    assert read(client, site)["requests"]["received"] == before + 1


def test_a_deadline_passing_changes_the_overdue_figures_on_the_next_read(
    client, db, site, computed, travel
):
    before = read(client, site)
    assert (before["hazards"]["overdue"], before["projects"]["overdue_visits"]) == (0, 0)
    travel.advance(days=31)  # past the general hazard's 30 days, and the visit interval
    after = read(client, site)
    assert (after["hazards"]["overdue"], after["projects"]["overdue_visits"]) == (1, 1)
    assert len(computed) == 2


def _dashboard_figure(client, site, figure: str) -> int:
    page = client.get("/dashboard", params={"period": "custom", **site["period"]}).text
    return int(re.search(rf'figure={re.escape(figure)}">([\d,]+)</a>', page).group(1))


def _officer_hazards(client, site) -> int:  # type: ignore[no-untyped-def]
    """The hazards column of the site's officer in the dashboard's officer table."""
    page = client.get("/dashboard", params={"period": "custom", **site["period"]}).text
    badge = re.escape(site["officer"].badge_no)
    return int(re.search(rf'{badge}</span></td><td class="num">(\d+)</td>', page).group(1))


def test_the_dashboard_and_the_json_agree(client, db, site, computed):
    login_as(client, db, Role.LEADER)
    assert _dashboard_figure(client, site, "hazards.found") == 1
    assert read(client, site)["hazards"]["found"] == 1
    make_hazard(db, site["project"], site["officer"])
    assert read(client, site)["hazards"]["found"] == 2
    assert _dashboard_figure(client, site, "hazards.found") == 2


def test_the_officer_table_is_served_from_memory_and_never_stale(client, db, site, monkeypatch):
    calls = []
    real = service.by_officer
    monkeypatch.setattr(service, "by_officer", lambda *a: calls.append(a) or real(*a))
    login_as(client, db, Role.LEADER)
    assert _officer_hazards(client, site) == 1
    assert _officer_hazards(client, site) == 1 and len(calls) == 1
    make_hazard(db, site["project"], site["officer"])
    assert _officer_hazards(client, site) == 2 and len(calls) == 2


def _standby_copy(url: str, tmp_path: Path) -> str:
    """A second database holding what `url` holds now (replacing any earlier copy)."""
    get_engine().dispose()
    get_read_engine().dispose()
    if not ON_POSTGRES:
        target = tmp_path / "standby.db"
        # The backup API copies what is committed, including what is still in the WAL.
        database = sa.make_url(url).database or ""
        with closing(sqlite3.connect(database)) as source, closing(sqlite3.connect(target)) as copy:
            source.backup(copy)
        return f"sqlite:///{target}"
    source = sa.make_url(normalise_url(url))
    name = f"{source.database}_cache_standby"
    admin = sa.create_engine(source.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(
            sa.text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = :name AND pid <> pg_backend_pid()"
            ),
            {"name": source.database},
        )
        conn.exec_driver_sql(f'CREATE DATABASE "{name}" TEMPLATE "{source.database}"')
    admin.dispose()
    return source.set(database=name).render_as_string(hide_password=False)


def test_the_change_mark_is_read_from_the_standby_the_figures_come_from(
    client, db, site, computed, database_url, monkeypatch, tmp_path
):
    """The primary's history moves on before the standby replays it: only the standby's own
    mark tells when its figures change."""
    db.close()
    standby = _standby_copy(database_url, tmp_path)
    use_database(monkeypatch, database_url, read_database_url=standby)
    assert read(client, site)["hazards"]["found"] == 1
    make_hazard(db, site["project"], site["officer"])  # the primary only, for now
    db.close()
    assert read(client, site)["hazards"]["found"] == 1
    _standby_copy(database_url, tmp_path)  # the standby catches up
    assert read(client, site)["hazards"]["found"] == 2
