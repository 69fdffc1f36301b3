"""Browser tests: the app served by uvicorn in a thread, driven by Playwright in Debian's
Chromium. A missing browser is a failure, never a skip. Every page a journey shows goes through
axe-core (the `axe` fixture): no serious or critical WCAG 2 A/AA violation."""

import socket
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import uvicorn

from liaison.app import create_app
from liaison.config import get_settings
from liaison.web import ROOT

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
AXE = ROOT / "static/vendor/axe-core/axe.min.js"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"]
BLOCKING_IMPACTS = {"serious", "critical"}


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    if not CHROMIUM.exists():
        pytest.fail("Debian's chromium is required for the browser tests: apt-get install chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def live_server(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The app as `liaison serve` runs it on one machine, the job engine in its process."""
    monkeypatch.setenv("LIAISON_WORKER_IN_SERVE", "true")
    get_settings.cache_clear()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(create_app(), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "the app did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture
def page(browser, live_server):  # type: ignore[no-untyped-def]
    """A phone-sized page that records CSP violations and script errors."""
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN")
    page = context.new_page()
    page.problems = []
    page.on("console", lambda m: m.type == "error" and page.problems.append(m.text))
    page.on("pageerror", lambda e: page.problems.append(str(e)))
    page.base = live_server
    yield page
    context.close()


def assert_accessible(page) -> None:  # type: ignore[no-untyped-def]
    """Runs axe-core on the page as it is now and fails on any serious or critical violation.

    axe is loaded by its URL, not inline: the app's CSP refuses inline scripts, and the test must
    see the page under the same CSP a user gets. No template includes it."""
    assert AXE.exists(), "axe-core is not vendored: make vendor"
    page.wait_for_load_state()
    if not page.evaluate("typeof window.axe === 'object'"):
        page.add_script_tag(url=f"{page.base}/static/vendor/axe-core/axe.min.js")
    result = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags},"
        " resultTypes: ['violations']})",
        AXE_TAGS,
    )
    blocking = [v for v in result["violations"] if v["impact"] in BLOCKING_IMPACTS]
    lines = [
        f"- {v['id']} ({v['impact']}): {v['help']}\n"
        + "\n".join(f"    {' '.join(map(str, node['target']))}" for node in v["nodes"][:10])
        for v in blocking
    ]
    if blocking:
        pytest.fail(f"accessibility violations on {page.url}:\n" + "\n".join(lines), pytrace=False)


@pytest.fixture
def axe() -> Callable[..., None]:
    """`axe(page)` after each navigation or swap that shows a new page."""
    return assert_accessible
