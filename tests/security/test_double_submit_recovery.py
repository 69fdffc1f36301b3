"""Issue 18, finding 10: the same recovery form sent twice at once, to two processes (a double
click behind a load balancer), made a UniqueViolation, a 500, once in three: both requests
looked for the entry the form's one-time key had made, found none, and both inserted it. The
second now gets the entry the first booked, as a form sent twice one after the other does."""

import contextlib
import re
import threading

from fastapi.testclient import TestClient
from sqlmodel import select

from liaison.projects.service import today
from liaison.recoveries import service
from liaison.recoveries.models import Recovery
from tests.disputes.test_web import setup_case
from tests.factories import csrf_token


def test_one_form_sent_twice_at_once_books_one_entry_and_answers_both(client, db, monkeypatch):
    _, _, project = setup_case(client, db)
    form = client.get(f"/projects/{project.id}/recoveries/new").text
    key = re.search(r'name="submission_key" value="([0-9a-f]+)"', form).group(1)  # type: ignore[union-attr]
    data = {
        "amount": "1,234.56",
        "recovered_on": today().isoformat(),
        "source": "电信诈骗返还",
        "submission_key": key,
        "csrf_token": csrf_token(client),
    }
    # Both requests look for the key's entry before either books it, as two processes may.
    looked = threading.Barrier(2)
    looking = service.submitted_before

    def look_then_meet(session, model, submission_key):  # type: ignore[no-untyped-def]
        found = looking(session, model, submission_key)
        with contextlib.suppress(threading.BrokenBarrierError):
            looked.wait(timeout=3)  # SQLite's writers go one at a time: the second never looks
        return found

    monkeypatch.setattr(service, "submitted_before", look_then_meet)
    answers: list[object] = []

    def send() -> None:
        # Its own client: its own event loop and its own database session, like a process.
        browser = TestClient(client.app, base_url="http://testserver", cookies=client.cookies)
        try:
            url = f"/projects/{project.id}/recoveries"
            answers.append(browser.post(url, data=data, follow_redirects=False))
        except Exception as exc:  # what a 500 is to the TestClient
            answers.append(exc)

    senders = [threading.Thread(target=send) for _ in range(2)]
    for sender in senders:
        sender.start()
    for sender in senders:
        sender.join()
    statuses = [getattr(a, "status_code", repr(a)) for a in answers]
    assert statuses == [303, 303], statuses
    [first, second] = [a.headers["location"] for a in answers]  # type: ignore[attr-defined]
    assert first == second
    db.expire_all()
    assert db.exec(select(Recovery.amount_fen)).all() == [1_234_56]
