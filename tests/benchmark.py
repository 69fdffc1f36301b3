"""`make bench`: server time of the main pages with the demo district loaded.

Builds a fresh database (SQLite by default, or LIAISON_BENCH_DATABASE=postgresql://...),
loads the demo, logs in, requests each page many times and reports the median and p95 of the
app's own Server-Timing header, so the test client's overhead is not counted."""

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from fastapi.testclient import TestClient
from sqlmodel import Session, select

ROUNDS = int(os.environ.get("BENCH_ROUNDS", "200"))
TARGET_MS = 50.0
YEAR = "period=custom&from=2023-01-01&to=2023-12-31"


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
    from liaison.auth import service as auth_service
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
        leader = auth_service.get_by_username(session, "demo-leader")
        token = auth_service.create_api_token(session, leader)
        session.commit()
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
        "dashboard, a year": lambda n: f"/dashboard?{YEAR}",
        "metrics JSON, a year": lambda n: f"/api/v1/metrics?{YEAR}",
    }
    targets = {"dashboard, a year": 100.0, "metrics JSON, a year": 50.0}
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
                response = client.get(url_for(n), headers={"Authorization": f"Bearer {token}"})
                assert response.status_code == 200, (name, response.status_code)
                timings.append(float(response.headers["server-timing"].split("dur=")[1]))
            median = statistics.median(timings)
            p95 = statistics.quantiles(timings, n=20)[-1]
            target = targets.get(name, TARGET_MS if name.startswith("project") else None)
            flag = "" if target is None or median < target else "  over target"
            failed |= bool(flag)
            print(f"{name:<26}{median:>10.1f}{p95:>10.1f}{flag}")
    failed |= ledger_import(url, tmp)
    return 1 if failed else 0


IMPORT_TARGET_S = 20.0
# The shared samples sit beside the project: <root>/../shared/samples.
SAMPLE = str(Path(__file__).resolve().parents[1].parent / "shared/samples/ledger-2025.xlsx")


def _scaled_ledger(path: str, copies: int) -> int:
    """The sample ledger `copies` times over, every code suffixed per copy (1,316 rows a
    copy); returns the number of data rows."""
    from openpyxl import Workbook, load_workbook

    from liaison.ledger import schema

    source = load_workbook(SAMPLE, read_only=True)
    code_columns = {
        "派出所": {0},
        "民警": {0, 2},
        "企业": {0},
        "重点项目": {0, 2, 7, 8},
        "隐患": {0, 1, 6},
        "纠纷": {0, 1, 7},
        "挽回损失": {0, 1, 5, 6},
        "诉求": {0, 5},
    }
    out, rows = Workbook(write_only=True), 0
    for spec in schema.SHEETS:
        sheet = out.create_sheet(spec.name)
        data = list(source[spec.name].iter_rows(values_only=True))
        sheet.append(data[0])
        for copy in range(copies):
            for row in data[1:]:
                cells = list(row)
                for i in code_columns[spec.name]:
                    if cells[i] not in (None, ""):
                        cells[i] = _suffixed(spec.name, i, str(cells[i]), copy)
                sheet.append(cells)
                rows += 1
    out.save(path)
    return rows


def _suffixed(sheet: str, column: int, value: str, copy: int) -> str:
    """A per-copy code; a credit code keeps its check character valid."""
    from liaison.enterprises.uscc import uscc_check_char

    is_uscc = (sheet, column) in {("企业", 0), ("重点项目", 2)}
    if is_uscc:
        body = value[:8] + f"{copy:02d}" + value[10:17]
        return body + uscc_check_char(body)
    return f"{value}-{copy}"


def ledger_import(url: str, tmp: str) -> bool:
    """`liaison import` of a 10,528- and a 21,056-row ledger into an empty database, in a
    child process: wall time and the child's peak memory (which should grow with the rows
    kept, not more)."""
    import subprocess

    from tests.conftest import recreate_pg_database

    print(f"{'ledger import':<26}{'rows':>8}{'seconds':>10}{'peak MB':>10}")
    failed = False
    for copies in (8, 16):
        path = f"{tmp}/ledger-{copies}.xlsx"
        rows = _scaled_ledger(path, copies)
        target = (
            f"sqlite:///{tmp}/import-{copies}.db"
            if url.startswith("sqlite")
            else recreate_pg_database("liaison_bench_import", url)
        )
        env = {**os.environ, "LIAISON_DATABASE_URL": target}
        subprocess.run(
            [sys.executable, "-m", "liaison.cli", "init"],
            env=env,
            check=True,
            stdout=subprocess.DEVNULL,
        )
        started = time.perf_counter()
        child = subprocess.Popen(
            [sys.executable, "-m", "liaison.cli", "import", path],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        _, status, usage = os.wait4(child.pid, 0)  # this child's own peak, not the others'
        seconds = time.perf_counter() - started
        assert os.waitstatus_to_exitcode(status) == 0, "the import failed"
        peak = usage.ru_maxrss / 1024
        flag = "  over target" if seconds > IMPORT_TARGET_S * copies / 8 else ""
        failed |= bool(flag)
        print(f"{'':<26}{rows:>8}{seconds:>10.1f}{peak:>10.0f}{flag}")
    return failed


if __name__ == "__main__":
    sys.exit(main())
