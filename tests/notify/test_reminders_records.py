"""The scan's reminders of a hazard's deadline, a 司法确认 deadline and a project's visit."""

from datetime import timedelta

from sqlmodel import Session, col, select

from liaison import reminders
from liaison.auth.models import User
from liaison.auth.roles import Role
from liaison.clock import today
from liaison.config import get_settings
from liaison.disputes import service as dispute_service
from liaison.disputes.schemas import AgreementIn
from liaison.notify.kinds import Kind
from liaison.notify.models import Notification
from liaison.org.models import Absence, Officer
from liaison.projects import service as project_service
from liaison.projects.models import Project, VisitKind
from tests.factories import login_as, make_dispute, make_hazard, make_officer, make_project


def scan() -> int:
    return reminders.scan(get_settings())


def told(db: Session, user: User, kind: Kind) -> list[str]:
    """The urls of the user's notifications of `kind`, oldest first."""
    rows = db.exec(
        select(Notification.url)
        .where(Notification.user_id == user.id, Notification.kind == kind.value)
        .order_by(col(Notification.id))
    ).all()
    return list(rows)


def officer_on_a_project(client, db: Session) -> tuple[User, Officer, Project]:  # type: ignore[no-untyped-def]
    officer = make_officer(db)
    user = login_as(client, db, Role.OFFICER, officer=officer)
    return user, officer, make_project(db, officer=officer)


def test_a_hazard_is_reminded_three_days_ahead_and_on_its_breach(client, db, travel):
    user, officer, project = officer_on_a_project(client, db)
    hazard = make_hazard(db, project, officer)  # a general hazard: 30 days
    url = f"/hazards/{hazard.id}"

    travel.advance(days=26)
    scan()
    assert told(db, user, Kind.HAZARD_DUE) == []
    travel.advance(days=1)
    scan()
    assert told(db, user, Kind.HAZARD_DUE) == [url]
    assert scan() == 0

    travel.advance(days=3)
    scan()
    assert told(db, user, Kind.HAZARD_BREACHED) == []
    travel.advance(days=1)
    scan()
    assert told(db, user, Kind.HAZARD_BREACHED) == [url]
    scan()
    assert told(db, user, Kind.HAZARD_DUE) == [url]
    assert told(db, user, Kind.HAZARD_BREACHED) == [url]
    assert client.get(url).status_code == 200


def test_the_handler_is_reminded_of_the_judicial_deadline_a_week_and_a_day_before(
    client, db, travel
):
    user, officer, project = officer_on_a_project(client, db)
    dispute = make_dispute(db, project, officer)
    agreement = AgreementIn(obligations="被申请人支付工资", judicial_confirmation=True)
    dispute_service.resolve(db, dispute, agreement, officer, by_user_id=None)
    db.commit()
    url = f"/disputes/{dispute.id}"

    travel.advance(days=22)
    scan()
    assert told(db, user, Kind.JUDICIAL_DUE) == []
    travel.advance(days=1)
    scan()
    assert told(db, user, Kind.JUDICIAL_DUE) == [url]
    travel.advance(days=5)
    scan()
    assert told(db, user, Kind.JUDICIAL_DUE) == [url]
    travel.advance(days=1)
    scan()
    scan()
    assert told(db, user, Kind.JUDICIAL_DUE) == [url, url]
    assert client.get(url).status_code == 200


def test_a_project_overdue_for_a_visit_is_reminded_once_until_the_next_visit(client, db, travel):
    user, officer, project = officer_on_a_project(client, db)
    url = f"/projects/{project.id}"
    interval = get_settings().visit_interval_days

    travel.advance(days=interval)
    scan()
    assert told(db, user, Kind.VISIT_OVERDUE) == []
    travel.advance(days=1)
    scan()
    scan()
    assert told(db, user, Kind.VISIT_OVERDUE) == [url]

    project_service.log_visit(
        db,
        project,
        officer,
        visit_date=today(),
        kind=VisitKind.VISIT,
        summary="走访",
        by_user_id=None,
    )
    db.commit()
    scan()
    assert told(db, user, Kind.VISIT_OVERDUE) == [url]
    travel.advance(days=interval + 1)
    scan()
    assert told(db, user, Kind.VISIT_OVERDUE) == [url, url]
    assert client.get(url).status_code == 200


def test_an_officer_away_has_the_hazard_reminders_go_to_the_duty_desk_without_a_backup(
    client, db, travel
):
    user, officer, project = officer_on_a_project(client, db)
    leader = login_as(client, db, Role.LEADER)
    hazard = make_hazard(db, project, officer)
    db.add(
        Absence(officer_id=officer.id or 0, starts_on=today(), ends_on=today() + timedelta(days=60))
    )
    db.commit()

    travel.advance(days=27)
    scan()
    assert told(db, leader, Kind.HAZARD_DUE) == [f"/hazards/{hazard.id}"]
    assert told(db, user, Kind.HAZARD_DUE) == []
