"""Registries are filled by liaison/wiring.py at every entry point, not by whichever modules an
entry point happens to import."""

import subprocess
import sys

PROBE = """
import sys
from liaison.org import service as org_service
from liaison.pages import projects as projects_web
before = len(org_service.officer_guards), len(projects_web.project_panels)
from liaison.cli import app
try:
    app(["check", "--help"])
except SystemExit:
    pass
guards = [g.__name__ for g in org_service.officer_guards]
print(before, guards, len(projects_web.project_panels), file=sys.stderr)
"""


def _probe() -> str:
    done = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=60, check=True
    )
    return done.stderr.strip().splitlines()[-1]


def test_importing_a_module_registers_nothing_and_every_command_has_the_officer_guard() -> None:
    line = _probe()
    assert line.startswith("(0, 0)"), line  # importing org or projects registers nothing
    assert "'holding_guard'" in line, line  # the command wired the guard before running
    assert line.endswith(" 4"), line  # and the four project-page panels


def test_the_app_shows_each_domains_panel_on_the_project_page_once(client, db) -> None:
    from liaison.app import create_app
    from liaison.pages import projects as projects_web

    create_app()
    create_app()
    names = [panel.__module__ for panel in projects_web.project_panels]
    assert sorted(names) == sorted(set(names)), names
