"""Every POST form the crawler finds (tests/outside/test_crawl.py) on the pages each demo login
reaches, sent as people send it wrong: empty, as a person who taps 提交 too soon does, and then
with one typical bad value in one field, the others filled validly from the page itself. The
answer is each time a 4xx with a message in Chinese beside the field, the values typed kept in
the form shown again, and nothing written. What is bad is read from the rendered form, never
from the app's code: a date of when something happened that lies in the future, a text one
character over its own `maxlength`, a PDF named .jpg where only images are accepted, and
numbers no amount or count can be."""

import re
from datetime import date, timedelta
from urllib.parse import urljoin, urlsplit

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, func, select

from liaison.audit.models import AuditLog
from tests.outside import markup
from tests.outside.test_crawl import crawl, landing

WRITES = ("create", "update", "delete")
# Logins whose pages hold the forms people fill (the auditor's hold none).
FILLERS = [
    "demo-officer",
    "demo-chief",
    "demo-leader",
    "demo-admin",
    "demo-security",
    "demo-enterprise",
]

# A date input means "when it happened" by its label: the day something was found, visited,
# received, recovered…, or a bare 日期 under a heading that says so (登记走访); such a day
# cannot lie ahead. A label naming a deadline (期限, 截止, 到期, 履行…前) or a day planned (a
# calendar's day) may take a future date.
HAPPENED = re.compile(r"发现|走访|拜访|来访|接收|收到|受理|接报|追回|挽回|发生|登记|办结|完成")
DEADLINE = re.compile(r"期限|截止|到期|之前|以前|计划|预计")
FUTURE = date.today() + timedelta(days=400)
PAST = date.today() - timedelta(days=10)
# Numbers no count, amount or number of hours can be.
BAD_NUMBERS = ("1e999999", "-1", "NaN")
# A PDF, named as a photo.
PDF_AS_JPG = (
    "photo.jpg",
    b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n",
)
# A text for any field that asks for one: long enough for one that wants a few words.
FILLER = "请核实现场情况并反馈处理结果"
CJK = re.compile(r"[\u4e00-\u9fff]")
KINDS = ("future-date", "too-long", "pdf-as-jpg", "bad-number")

_walks: dict[str, list[str]] = {}


def form_pages(client: TestClient, username: str) -> list[str]:
    """The first page of each kind the login reaches, walked once per run; logged in again."""
    if username not in _walks:
        _walks[username] = list(crawl(client, username, checking=False).kinds.values())
    client.cookies.clear()
    landing(client, username)
    return _walks[username]


def controls(form: markup.Element) -> list[markup.Element]:
    return [
        e
        for e in form.walk()
        if e.tag in ("input", "textarea", "select")
        and e.attrs.get("name")
        and "disabled" not in e.attrs
    ]


def kind_of(e: markup.Element) -> str:
    return e.tag if e.tag != "input" else e.attrs.get("type", "text").lower()


def asking_forms(html: str) -> list[tuple[str, list[tuple[str, str]], markup.Element]]:
    """Each POST form with a required field a person fills: (action, its hidden fields)."""
    found = []
    for method, action, form in markup.forms(html):
        fills = [
            e
            for e in controls(form)
            if "required" in e.attrs and kind_of(e) not in ("hidden", "checkbox", "radio", "file")
        ]
        if method == "post" and fills:
            found.append((action, hidden_and_clicked(form), form))
    return found


def hidden_and_clicked(form: markup.Element) -> list[tuple[str, str]]:
    """The hidden fields and the name and value of the button a browser sends: the first."""
    hidden = [
        (e.attrs["name"], e.attrs.get("value", ""))
        for e in controls(form)
        if kind_of(e) == "hidden"
    ]
    buttons = [e for e in form.walk() if e.tag == "button" and e.attrs.get("name")]
    clicked = [(buttons[0].attrs["name"], buttons[0].attrs.get("value", ""))] if buttons else []
    return hidden + clicked


def writes(db: Session) -> int:
    return db.exec(
        select(func.count()).select_from(AuditLog).where(AuditLog.action.in_(WRITES))
    ).one()


def heading(form: markup.Element) -> str:
    """The title of the part of the page that holds the form: its nearest heading."""
    for holder in form.ancestors():
        titles = [c for c in holder.children if c.tag in ("h1", "h2", "h3", "legend")]
        if titles:
            return titles[0].words()
    return ""


def posting_forms(client: TestClient, username: str):  # type: ignore[no-untyped-def]
    """(page, target, form element, the page's labels by control id, the form's heading under
    the key "") of each POST form the login reaches, each target once."""
    tried: set[str] = set()
    for url in form_pages(client, username):
        html = client.get(url).text
        root = markup.parse(html)
        labels = {
            e.attrs["for"]: e.words() for e in root.walk() if e.tag == "label" and "for" in e.attrs
        }
        for method, action, form in markup.forms(html):
            target = urljoin(url, action or url)
            if method == "post" and target not in tried:
                tried.add(target)
                yield url, target, form, {**labels, "": heading(form)}


@pytest.mark.parametrize("username", FILLERS)
def test_every_form_sent_empty_says_what_is_missing_beside_it_and_writes_nothing(
    demo_client, demo_db, username
):
    client, sent = demo_client, 0
    tried: set[str] = set()
    for url in form_pages(client, username):
        for action, hidden, form in asking_forms(client.get(url).text):
            target = urljoin(url, action or url)
            if target in tried:
                continue
            tried.add(target)
            before = writes(demo_db)
            answer = client.post(target, data=dict(hidden), follow_redirects=False)
            where = f"{username} on {url}: {form.describe()} → {target}"
            assert 400 <= answer.status_code < 500, f"{where}: {answer.status_code}"
            assert 'class="error"' in answer.text, f"{where}: no message beside a field"
            assert writes(demo_db) == before, f"{where}: wrote something"
            sent += 1
    print(f"\n{username}: {sent} forms sent empty")
    assert sent > 0 or username == "demo-enterprise"


# -- one bad value, the rest valid --------------------------------------------------------------


def label_of(e: markup.Element, labels: dict[str, str]) -> str:
    return labels.get(e.attrs.get("id", ""), "")


def is_deadline(e: markup.Element, labels: dict[str, str]) -> bool:
    return bool(DEADLINE.search(label_of(e, labels))) or bool(
        re.search(r"deadline|due|_by$|until", e.attrs["name"])
    )


def numeric(e: markup.Element) -> bool:
    return kind_of(e) == "number" or e.attrs.get("inputmode") in ("numeric", "decimal")


def a_valid(e: markup.Element, labels: dict[str, str], *, filled: bool = False) -> list[str]:
    """What a person validly puts in the control: what the page shows in it, else (when it is
    required, or `filled` as one of the bad field's row) a value of its kind within its
    length; a required select's first choice."""
    kind = kind_of(e)
    if kind == "select":
        options = [o for o in e.walk() if o.tag == "option" and "disabled" not in o.attrs]
        values = [o.attrs.get("value", o.words().strip()) for o in options]
        chosen = [v for o, v in zip(options, values, strict=True) if "selected" in o.attrs]
        if "multiple" in e.attrs:
            return chosen
        if "required" not in e.attrs:
            return chosen[-1:] or values[:1]  # as a browser sends it
        return chosen[-1:] or [v for v in values if v][:1]
    if kind in ("checkbox", "radio"):
        return [e.attrs.get("value", "on")] if "checked" in e.attrs else []
    if kind in ("file", "submit", "button", "image", "reset"):
        return []
    shown = e.words() if kind == "textarea" else e.attrs.get("value", "")
    if shown or kind == "password" or not (filled or "required" in e.attrs):
        return [shown]  # an optional field left blank is valid
    if kind in ("date", "datetime-local"):
        day = date.today() + timedelta(days=30) if is_deadline(e, labels) else PAST
        return [day.isoformat() + ("T09:00" if kind == "datetime-local" else "")]
    if kind == "tel":
        return ["13800138000"]
    if kind == "email":
        return ["someone@example.com"]
    if numeric(e):
        return ["1"]
    return [FILLER[: int(e.attrs.get("maxlength") or len(FILLER))]]


def bad_values(kind: str, e: markup.Element, labels: dict[str, str]) -> list[str]:
    """The bad values of `kind` the control is sent, one at a time (none if it is not such a
    control)."""
    control = kind_of(e)
    if kind == "future-date" and control in ("date", "datetime-local"):
        meaning = label_of(e, labels)
        if meaning.strip(" *") == "日期":
            meaning += labels[""]
        if not HAPPENED.search(meaning) or is_deadline(e, labels):
            return []
        return [FUTURE.isoformat() + ("T09:00" if control == "datetime-local" else "")]
    if (
        kind == "too-long"
        and e.attrs.get("maxlength")
        and control in ("text", "tel", "textarea", "search", "email")
    ):
        over = int(e.attrs["maxlength"]) + 1
        return ["1" * over if numeric(e) else "长" * over]
    if kind == "bad-number" and (numeric(e) and control in ("text", "number")):
        return list(BAD_NUMBERS)
    if kind == "pdf-as-jpg" and control == "file":
        accepted = [a.strip() for a in e.attrs.get("accept", "").split(",") if a.strip()]
        images_only = accepted and all(
            a.startswith("image/") or a in (".jpg", ".jpeg", ".png", ".webp") for a in accepted
        )
        return ["photo.jpg"] if images_only else []
    return []


def shown_again(html: str, target: str, name: str) -> markup.Element | None:
    """The control `name` of the form to `target` in the page answered."""
    path = urlsplit(target).path
    forms = [
        f
        for _, action, f in markup.forms(html)
        if urlsplit(urljoin(target, action or target)).path == path
    ]
    for form in forms or [markup.parse(html)]:
        found = [e for e in controls(form) if e.attrs["name"] == name]
        if found:
            return found[0]
    return None


def judged(answer, target: str, name: str, value: str, is_file: bool) -> str | None:  # type: ignore[no-untyped-def]
    """What is wrong with the answer to one bad value, or None."""
    if not 400 <= answer.status_code < 500:
        return f"answered {answer.status_code}"
    control = shown_again(answer.text, target, name)
    if control is None:
        return "the form is not shown again"
    root = markup.parse(answer.text)
    messages = [
        e.words().strip()
        for ref in control.attrs.get("aria-describedby", "").split()
        for e in root.walk()
        if e.attrs.get("id") == ref
    ]
    if not any(CJK.search(m) for m in messages):
        described = control.attrs.get("aria-describedby")
        return f"no message in Chinese beside it (aria-describedby={described!r})"
    if not is_file:
        kept = control.words() if control.tag == "textarea" else control.attrs.get("value", "")
        if kept != value:
            return f"the value typed is not kept: {kept[:40]!r}"
    return None


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("username", FILLERS)
def test_every_form_sent_one_bad_value_refuses_it_beside_its_field_and_writes_nothing(
    demo_client, demo_db, username, kind
):
    client, sent, failures = demo_client, 0, []
    for url, target, form, labels in list(posting_forms(client, username)):
        fields = [c for c in controls(form) if kind_of(c) not in ("hidden", "submit", "button")]
        seen_shapes: set[str] = set()
        for bad in fields:
            values = bad_values(kind, bad, labels)
            name = bad.attrs["name"]
            alike = re.sub(r"_\d+$", "", name)  # party_name_0…3 are one field, tried once
            if not values or alike in seen_shapes:
                continue
            seen_shapes.add(alike)
            for value in values:
                data = hidden_and_clicked(form)
                row = re.search(r"_\d+$", name)  # party_phone_0: its row's party_name_0 too
                for other in fields:
                    if other is not bad:
                        filled = bool(row) and other.attrs["name"].endswith(row.group())  # type: ignore[union-attr]
                        data += [
                            (other.attrs["name"], v) for v in a_valid(other, labels, filled=filled)
                        ]
                is_file = kind == "pdf-as-jpg"
                files = None
                if is_file:
                    files = [(name, (PDF_AS_JPG[0], PDF_AS_JPG[1], "image/jpeg"))]
                else:
                    data.append((name, value))
                form_data: dict[str, list[str]] = {}
                for key, v in data:
                    form_data.setdefault(key, []).append(v)
                before = writes(demo_db)
                answer = client.post(target, data=form_data, files=files, follow_redirects=False)
                wrong = judged(answer, target, name, value, is_file)
                if writes(demo_db) != before:
                    wrong = f"{wrong or 'refused'}, and wrote something"
                if wrong:
                    label = label_of(bad, labels)
                    failures.append(
                        f"{username} on {url}: {form.describe()} → {target}: "
                        f"{name} ({label}) = {value[:20]!r}: {wrong}"
                    )
                sent += 1
    print(f"\n{username} {kind}: {sent} sent")
    assert failures == [], "\n".join(failures)
