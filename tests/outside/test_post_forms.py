"""Every form that asks for something, sent empty, as a person who taps 提交 too soon does: the
answer is a 4xx with a message beside a field of that form, and nothing is written. The forms
are the ones the crawler finds on the pages each demo login reaches (tests/outside/test_crawl.py),
posted exactly as rendered but with every field the person fills left blank."""

from urllib.parse import urljoin

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, func, select

from liaison import demo
from liaison.app import create_app
from liaison.audit.models import AuditLog
from liaison.config import get_settings
from tests.outside import markup
from tests.outside.test_crawl import crawl, landing

WRITES = ("create", "update", "delete")
# Logins whose pages hold the forms people fill (the auditor's hold none).
FILLERS = ["demo-officer", "demo-chief", "demo-leader", "demo-admin", "demo-enterprise"]


def asking_forms(html: str) -> list[tuple[str, list[tuple[str, str]], markup.Element]]:
    """Each POST form with a required field a person fills: (action, its hidden fields)."""
    found = []
    for method, action, form in markup.forms(html):
        fills = [
            e
            for e in form.walk()
            if e.tag in ("input", "textarea", "select")
            and "required" in e.attrs
            and e.attrs.get("type", "text") not in ("hidden", "checkbox", "radio", "file")
        ]
        if method != "post" or not fills:
            continue
        hidden = [
            (e.attrs["name"], e.attrs.get("value", ""))
            for e in form.walk()
            if e.tag == "input" and e.attrs.get("type") == "hidden" and e.attrs.get("name")
        ]
        # A browser sends the name and value of the button that was tapped: the first.
        buttons = [e for e in form.walk() if e.tag == "button" and e.attrs.get("name")]
        clicked = [(buttons[0].attrs["name"], buttons[0].attrs.get("value", ""))] if buttons else []
        found.append((action, hidden + clicked, form))
    return found


def writes(db: Session) -> int:
    return db.exec(
        select(func.count()).select_from(AuditLog).where(AuditLog.action.in_(WRITES))
    ).one()


@pytest.mark.parametrize("username", FILLERS)
def test_every_form_sent_empty_says_what_is_missing_beside_it_and_writes_nothing(
    db, username, monkeypatch
):
    demo.load(db, get_settings())
    db.commit()
    sent = 0
    with TestClient(create_app(), base_url="http://testserver") as client:
        kinds = crawl(client, username, checking=False).kinds
        client.cookies.clear()
        landing(client, username)
        tried: set[str] = set()
        for url in kinds.values():
            page = client.get(url)
            for action, hidden, form in asking_forms(page.text):
                target = urljoin(url, action or url)
                if target in tried:
                    continue
                tried.add(target)
                before = writes(db)
                answer = client.post(target, data=dict(hidden), follow_redirects=False)
                where = f"{username} on {url}: {form.describe()} → {target}"
                assert 400 <= answer.status_code < 500, f"{where}: {answer.status_code}"
                assert 'class="error"' in answer.text, f"{where}: no message beside a field"
                assert writes(db) == before, f"{where}: wrote something"
                sent += 1
    print(f"\n{username}: {sent} forms sent empty")
    assert sent > 0 or username == "demo-enterprise"
