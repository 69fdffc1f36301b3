"""Issue 18, finding 10: no form answers a 5xx, whatever is typed into it. Every POST form a
login is shown, found by walking the links of its pages as a browser would (never from the
routes' code), is sent a fixed list of hostile values, one field at a time with the others
filled validly from the page itself (tests/outside/test_post_forms.py): empty, 100,000
characters, a NUL, bytes that are not UTF-8 (a lone surrogate's among them), other scripts'
digits, a negative number, one too big for any column, the first day of the calendar, markup
and an SQL quote. A refusal (4xx), a page again or a redirect are all fine; a 5xx is not."""

from collections import deque
from urllib.parse import quote_from_bytes, urljoin, urlsplit

import pytest
from fastapi.testclient import TestClient

from liaison.auth.roles import Role
from tests.factories import csrf_token
from tests.outside import markup
from tests.outside.forms import read, same_site
from tests.outside.test_crawl import DOWNLOADS, NOT_FOLLOWED, shape
from tests.outside.test_post_forms import a_valid, controls, hidden_and_clicked, kind_of
from tests.security.world import World, build_world, fast_hashing  # noqa: F401 (a fixture)

HOSTILE = {
    "empty": b"",
    "very-long": b"x" * 100_000,
    "nul": b"a\x00b",
    "lone-surrogate": b"\xed\xa0\x80",  # U+D800 as UTF-8 would have it, which UTF-8 forbids
    "not-utf8": b"\xff\xfe\xc3(",
    "other-digits": "١٢²１".encode(),
    "negative": b"-1",
    "too-big": b"1e999999",
    "day-one": b"0001-01-01",
    "markup": b"<script>alert(1)</script>",
    "sql-quote": b"' OR '1'='1' --",
}
# A password field is the login's concern (tests/auth): a wrong one locks the login out.
NOT_FUZZED = ("hidden", "submit", "button", "image", "reset", "file", "password")
MOST_PAGES = 150
ROLES = [Role.OFFICER, Role.CHIEF, Role.LEADER, Role.ADMIN, Role.ENTERPRISE]
# The kinds of target already sent their values this run, by a role before: a form each login
# is shown is fuzzed once, by the first that is shown it.
_fuzzed: set[str] = set()


def posting_forms(client: TestClient) -> list[tuple[str, str, markup.Element]]:
    """(page, target, form) of each POST form with a field to fill on the pages the login's
    links reach, one page of each kind, one form of each kind of target not fuzzed before."""
    queue, seen, found = deque(["/"]), {"/"}, []
    pages = 0
    while queue and pages < MOST_PAGES:
        url = queue.popleft()
        response = client.get(url)
        if not response.headers.get("content-type", "").startswith("text/html"):
            continue
        pages += 1
        here = str(response.url)
        for method, action, form in markup.forms(response.text):
            target = urljoin(here, action or here)
            fills = [c for c in controls(form) if kind_of(c) not in NOT_FUZZED]
            if method == "post" and fills and shape(target) not in _fuzzed:
                _fuzzed.add(shape(target))
                found.append((here, target, form))
        for link in read(here, response.text).links:
            link = link.split("#")[0]
            kind = shape(link)
            if not link or not same_site(link) or DOWNLOADS.search(link) or kind in seen:
                continue
            if urlsplit(link).path.startswith(NOT_FOLLOWED):
                continue
            seen.add(kind)
            queue.append(link)
    return found


def encoded(pairs: list[tuple[str, bytes]]) -> bytes:
    """A urlencoded body of raw bytes: what a client that is not a browser may send."""
    return b"&".join(
        quote_from_bytes(k.encode()).encode() + b"=" + quote_from_bytes(v).encode()
        for k, v in pairs
    )


@pytest.mark.parametrize("role", ROLES, ids=[r.name.lower() for r in ROLES])
def test_no_form_answers_a_server_error_to_hostile_values(client, db, role):
    world: World = build_world(db)
    world.login(client, role)
    failures, sent = [], 0
    for page, target, form in posting_forms(client):
        fields = [c for c in controls(form) if kind_of(c) not in ("hidden", "submit", "button")]
        for bad in (c for c in fields if kind_of(c) not in NOT_FUZZED):
            name = bad.attrs["name"]
            for label, value in HOSTILE.items():
                pairs = [(k, v.encode()) for k, v in hidden_and_clicked(form)]
                pairs = [(k, v) for k, v in pairs if k != "csrf_token"]
                pairs.append(("csrf_token", csrf_token(client).encode()))
                for other in fields:
                    if other is not bad:
                        pairs += [(other.attrs["name"], v.encode()) for v in a_valid(other, {})]
                pairs.append((name, value))
                try:
                    answer = client.post(
                        target,
                        content=encoded(pairs),
                        headers={"content-type": "application/x-www-form-urlencoded"},
                        follow_redirects=False,
                    )
                    status = answer.status_code
                except Exception as exc:  # the TestClient raises what the app did not answer
                    status, answer = 500, exc
                sent += 1
                if status >= 500:
                    failures.append(f"{page}: {target} {name}={label}: {status} {answer!r:.200}")
                if status == 303 and "/login" in answer.headers.get("location", ""):
                    world.login(client, role)  # a form that logged the login out
    print(f"\n{role}: {sent} sent")
    assert sent > 0 or role == Role.ENTERPRISE  # its forms may all be the officer's too
    assert failures == [], "\n".join(failures)
