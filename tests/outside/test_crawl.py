"""The crawler: each demo login starts from its landing page and follows every same-site link it
is shown, a few records of each kind, as a person clicking through would. Every page reached
by a link answers below 400; every page's HTML holds up (tests/outside/markup.py); every form
posts to a route that exists; every GET form answers 200 as rendered and with each choice of
its selects. A failure names the login, the page and the form."""

import re
from collections import Counter, deque
from dataclasses import dataclass, field
from urllib.parse import urlencode, urljoin, urlsplit

import pytest
from starlette.routing import Match

from liaison.demo import DEMO_PASSWORD, DEMO_USERS
from tests.factories import login
from tests.outside import markup
from tests.outside.forms import Form, Page, read, same_site

NOT_FOLLOWED = ("/logout", "/static/")
DOWNLOADS = re.compile(r"\.(xlsx|csv|zip|png|svg|pdf)$|format=xlsx")
PER_SHAPE = 3  # records of each kind opened: /projects/1, /projects/2, /projects/3
MOST_PAGES = 400  # a bound for a login, far above what the demo's links reach
# A select with more choices than this is tried at its first, middle and last choice.
CHOICES_TRIED = 12


def landing(client, username: str) -> Page:  # type: ignore[no-untyped-def]
    response = login(client, username, DEMO_PASSWORD)
    assert response.status_code == 303, f"{username} logs in"
    page = client.get(response.headers["location"])
    assert page.status_code == 200
    return read(str(page.url), page.text)


def tried(options: list[str]) -> list[str]:
    if len(options) <= CHOICES_TRIED:
        return options
    return [options[0], options[len(options) // 2], options[-1]]


def submissions(form: Form) -> list[list[tuple[str, str]]]:
    """The form untouched (blank selects and dates as a browser sends them), then once per
    choice tried of each select."""
    sent = [form.as_sent()]
    for select in form.selects:
        sent += [form.as_sent(**{select.name: choice}) for choice in tried(select.options)]
    return sent


def shape(url: str) -> str:
    """A page's kind: its path with the numbers and codes of records taken out."""
    path = urlsplit(url).path
    return re.sub(r"/(\d+|[A-Z]{2}[\w-]*\d[\w-]*)(?=/|$)", "/{id}", path)


def routed(app, method: str, url: str) -> bool:  # type: ignore[no-untyped-def]
    scope = {"type": "http", "method": method.upper(), "path": urlsplit(url).path}
    return any(route.matches(scope)[0] == Match.FULL for route in app.routes)


@dataclass
class Walk:
    """What a login's walk covered, and the first page of each kind it opened (the browser
    checks one of each: tests/e2e/test_accessibility.py)."""

    covered: Counter[str] = field(default_factory=Counter)
    kinds: dict[str, str] = field(default_factory=dict)


def _check(client, where: str, response, page: Page, covered: Counter[str]) -> None:  # type: ignore[no-untyped-def]
    """The page's HTML, its forms' routes, and its GET forms as a browser submits them."""
    html = response.text
    assert markup.problems(html) == [], where
    for method, action, form in markup.forms(html):
        target = urljoin(str(response.url), action or str(response.url))
        assert routed(client.app, method, target), f"{where}: {form.describe()} → {target}"
        covered["forms"] += 1
    for form in (f for f in page.forms if f.method == "get"):
        for pairs in submissions(form):
            sent = f"{form.action.split('?')[0]}?{urlencode(pairs)}"
            answer = client.get(sent)
            assert answer.status_code == 200, (
                f"{where}: the form to {form.action} sent {pairs}: {answer.status_code}"
            )
            covered["submissions"] += 1


def crawl(client, username: str, *, checking: bool = True) -> Walk:  # type: ignore[no-untyped-def]
    """Walk the login's links, checking every page, form and GET submission on the way
    (`checking=False`: only the walk, for the browser's own checks of what it found)."""
    start = landing(client, username)
    queue, seen, shapes = deque([start.url]), {start.url}, Counter({shape(start.url): 1})
    walk = Walk()
    covered = walk.covered
    while queue and covered["pages"] < MOST_PAGES:
        url = queue.popleft()
        response = client.get(url)
        where = f"{username} on {url}"
        assert response.status_code < 400, f"{where}: {response.status_code}"
        if not response.headers.get("content-type", "").startswith("text/html"):
            continue
        covered["pages"] += 1
        walk.kinds.setdefault(shape(url), str(response.url))
        html = response.text
        page = read(str(response.url), html)
        if checking:
            _check(client, where, response, page, covered)
        for link in page.links:
            link = link.split("#")[0]
            path = urlsplit(link).path
            if not link or not same_site(link) or link in seen or path.startswith(NOT_FOLLOWED):
                continue
            seen.add(link)
            if DOWNLOADS.search(link):
                download = client.get(link)
                assert download.status_code < 400, f"{where}: {link}: {download.status_code}"
                covered["downloads"] += 1
                continue
            if shapes[shape(link)] >= PER_SHAPE:
                continue
            shapes[shape(link)] += 1
            queue.append(link)
    covered["kinds"] = len(walk.kinds)
    return walk


@pytest.mark.parametrize("username", [user[0] for user in DEMO_USERS])
def test_each_login_reaches_only_sound_pages_by_the_links_it_is_shown(demo_client, username):
    covered = crawl(demo_client, username).covered
    print(f"\n{username}: {dict(covered)}")
    assert covered["pages"] > 3, covered
