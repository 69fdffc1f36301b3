"""Assignments, the one-current-officer rule, archive, reassignment, auto-assign and visits."""

from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlmodel import Session, select

from liaison.config import get_settings
from liaison.db import get_engine
from liaison.org import service as org_service
from liaison.org.schemas import OfficerIn
from liaison.projects import queries, service
from liaison.projects.models import Assignment, VisitKind
from tests.factories import make_officer, make_project, make_station


def current_officer_id(db, project):
    term = service.current_assignment(db, project.id)
    return term.officer_id if term else None


def test_assigning_ends_the_previous_term_and_keeps_history(db):
    station = make_station(db)
    first, second = make_officer(db, station), make_officer(db, station)
    project = make_project(db, station, officer=first)
    service.assign_officer(db, project, second, by_user_id=None, reason="岗位调整")
    db.commit()
    terms = db.exec(
        select(Assignment).where(Assignment.project_id == project.id).order_by(Assignment.id)
    ).all()
    assert [(t.officer_id, t.end_date is None) for t in terms] == [
        (first.id, False),
        (second.id, True),
    ]
    assert terms[0].end_reason == "岗位调整"


@pytest.mark.parametrize("problem", ["other_station", "inactive", "same_officer"])
def test_assignment_is_refused_with_a_reason(db, problem):
    station = make_station(db)
    holder = make_officer(db, station)
    project = make_project(db, station, officer=holder)
    if problem == "other_station":
        candidate, message = make_officer(db, make_station(db)), "不属于本项目所在单位"
    elif problem == "inactive":
        candidate = make_officer(db, station)
        candidate.active = False
        db.add(candidate)
        db.commit()
        message = "已停用"
    else:
        candidate, message = holder, "已是本项目的项目警官"
    with pytest.raises(service.ProjectError, match=message) as refused:
        service.assign_officer(db, project, candidate, by_user_id=None, reason="x")
    assert refused.value.field == "officer_id"
    db.rollback()
    assert current_officer_id(db, project) == holder.id


def test_the_database_refuses_two_current_officers_even_by_plain_sql(db):
    station = make_station(db)
    project = make_project(db, station, officer=make_officer(db, station))
    other = make_officer(db, station)
    with Session(get_engine()) as session, pytest.raises(sa.exc.IntegrityError):
        session.exec(
            sa.text(
                "INSERT INTO assignment"
                " (project_id, officer_id, start_date, reason, end_reason, created_at)"
                " VALUES (:p, :o, '2026-01-01', '', '', '2026-01-01 00:00:00+00:00')"
            ).bindparams(p=project.id, o=other.id)
        )
        session.commit()


def test_archiving_ends_the_term_and_restoring_leaves_it_uncovered(db):
    station = make_station(db)
    project = make_project(db, station, officer=make_officer(db, station))
    service.archive_project(db, project, by_user_id=None)
    db.commit()
    assert current_officer_id(db, project) is None and project.archived_at is not None
    service.restore_project(db, project)
    db.commit()
    assert current_officer_id(db, project) is None


def test_an_officer_holding_projects_cannot_be_deactivated_or_moved(db):
    station = make_station(db)
    officer = make_officer(db, station)
    make_project(db, station, officer=officer)
    for changes, field in (
        ({"active": False}, "active"),
        ({"station_code": make_station(db).code}, "station_code"),
    ):
        arguments = {
            "badge_no": officer.badge_no,
            "name": officer.name,
            "phone": officer.phone,
            "station_code": station.code,
            "active": True,
            **changes,
        }
        with pytest.raises(org_service.OrgError, match="名下还有 1 个项目") as refused:
            org_service.save_officer(db, officer, OfficerIn(**arguments))
        assert refused.value.field == field
        db.rollback()


def test_reassign_all_hands_every_project_over_in_one_go(db):
    station = make_station(db)
    leaving, staying = make_officer(db, station), make_officer(db, station)
    projects = [make_project(db, station, officer=leaving) for _ in range(3)]
    assert service.reassign_all(db, leaving, staying, by_user_id=None, reason="调岗") == 3
    db.commit()
    assert {current_officer_id(db, p) for p in projects} == {staying.id}
    org_service.save_officer(
        db,
        leaving,
        OfficerIn(
            badge_no=leaving.badge_no,
            name=leaving.name,
            phone=None,
            station_code=station.code,
            active=False,
        ),
    )
    db.commit()
    assert not leaving.active


def test_auto_assign_balances_loads_within_each_station(db):
    north, south = make_station(db), make_station(db)
    busy, idle, spare = make_officer(db, north), make_officer(db, north), make_officer(db, north)
    for _ in range(3):
        make_project(db, north, officer=busy)
    make_project(db, north, officer=idle)
    uncovered = [make_project(db, north) for _ in range(5)]
    stranded = make_project(db, south)  # no officer in the south
    proposals, left_out = service.auto_assign_proposal(db, None)
    assert {p.project.id for p in proposals} == {p.id for p in uncovered}
    assert [p.id for p in left_out] == [stranded.id]
    picks = [p.officer.id for p in proposals]
    assert picks.count(busy.id) == 0  # 3 already; the others reach 3 and 3 at most
    loads = {busy.id: 3, idle.id: 1 + picks.count(idle.id), spare.id: picks.count(spare.id)}
    assert max(loads.values()) - min(loads.values()) <= 1
    service.confirm_auto_assign(
        db, [(p.project.id, p.officer.id) for p in proposals], by_user_id=None
    )
    db.commit()
    assert all(current_officer_id(db, p) is not None for p in uncovered)


def test_a_stale_auto_assign_proposal_changes_nothing(db):
    station = make_station(db)
    make_officer(db, station)
    late = make_officer(db, station)
    first, second = make_project(db, station), make_project(db, station)
    proposals, _ = service.auto_assign_proposal(db, [station.id])
    service.assign_officer(db, second, late, by_user_id=None, reason="抢先任命")
    db.commit()
    pairs = [(p.project.id, p.officer.id) for p in proposals]
    # As a request would: one transaction, rolled back when any pair fails.
    with Session(get_engine()) as request_session:
        with pytest.raises(service.ProjectError, match="已有项目警官"):
            service.confirm_auto_assign(request_session, pairs, by_user_id=None)
        request_session.rollback()
    assert current_officer_id(db, first) is None
    assert current_officer_id(db, second) == late.id


def test_visits_in_the_future_or_long_ago_are_refused(db):
    station = make_station(db)
    officer = make_officer(db, station)
    project = make_project(db, station, officer=officer)
    for day, message in (
        (service.today() + timedelta(days=1), "晚于今天"),
        (service.today() - timedelta(days=400), "一年前"),
    ):
        with pytest.raises(service.ProjectError, match=message):
            service.log_visit(
                db,
                project,
                officer,
                visit_date=day,
                kind=VisitKind.VISIT,
                summary="x",
                by_user_id=None,
            )


def test_a_project_is_overdue_once_the_interval_passes_without_a_visit(db):
    station = make_station(db)
    officer = make_officer(db, station)
    project = make_project(db, station, officer=officer)
    interval = get_settings().visit_interval_days
    today = service.today()

    def overdue_ids(on):
        query = queries.project_list_query(
            queries.Scope(everything=True),
            queries.ProjectFilter(overdue=True),
            today=on,
            interval_days=interval,
        )
        return [row[0].id for row in db.exec(query).all()]

    assert overdue_ids(today) == []  # assigned today, never visited: due in 30 days
    assert overdue_ids(today + timedelta(days=interval + 1)) == [project.id]
    service.log_visit(
        db,
        project,
        officer,
        visit_date=today,
        kind=VisitKind.PATROL,
        summary="巡查",
        by_user_id=None,
    )
    db.commit()
    assert overdue_ids(today + timedelta(days=interval)) == []
    assert overdue_ids(today + timedelta(days=interval + 1)) == [project.id]
    uncovered = make_project(db, station)
    assert overdue_ids(today) == [uncovered.id]  # no officer and never visited
