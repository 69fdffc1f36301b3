"""Every list's filter form, submitted as a browser submits it: first untouched (blank selects
and dates included), then with each choice its selects offer. Each demo login starts from its
landing page and opens every page its navigation links to; every such page answers below 400
and every GET form on it answers 200."""

from urllib.parse import urlencode, urlsplit

import pytest

from liaison.demo import DEMO_PASSWORD, DEMO_USERS
from tests.factories import login
from tests.outside.forms import Form, Page, read, same_site

# A select with more choices than this is tried at its first, middle and last choice.
CHOICES_TRIED = 12
NOT_FOLLOWED = ("/logout", "/static/")


def landing(client, username: str) -> Page:
    response = login(client, username, DEMO_PASSWORD)
    assert response.status_code == 303, f"{username} logs in"
    page = client.get(response.headers["location"])
    assert page.status_code == 200
    return read(str(page.url), page.text)


def linked_pages(client, start: Page) -> list[Page]:
    """The pages the landing page links to, each opened once."""
    seen, pages = {urlsplit(start.url).path}, [start]
    for url in start.links:
        parts = urlsplit(url)
        if not same_site(url) or parts.path in seen or parts.path.startswith(NOT_FOLLOWED):
            continue
        seen.add(parts.path)
        response = client.get(url)
        assert response.status_code < 400, f"{url}, linked from {start.url}: {response.status_code}"
        if response.headers.get("content-type", "").startswith("text/html"):
            pages.append(read(str(response.url), response.text))
    return pages


def tried(options: list[str]) -> list[str]:
    if len(options) <= CHOICES_TRIED:
        return options
    return [options[0], options[len(options) // 2], options[-1]]


def submissions(form: Form) -> list[list[tuple[str, str]]]:
    """The form untouched, then once per choice tried of each select."""
    sent = [form.as_sent()]
    for select in form.selects:
        sent += [form.as_sent(**{select.name: choice}) for choice in tried(select.options)]
    return sent


@pytest.mark.parametrize("username", [user[0] for user in DEMO_USERS])
def test_every_filter_form_answers_as_the_browser_sends_it(demo_client, username):
    pages = linked_pages(demo_client, landing(demo_client, username))
    forms = [(page, form) for page in pages for form in page.forms if form.method == "get"]
    assert forms or username == "demo-enterprise", f"{username} finds a filter form"
    for page, form in forms:
        for pairs in submissions(form):
            url = f"{form.action.split('?')[0]}?{urlencode(pairs)}"
            answer = demo_client.get(url)
            assert answer.status_code == 200, (
                f"{username} on {page.url}: the form to {form.action} sent {pairs}: "
                f"{answer.status_code}"
            )
