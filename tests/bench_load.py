"""`make bench-load`: a load test on loopback. A fresh PostgreSQL database with the demo
(`liaison demo --scale 10`) is served by `liaison serve --workers N` (N = 1, then 2) and driven by
locust in this process: officers browsing and logging visits, the public form, leaders on the
dashboard. Each server gets a fixed-page floor (GET /healthz, a constant, at full speed), the mix
at a fixed 50 requests/s (10 x a district's peak), then rising rates until one is not held. The
table goes to docs/performance.md under "## Load test". A benchmark, not a test."""

import math
import os
import random
import re
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import IO

import gevent
import psutil
import sqlalchemy as sa
from locust import FastHttpUser, task
from locust.env import Environment

from liaison.demo import DEMO_PASSWORD
from tests import bench_report

SCALE = int(os.environ.get("BENCH_LOAD_SCALE", "10"))
SECONDS = int(os.environ.get("BENCH_LOAD_SECONDS", "20"))  # each measured run
FLOOR_SECONDS = int(os.environ.get("BENCH_LOAD_FLOOR_SECONDS", "10"))
FIXED_RATE = 50
STEPS = [int(s) for s in os.environ.get("BENCH_LOAD_STEPS", "60,70,80,100,150,200").split(",")]
PER_USER_RATE = 2.0  # requests/s each simulated person paces at: users = rate / 2
HELD_P95_MS = 1000  # a rate is held: 0 errors, >= 95 % of it achieved, p95 under a second
PG_SERVER = os.environ.get("LIAISON_BENCH_DATABASE", "postgresql://postgres@127.0.0.1:5432/test")
HEADING = "## Load test"
MACHINE: dict[str, str] = {}  # what it ran on, for the report

# Raised so one load generator on one loopback address is not refused as an abuser.
LIMITS = {
    "LIAISON_DESK_SUBMITS_PER_HOUR": "10000000",
    "LIAISON_DESK_SUBMITS_PER_ADDRESS_HOUR": "10000000",
    "LIAISON_DESK_SUBMITS_PER_PHONE_DAY": "10000000",
    "LIAISON_DESK_TRACKS_PER_10_MINUTES": "10000000",
    "LIAISON_API_REQUESTS_PER_MINUTE": "10000000",
    "LIAISON_LOCKOUT_FAILURES": "10000000",
}


@dataclass
class Plan:
    """What the simulated people need to know about the data: set before each run."""

    officer_projects: tuple[int, ...] = ()
    ready: int = 0  # people logged in (or, for the public, started)


PLAN = Plan()
TRACKING = re.compile(r'data-testid="tracking-no">')
SUBMISSION_KEY = re.compile(r'name="submission_key" value="([0-9a-f]+)"')


class Person(FastHttpUser):
    """Paces itself at PER_USER_RATE requests/s: one request per task."""

    abstract = True
    username = ""

    def wait_time(self) -> float:
        self._due = max(getattr(self, "_due", 0.0) + 1 / PER_USER_RATE, time.monotonic())
        return max(0.0, self._due - time.monotonic())

    def on_start(self) -> None:
        if self.username:
            self.client.get("/login", name="login")
            with self.client.post(
                "/login",
                data={
                    "username": self.username,
                    "password": DEMO_PASSWORD,
                    "csrf_token": self.csrf(),
                },
                name="login",
                allow_redirects=False,
                catch_response=True,
            ) as response:
                if response.status_code != 303 or "/login" in response.headers.get("location", ""):
                    response.failure(f"login refused: {response.status_code}")
        PLAN.ready += 1

    def csrf(self) -> str:
        return next(c.value or "" for c in self.client.cookiejar if c.name == "liaison_csrf")


class Officer(Person):
    weight = 60
    username = "demo-officer"

    def project(self) -> int:
        return random.choice(PLAN.officer_projects)

    @task(2)
    def home(self) -> None:
        self.client.get("/home")

    @task(2)
    def projects(self) -> None:
        self.client.get("/projects")

    @task(3)
    def project_page(self) -> None:
        self.client.get(f"/projects/{self.project()}", name="/projects/[id]")

    @task(1)
    def hazards(self) -> None:
        self.client.get("/hazards")

    @task(1)
    def requests(self) -> None:
        self.client.get("/requests")

    @task(1)
    def log_visit(self) -> None:
        fields = {
            "csrf_token": self.csrf(),
            "visit_date": date.today().isoformat(),  # UTC: never after Shanghai's today
            "kind": "走访",
            "summary": "压测走访：现场秩序正常",
        }
        with self.client.post(
            f"/projects/{self.project()}/visits",
            data=fields,
            name="/projects/[id]/visits",
            catch_response=True,
        ) as response:
            if response.status_code == 200 and "已登记走访" not in response.text:
                response.failure("visit not logged")


class Public(Person):
    """Opens the form, then sends it: one request per task, alternating."""

    weight = 15
    key = ""

    @task
    def form(self) -> None:
        if not self.key:
            page = self.client.get("/r")
            found = SUBMISSION_KEY.search(page.text or "")
            self.key = found.group(1) if found else ""
            return
        fields = {
            "csrf_token": self.csrf(),
            "submission_key": self.key,
            "website": "",
            "type": "求助",
            "topic": "治安秩序",
            "content": "工地夜间有人偷电缆，请加强巡逻",
            "name": "李经理",
            "phone": f"138{random.randrange(10**8):08d}",
            "consent": "on",
        }
        self.key = ""
        with self.client.post("/r", data=fields, catch_response=True) as response:
            if response.status_code == 200 and not TRACKING.search(response.text or ""):
                response.failure("no tracking number")


class Leader(Person):
    weight = 25
    username = "demo-leader"

    @task(2)
    def dashboard(self) -> None:
        self.client.get("/dashboard")

    @task(1)
    def records(self) -> None:
        self.client.get("/dashboard/records?figure=hazards.found", name="/dashboard/records")


class Floor(FastHttpUser):
    """The fixed page, as fast as it comes."""

    @task
    def healthz(self) -> None:
        self.client.get("/healthz")


# ---- the server --------------------------------------------------------------------------


def fresh_database() -> str:
    from tests.conftest import recreate_pg_database

    url = recreate_pg_database("liaison_load", PG_SERVER)
    took = bench_report.load_demo(url, "--scale", str(SCALE))
    print(f"demo x {SCALE} loaded in {took:.1f} s")
    return url


def officer_projects(url: str) -> tuple[int, ...]:
    """The projects demo-officer currently holds: the ones they may log visits on."""
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text(
                "SELECT a.project_id FROM assignment a"
                " JOIN user_account u ON u.officer_id = a.officer_id"
                " JOIN project p ON p.id = a.project_id"
                " WHERE u.username = 'demo-officer' AND a.end_date IS NULL"
                " AND p.archived_at IS NULL"
            )
        ).all()
        version = conn.execute(sa.text("SHOW server_version")).scalar_one()
    engine.dispose()
    MACHINE["PostgreSQL"] = str(version)
    return tuple(row[0] for row in rows)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def serve(url: str, workers: int, log: IO[bytes]) -> tuple[subprocess.Popen[bytes], str]:
    """The app on a free port; its log (tracebacks of any 500) goes to `log`."""
    port = free_port()
    env = {**os.environ, "LIAISON_DATABASE_URL": url, **LIMITS}
    for name in ("LIAISON_ENV", "LIAISON_TWO_FACTOR_REQUIRED", "LIAISON_READ_DATABASE_URL"):
        env.pop(name, None)
    command = ["serve", "--port", str(port), "--workers", str(workers)]
    server = subprocess.Popen(
        [sys.executable, "-m", "liaison.cli", *command],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=log,
        start_new_session=True,
    )
    host = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                break
        except OSError:
            time.sleep(0.3)
    else:
        server.kill()
        raise RuntimeError("the server did not start")
    time.sleep(2)  # every worker up, not only the first
    return server, host


def stop(server: subprocess.Popen[bytes]) -> None:
    server.terminate()
    try:
        server.wait(timeout=20)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


# ---- a measured run ------------------------------------------------------------------------


@dataclass
class Result:
    run: str
    offered: float | None  # requests/s asked for; None: as fast as it comes
    rps: float
    p50: float
    p95: float
    p99: float
    requests: int
    errors: int
    server_cpu: float  # cores the app's processes used
    locust_cpu: float  # cores the load generator used
    pages: list[tuple[str, int, float, float]]  # request, count, p50, p95

    @property
    def held(self) -> bool:
        return (
            self.errors == 0
            and (self.offered is None or self.rps >= 0.95 * self.offered)
            and self.p95 < HELD_P95_MS
        )


def cpu_seconds(process: psutil.Process) -> float:
    total = 0.0
    for p in [process, *process.children(recursive=True)]:
        try:
            times = p.cpu_times()
            total += times.user + times.system
        except psutil.NoSuchProcess:
            pass
    return total


def measure(
    environment: Environment, server: subprocess.Popen[bytes], run: str, offered: float | None
) -> Result:
    """Counts from here, for `SECONDS` (the floor: `FLOOR_SECONDS`): logins are left out."""
    seconds = FLOOR_SECONDS if offered is None else SECONDS
    app, me = psutil.Process(server.pid), psutil.Process()  # the app is a child: count me alone
    environment.stats.reset_all()
    cpu_app, cpu_me, started = cpu_seconds(app), sum(me.cpu_times()[:2]), time.monotonic()
    gevent.sleep(seconds)
    elapsed = time.monotonic() - started
    total = environment.stats.total
    result = Result(
        run=run,
        offered=offered,
        rps=total.num_requests / elapsed,
        p50=total.get_response_time_percentile(0.5) or 0.0,
        p95=total.get_response_time_percentile(0.95) or 0.0,
        p99=total.get_response_time_percentile(0.99) or 0.0,
        requests=total.num_requests,
        errors=total.num_failures,
        server_cpu=(cpu_seconds(app) - cpu_app) / elapsed,
        locust_cpu=(sum(me.cpu_times()[:2]) - cpu_me) / elapsed,
        pages=[
            (
                f"{e.method} {e.name}",
                e.num_requests,
                e.get_response_time_percentile(0.5) or 0.0,
                e.get_response_time_percentile(0.95) or 0.0,
            )
            for e in sorted(environment.stats.entries.values(), key=lambda e: e.name)
            if e.num_requests
        ],
    )
    for error in environment.stats.errors.values():
        print(f"    error: {error.method} {error.name}: {error.error} x {error.occurrences}")
    assert environment.runner is not None
    for crash in environment.runner.exceptions.values():
        print(f"    crash in the load generator x {crash['count']}: {crash['traceback']}")
    return result


def start_users(environment: Environment, users: int) -> None:
    """Brings the crowd to `users` and waits until all of them are logged in."""
    assert environment.runner is not None
    environment.runner.start(users, spawn_rate=25)
    deadline = time.monotonic() + 120
    while PLAN.ready < users and time.monotonic() < deadline:
        gevent.sleep(0.2)
    if PLAN.ready < users:
        print(f"    only {PLAN.ready} of {users} people logged in within 120 s")
    gevent.sleep(2)  # the newcomers settle into their pace


def floor(host: str, server: subprocess.Popen[bytes]) -> Result:
    environment = Environment(user_classes=[Floor], host=host)
    runner = environment.create_local_runner()
    runner.start(8, spawn_rate=8)
    gevent.sleep(2)
    result = measure(environment, server, "floor: GET /healthz", None)
    runner.quit()
    return result


def mix(host: str, server: subprocess.Popen[bytes]) -> list[Result]:
    """The mix at 50 requests/s, then the steps until one is not held."""
    PLAN.ready = 0
    environment = Environment(user_classes=[Officer, Public, Leader], host=host)
    runner = environment.create_local_runner()
    results = []
    for rate in [FIXED_RATE, *STEPS]:
        start_users(environment, math.ceil(rate / PER_USER_RATE))
        result = measure(environment, server, f"mix at {rate}/s", rate)
        results.append(result)
        print(line(result))
        if not result.held:
            break
    runner.quit()
    return results


# ---- the report ----------------------------------------------------------------------------


def machine() -> None:
    MACHINE.update(bench_report.machine())
    pool = [
        os.environ.get(f"LIAISON_DB_{k}", d)
        for k, d in (("POOL_SIZE", "10"), ("MAX_OVERFLOW", "10"))
    ]
    MACHINE["connection pool per app process"] = f"{pool[0]} + {pool[1]} overflow"


def line(r: Result) -> str:
    offered = f"{r.offered:.0f}" if r.offered else "max"
    return (
        f"  {r.run:<22} offered {offered:>4}  {r.rps:7.1f} req/s  p50 {r.p50:5.0f}  "
        f"p95 {r.p95:5.0f}  p99 {r.p99:5.0f} ms  errors {r.errors}  "
        f"cpu app {r.server_cpu:.2f} locust {r.locust_cpu:.2f}"
    )


def table(results: dict[int, list[Result]]) -> str:
    rows = [
        "| app processes | run | requests/s | p50 ms | p95 ms | p99 ms | requests | errors "
        "| req/s ÷ floor | p50 ÷ floor p50 | CPU app / locust (cores) |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for workers, runs in results.items():
        base, mixed = runs[0], runs[1:]
        held = [r for r in mixed[1:] if r.held]
        best = max(held, key=lambda r: r.rps) if held else None
        chosen = [(base, "floor: GET /healthz, max"), (mixed[0], "mix at 50/s")]
        if best:
            chosen.append((best, f"mix, highest held ({best.offered:.0f}/s offered)"))
        elif mixed[0].held:
            chosen.append((mixed[0], "mix, highest held (50/s; no higher step held)"))
        for r, name in chosen:
            rows.append(
                f"| {workers} | {name} | {r.rps:.1f} | {r.p50:.0f} | {r.p95:.0f} | {r.p99:.0f} "
                f"| {r.requests} | {r.errors} | {r.rps / base.rps:.2f} "
                f"| {r.p50 / max(base.p50, 1):.1f} | {r.server_cpu:.2f} / {r.locust_cpu:.2f} |"
            )
    return "\n".join(rows)


def steps_table(results: dict[int, list[Result]]) -> str:
    rows = [
        "| app processes | offered req/s | achieved | p50 | p95 | p99 ms | errors | held |",
        "|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    for workers, runs in results.items():
        for r in runs[1:]:
            rows.append(
                f"| {workers} | {r.offered:.0f} | {r.rps:.1f} | {r.p50:.0f} | {r.p95:.0f} "
                f"| {r.p99:.0f} | {r.errors} | {'yes' if r.held else 'no'} |"
            )
    return "\n".join(rows)


def pages_table(result: Result) -> str:
    rows = ["| request | count | p50 ms | p95 ms |", "|---|---:|---:|---:|"]
    rows += [f"| `{name}` | {n} | {p50:.0f} | {p95:.0f} |" for name, n, p50, p95 in result.pages]
    return "\n".join(rows)


def section(results: dict[int, list[Result]]) -> str:
    machine_lines = "\n".join(f"- {k}: {v}" for k, v in MACHINE.items())
    return f"""{HEADING}

`make bench-load` (tests/bench_load.py), run {date.today().isoformat()}: a fresh PostgreSQL
database with `liaison demo --scale {SCALE}`, served on 127.0.0.1 by `liaison serve --workers N`
(development settings, second factor off; the public form's, API's and lockout's per-address
limits raised so the one load generator on one loopback address is not refused:
{", ".join(f"`{k}`" for k in LIMITS)}). Locust {locust_version()} (FastHttpUser), headless, in
one process on the same machine. The mix: officers 60 % (home, project list, their projects'
pages, hazards, requests, and one task in ten logs a visit), the public form 15 % (open it, send
it), leaders 25 % (the dashboard, the records behind "hazards found"). Every simulated person
logs in once before the count starts and then paces at {PER_USER_RATE:.0f} requests/s, so the
offered rate is set by the number of people. Each measured run lasts {SECONDS} s (the floor
{FLOOR_SECONDS} s: 8 users calling `GET /healthz`, a constant, without pause, against the same
server). A rate is *held* with 0 errors, at least 95 % of it achieved and p95 under
{HELD_P95_MS} ms; the steps stop at the first one not held. A request still waiting when a
run ends is counted neither as done nor as an error: a stalled server shows as a rate not
achieved, and its time-outs as tracebacks in the app's log (below). Ratios: the run's
requests/s over the floor's, its p50 over the floor's p50. CPU: cores used by the app's
processes and by locust.

{machine_lines}

{table(results)}

Every step:

{steps_table(results)}

Per request, the mix at 50/s on one app process:

{pages_table(results[1][1])}
"""


def locust_version() -> str:
    from importlib.metadata import version

    return version("locust")


def main() -> int:
    machine()
    url = fresh_database()
    PLAN.officer_projects = officer_projects(url)
    results: dict[int, list[Result]] = {}
    log = tempfile.NamedTemporaryFile(prefix="bench-load-", suffix=".log", delete=False)  # noqa: SIM115
    for workers in (1, 2):
        server, host = serve(url, workers, log)
        try:
            print(f"{workers} app process{'es' if workers > 1 else ''} on {host}")
            base = floor(host, server)
            print(line(base))
            results[workers] = [base, *mix(host, server)]
        finally:
            stop(server)
    MACHINE["load average after"] = bench_report.load_average()
    written = Path(log.name).read_text()
    MACHINE["the app's log"] = (
        f"{written.count('Traceback')} tracebacks, "
        f"{written.count('QueuePool limit')} of them waits for a pooled connection timed out"
    )
    print(f"the app's log: {log.name}")
    text = section(results)
    print(text)
    bench_report.write_section(HEADING, text)
    print(f"written to {bench_report.DOC}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
