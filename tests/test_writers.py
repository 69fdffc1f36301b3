"""Every write goes through its domain's service. While a test runs under `writers`, a hook
records, for each row a flush writes, the liaison modules whose code built or changed the
object; a row's writer must be its own domain's service (`liaison.hazards.service` for the
`hazard` table). The demo, the ledger import and the admin pages are run under it, and the
test also checks that the hook saw the services write, so that a hook gone blind cannot pass."""

import sys
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import SQLModel

from liaison import demo
from liaison.auth.roles import Role
from liaison.config import get_settings
from liaison.ledger import importer
from liaison.ledger.reader import open_source
from tests.factories import login_as, post
from tests.ledger.books import workbook
from tests.metrics.test_metrics import SMALL
from tests.outside.forms import read

# Modules every domain's writes pass through: the session, the audit hooks, the clock.
PLUMBING = ("liaison.db", "liaison.audit.service", "liaison.audit.chain")
# Tables whose rows another domain's service legitimately writes (the owner's name is the
# model module's package unless listed).
OWNERS = {"audit_log": "audit", "attachment": "attachments", "attachment_blob": "attachments"}

# A domain whose writes live in more than its `service` module: the modules that count.
SERVICES = {
    "audit": {"liaison.audit.service", "liaison.audit.retention"},
    "auth": {"liaison.auth.service", "liaison.auth.second_factor", "liaison.auth.throttle"},
    "desk": {"liaison.desk.service", "liaison.desk.retention"},
}

# What the demo and the import write through: each table with the service seen writing it.
EXPECTED = {
    ("station", "liaison.org.service"),
    ("officer", "liaison.org.service"),
    ("enterprise", "liaison.enterprises.service"),
    ("project", "liaison.projects.service"),
    ("assignment", "liaison.projects.service"),
    ("visit", "liaison.projects.service"),
    ("hazard", "liaison.hazards.service"),
    ("hazard_event", "liaison.hazards.service"),
    ("dispute", "liaison.disputes.service"),
    ("dispute_party", "liaison.disputes.service"),
    ("recovery", "liaison.recoveries.service"),
    ("service_request", "liaison.desk.service"),
    ("request_event", "liaison.desk.service"),
    ("notification", "liaison.notify.service"),
}


def _writer() -> str | None:
    """The innermost liaison module below the hook that is not plumbing."""
    frame = sys._getframe(2)
    while frame is not None:
        name = frame.f_globals.get("__name__", "")
        if name.startswith("liaison.") and not name.startswith(PLUMBING):
            return name
        frame = frame.f_back
    return None


def _owner(obj: object) -> str:
    table = obj.__table__.name  # type: ignore[attr-defined]
    return OWNERS.get(table) or type(obj).__module__.split(".")[1]


@pytest.fixture
def writers() -> Iterator[dict[str, set[tuple[str, str]]]]:
    """The (table, module) pairs written, `seen` all of them and `wrong` those written by a
    module other than the table's own service."""
    seen: set[tuple[str, str]] = set()
    wrong: set[tuple[str, str]] = set()

    def note(target: object, *_: object) -> None:
        module = _writer()
        if module is not None:
            sa.inspect(target).info.setdefault("writers", set()).add(module)

    def check(session: OrmSession, *_: object) -> None:
        for obj in [*session.new, *session.dirty]:
            owner = _owner(obj)
            table = obj.__table__.name  # type: ignore[attr-defined]
            for module in sa.inspect(obj).info.get("writers", ()):
                seen.add((table, module))
                if module not in SERVICES.get(owner, {f"liaison.{owner}.service"}):
                    wrong.add((table, module))

    hooks = [(mapper.class_, "init", note) for mapper in SQLModel._sa_registry.mappers]
    hooks += [
        (getattr(mapper.class_, attr.key), "set", note)
        for mapper in SQLModel._sa_registry.mappers
        for attr in mapper.column_attrs
    ]
    hooks.append((OrmSession, "before_flush", check))
    for target, name, fn in hooks:
        sa.event.listen(target, name, fn)
    try:
        yield {"seen": seen, "wrong": wrong}
    finally:
        for target, name, fn in hooks:
            sa.event.remove(target, name, fn)


def test_the_demo_the_import_and_the_admin_pages_write_through_the_services(client, db, writers):
    demo.load(db, get_settings())
    db.commit()
    with open_source(workbook(SMALL), "ledger.xlsx") as source:
        plan = importer.check(db, source, get_settings())
    assert plan.ok, plan.problems
    importer.apply(db, plan, by_user_id=None)
    db.commit()
    login_as(client, db, Role.ADMIN)
    page = client.get("/admin/service-levels")
    levels = read(str(page.url), page.text)
    saved = client.post(levels.forms[-1].action, data=dict(levels.forms[-1].as_sent()))
    assert saved.status_code == 200 and "已保存" in saved.text
    for url, form in (
        ("/admin/stations", {"code": "990001", "name": "测试派出所", "active": "on"}),
        ("/admin/calendar", {"day": "2031-01-02", "workday": "on", "note": "调休"}),
        ("/admin/calendar/2031-01-02/delete", {}),
    ):
        assert post(client, url, form, follow_redirects=False).status_code == 303, url
    assert not writers["wrong"], f"written around their service: {sorted(writers['wrong'])}"
    assert writers["seen"] >= EXPECTED, f"the hook missed: {sorted(EXPECTED - writers['seen'])}"
