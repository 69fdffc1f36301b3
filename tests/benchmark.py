"""`make bench`: server time of the main pages with the demo district loaded.

Builds a fresh database (SQLite by default, or LIAISON_BENCH_DATABASE=postgresql://...),
loads the demo, logs in, requests each page many times and reports the median and p95 of the
app's own Server-Timing header, so the test client's overhead is not counted."""

import os
import statistics
import sys
import tempfile
import time

from fastapi.testclient import TestClient
from sqlmodel import Session, select

ROUNDS = int(os.environ.get("BENCH_ROUNDS", "200"))
TARGET_MS = 50.0


def main() -> int:
    url = os.environ.get("LIAISON_BENCH_DATABASE")
    tmp = tempfile.mkdtemp()
    if url is None:
        url = f"sqlite:///{tmp}/bench.db"
    else:
        from tests.conftest import recreate_pg_database

        url = recreate_pg_database("liaison_bench", url)
    os.environ["LIAISON_DATABASE_URL"] = url
    from liaison import demo
    from liaison.app import create_app
    from liaison.config import get_settings
    from liaison.db import get_engine, upgrade
    from liaison.desk.models import ServiceRequest
    from liaison.projects.models import Project

    get_settings.cache_clear()
    get_engine.cache_clear()
    upgrade(url)
    started = time.perf_counter()
    with Session(get_engine()) as session:
        demo.load(session, get_settings())
        session.commit()
        project_ids = list(session.exec(select(Project.id)).all())
        request_ids = list(session.exec(select(ServiceRequest.id)).all())
    print(f"demo loaded in {time.perf_counter() - started:.1f} s on {url.split(':')[0]}")

    pages = {
        "project list": lambda n: "/projects",
        "project list, filtered": lambda n: "/projects?overdue=true&sort=name",
        "project page": lambda n: f"/projects/{project_ids[n % len(project_ids)]}",
        "home (leader)": lambda n: "/home",
        "coverage": lambda n: "/coverage",
        "workload": lambda n: "/officers",
        "enterprise list": lambda n: "/enterprises",
        "hazard list": lambda n: "/hazards?sort=-found_on",
        "dispute list": lambda n: "/disputes",
        "recovery totals": lambda n: "/recoveries?by=month",
        "request desk": lambda n: "/requests?box=all",
        "request page": lambda n: f"/requests/{request_ids[n % len(request_ids)]}",
    }
    failed = False
    with TestClient(create_app()) as client:
        client.get("/login")
        client.post(
            "/login",
            data={
                "username": "demo-leader",
                "password": demo.DEMO_PASSWORD,
                "csrf_token": client.cookies["liaison_csrf"],
            },
        )
        print(f"{'page':<26}{'median ms':>10}{'p95 ms':>10}")
        for name, url_for in pages.items():
            timings = []
            for n in range(ROUNDS):
                response = client.get(url_for(n))
                assert response.status_code == 200, (name, response.status_code)
                timings.append(float(response.headers["server-timing"].split("dur=")[1]))
            median = statistics.median(timings)
            p95 = statistics.quantiles(timings, n=20)[-1]
            flag = "" if median < TARGET_MS or not name.startswith("project") else "  over target"
            failed |= bool(flag)
            print(f"{name:<26}{median:>10.1f}{p95:>10.1f}{flag}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
