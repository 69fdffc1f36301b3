"""`make bench-scale`: the demo district a hundred times over with seventeen years of cases
(26,400 projects, about a million cases; `liaison demo --scale 100 --years 17`), on SQLite and
on PostgreSQL: the metrics for a year, cold (the first call of a
fresh process) and warm, the pages a leader opens, in server time, and the reminder scan (the
first, which makes the backlog of reminders, and the next, which finds nothing new). A
benchmark, not a test.

LIAISON_BENCH_DATABASE names a PostgreSQL server (its database `LIAISON_BENCH_PG_NAME`, default
liaison_bench_scale, is recreated); BENCH_REUSE=URL measures an already loaded database instead."""

import os
import re
import statistics
import subprocess
import sys
import tempfile
from datetime import date

from tests import bench_report

SCALE = int(os.environ.get("BENCH_SCALE", "100"))
TARGETS = {
    "metrics JSON, cached": "< 100",
    "station dashboard, a year": "< 100",
    "project list": "< 100",
    "project list, next page": "< 100",
    "project list, by investment": "< 100",
    "project list, one station": "< 100",
    "project page": "< 100",
    "reminder scan": "< 5 s",
}
YEARS = int(os.environ.get("BENCH_YEARS", "17"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "20"))
YEAR = "from=2023-01-01&to=2023-12-31"


def count_cases(url: str) -> str:
    """The rows the issue counts: hazards, disputes, ledger entries and requests."""
    import sqlalchemy as sa

    engine = sa.create_engine(url)
    tables = ["project", "visit", "hazard", "dispute", "recovery", "service_request"]
    with engine.connect() as connection:
        count = sa.select(sa.func.count())
        counts = {
            t: connection.execute(count.select_from(sa.table(t))).scalar_one() for t in tables
        }
    engine.dispose()
    cases = sum(counts[t] for t in tables[2:])
    return ", ".join(f"{t} {n:,}" for t, n in counts.items()) + f": {cases:,} cases together"


COLD = """
import time
from datetime import date
from sqlmodel import Session
from liaison.db import get_engine
from liaison.metrics import service
with Session(get_engine()) as session:
    started = time.perf_counter()
    service.compute(session, date(2023, 1, 1), date(2023, 12, 31))
    print(time.perf_counter() - started)
"""


def cold_metrics(url: str) -> float:
    """The year's metrics, first call of a fresh process: no warm connection, no cached plan."""
    env = {**os.environ, "LIAISON_DATABASE_URL": url}
    out = subprocess.run(
        [sys.executable, "-c", COLD], env=env, check=True, capture_output=True, text=True
    )
    return float(out.stdout.strip())


def time_reminder_scans() -> list[tuple[str, float, int]]:
    """Two scans in a row over the loaded database: (name, seconds, reminders made). The second
    must make nothing, and no reminder may exist twice."""
    import time

    import sqlalchemy as sa
    from sqlmodel import Session

    from liaison import reminders
    from liaison.config import get_settings
    from liaison.db import get_engine
    from liaison.notify.models import Reminder

    timings = []
    for name in ("reminder scan, the first", "reminder scan, the next"):
        started = time.perf_counter()
        made = reminders.scan(get_settings())
        timings.append((name, time.perf_counter() - started, made))
    assert timings[-1][2] == 0, "the second scan made reminders again"
    keys = (Reminder.kind, Reminder.record, Reminder.threshold)
    with Session(get_engine()) as session:
        total = session.execute(sa.select(sa.func.count()).select_from(Reminder)).scalar_one()
        distinct = session.execute(
            sa.select(sa.func.count()).select_from(sa.select(*keys).distinct().subquery())
        ).scalar_one()
    assert total == distinct, "a reminder was made twice"
    return timings


def main() -> int:
    about = bench_report.machine()
    url = os.environ.get("BENCH_REUSE") or os.environ.get("LIAISON_BENCH_DATABASE")
    if os.environ.get("BENCH_REUSE"):
        loaded = "an already loaded database"
    else:
        if url is None:
            url = f"sqlite:///{tempfile.mkdtemp()}/scale.db"
        else:
            from tests.conftest import recreate_pg_database

            name = os.environ.get("LIAISON_BENCH_PG_NAME", "liaison_bench_scale")
            url = recreate_pg_database(name, url)
        took = bench_report.load_demo(url, "--scale", str(SCALE), "--years", str(YEARS))
        loaded = f"`liaison demo --scale {SCALE} --years {YEARS}`, loaded in {took:.0f} s"
    engine = "PostgreSQL" if url.startswith("postgres") else "SQLite"
    print(f"{engine}: {loaded}")
    cases = count_cases(url)
    print(cases)
    colds = sorted(cold_metrics(url) for _ in range(3))
    cold = f"{colds[1]:.2f} s median of 3 processes, {colds[2]:.2f} s the slowest"
    print(f"metrics for a year, cold (first call of a fresh process): {cold}")

    os.environ["LIAISON_DATABASE_URL"] = url
    from fastapi.testclient import TestClient
    from sqlmodel import Session, select

    from liaison.app import create_app
    from liaison.auth import service as auth_service
    from liaison.config import get_settings
    from liaison.db import get_engine
    from liaison.demo import DEMO_PASSWORD
    from liaison.metrics import cache as metrics_cache
    from liaison.org.models import Station
    from liaison.projects.models import Project

    get_settings.cache_clear()
    get_engine.cache_clear()
    with Session(get_engine()) as session:
        leader = auth_service.get_by_username(session, "demo-leader")
        token = auth_service.create_api_token(session, leader)
        session.commit()
        project_ids = list(session.exec(select(Project.id)).all())
        station, station_id = session.exec(select(Station.code, Station.id)).first() or ("", 0)
    pages = {
        "metrics JSON, a year": lambda n: f"/api/v1/metrics?{YEAR}",
        "metrics JSON, cached": lambda n: f"/api/v1/metrics?{YEAR}",  # figures unchanged
        "dashboard, a year": lambda n: f"/dashboard?period=custom&{YEAR}",
        "dashboard, cached": lambda n: f"/dashboard?period=custom&{YEAR}",
        "station dashboard, a year": lambda n: f"/dashboard?period=custom&{YEAR}&station={station}",
        "project list": lambda n: "/projects",
        "project list, next page": lambda n: next_page,
        "project list, by investment": lambda n: "/projects?sort=-investment",
        "project list, one station": lambda n: f"/projects?station={station_id}&sort=name",
        "projects JSON, 50": lambda n: "/api/v1/projects",
        "project page": lambda n: f"/projects/{project_ids[n * 977 % len(project_ids)]}",
    }
    with TestClient(create_app()) as client:
        client.get("/login")
        client.post(
            "/login",
            data={
                "username": "demo-leader",
                "password": DEMO_PASSWORD,
                "csrf_token": client.cookies["liaison_csrf"],
            },
        )
        first = client.get("/projects").text
        next_page = "/projects" + re.findall(r'href="(\?[^"]*)">下一页', first)[0].replace(
            "&amp;", "&"
        )
        print(f"{'page':<28}{'median ms':>10}{'p95 ms':>10}")
        rows = [f"| metrics for a year, cold | < 1 s | {cold} | |"]
        for name, url_for in pages.items():
            timings = []
            for n in range(ROUNDS):
                if not name.endswith("cached"):
                    metrics_cache.clear()  # every other figure is measured computed afresh
                response = client.get(url_for(n), headers={"Authorization": f"Bearer {token}"})
                assert response.status_code == 200, (name, response.status_code)
                timings.append(float(response.headers["server-timing"].split("dur=")[1]))
            p95 = statistics.quantiles(timings, n=20)[-1]
            median = statistics.median(timings)
            print(f"{name:<28}{median:>10.1f}{p95:>10.1f}")
            rows.append(f"| {name} | {TARGETS.get(name, '')} | {median:.1f} | {p95:.1f} |")
    for name, seconds, made in time_reminder_scans():
        print(f"{name}: {seconds:.2f} s, {made:,} reminders made")
        target = TARGETS["reminder scan"]
        rows.append(f"| {name} ({made:,} made) | {target} | {seconds:.2f} s | |")
    about["load average after"] = bench_report.load_average()
    machine_lines = "\n".join(f"- {k}: {v}" for k, v in about.items())
    bench_report.write_section(
        f"## `make bench-scale` on {engine}",
        f"""## `make bench-scale` on {engine}

Written by `tests/bench_scale.py`, run {date.today()}: {loaded}; {cases}. Server time
(`Server-Timing`) of {ROUNDS} requests per page by the demo leader, in ms; the metrics cache
is cleared before each one except on the "cached" lines. Targets from issue 10.

{machine_lines}

| page | target (median) | median | p95 |
|---|---|---:|---:|
{chr(10).join(rows)}
""",
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
