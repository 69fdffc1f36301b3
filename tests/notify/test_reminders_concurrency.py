"""Two scans at once, as two workers run the same schedule: each reminder is made once."""

import threading

from sqlmodel import Session, func, select

from liaison import reminders
from liaison.auth.roles import Role
from liaison.config import get_settings
from liaison.notify.models import Notification, Reminder
from tests.factories import make_hazard, make_officer, make_project, make_request, make_user


def test_two_scans_at_once_make_each_reminder_once(db: Session, travel) -> None:  # type: ignore[no-untyped-def]
    officer = make_officer(db)
    make_user(db, Role.OFFICER, officer=officer)
    make_user(db, Role.LEADER)
    for _ in range(3):
        project = make_project(db, officer=officer)
        make_request(db, project)
        make_hazard(db, project, officer)
    make_request(db)
    travel.advance(days=40)  # every deadline passed, every escalation due

    made: list[int] = []
    start = threading.Barrier(2)

    def scanning() -> None:
        start.wait()
        made.append(reminders.scan(get_settings()))

    threads = [threading.Thread(target=scanning) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    count = func.count()
    reminded = db.exec(select(count).select_from(Reminder)).one()
    assert sum(made) == reminded > 20
    columns = (Notification.user_id, Notification.kind, Notification.url, Notification.body)
    told = db.exec(select(*columns, count).group_by(*columns)).all()
    assert told and all(n == 1 for *_, n in told)
    assert reminders.scan(get_settings()) == 0
