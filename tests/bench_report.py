"""What the benchmarks share: loading the demo, the machine they ran on, and their own section
of docs/performance.md, replaced on every run and leaving the others as they are."""

import os
import platform
import re
import subprocess
import sys
import time
from pathlib import Path

DOC = Path(os.environ.get("BENCH_DOC", Path(__file__).parent.parent / "docs/performance.md"))


def load_demo(url: str, *demo_args: str) -> float:
    """`liaison init` and `liaison demo *demo_args` on `url`, in child processes; seconds taken."""
    env = {**os.environ, "LIAISON_DATABASE_URL": url}
    started = time.perf_counter()
    for args in (["init"], ["demo", *demo_args]):
        subprocess.run(
            [sys.executable, "-m", "liaison.cli", *args],
            env=env,
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
    return time.perf_counter() - started


def load_average() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def machine() -> dict[str, str]:
    """CPU, memory, Python and the load average now."""
    cpuinfo = Path("/proc/cpuinfo").read_text()
    model = re.search(r"model name\s*:\s*(.+)", cpuinfo)
    mem = re.search(r"MemTotal:\s*(\d+) kB", Path("/proc/meminfo").read_text())
    return {
        "CPU": f"{os.cpu_count()} x {model.group(1) if model else platform.processor()}",
        "RAM": f"{int(mem.group(1)) / 2**20:.1f} GiB" if mem else "?",
        "Python": platform.python_version(),
        "load average before": load_average(),
    }


def write_section(heading: str, text: str) -> None:
    """Replace the section under `heading` (a "## " line) with `text`, or add it at the end."""
    DOC.parent.mkdir(exist_ok=True)
    current = DOC.read_text() if DOC.exists() else "# Performance\n"
    start = current.find(heading + "\n")
    if start < 0:
        DOC.write_text(current.rstrip("\n") + "\n\n" + text)
        return
    following = current.find("\n## ", start + len(heading))
    rest = current[following + 1 :] if following >= 0 else ""
    DOC.write_text(current[:start] + text + ("\n" + rest if rest else ""))
