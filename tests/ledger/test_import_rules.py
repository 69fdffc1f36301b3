"""The importer refuses what the domain services refuse: each rule lives in its service and the
importer asks it, so a row the web form would reject cannot come in by the ledger either."""

from sqlmodel import func, select

from liaison.desk.models import ServiceRequest
from liaison.hazards.models import Hazard
from liaison.org.models import Officer, Station
from liaison.projects.models import Project
from liaison.recoveries.models import Recovery
from tests.ledger.books import BASE, workbook
from tests.ledger.test_import import count, places, run


def reasons_at(plan, where):  # type: ignore[no-untyped-def]
    return [p.reason for p in plan.problems if (p.sheet, p.row, p.column) == where]


def test_import_refuses_a_recovery_dated_in_the_future(db):
    plan = run(db, workbook(**{"挽回损失__0__recovered_on": "2099-01-01"}))
    assert any("晚于今天" in r for r in reasons_at(plan, ("挽回损失", 2, "挽回日期"))), (
        plan.problems
    )
    assert count(db, Recovery) == count(db, Project) == 0


def test_import_refuses_a_hazard_found_in_the_future(db):
    plan = run(
        db,
        workbook(
            **{
                "隐患__0__found_on": "2099-01-01",
                "隐患__0__deadline": "2099-02-01",
                "隐患__0__status": "待整改",
                "隐患__0__closed_on": None,
            }
        ),
    )
    assert any("晚于今天" in r for r in reasons_at(plan, ("隐患", 2, "发现日期"))), plan.problems
    assert count(db, Hazard) == count(db, Project) == 0


def test_import_refuses_a_reversal_dated_before_its_entry(db):
    plan = run(db, workbook(**{"挽回损失__1__recovered_on": "2025-04-01"}))
    assert any("早于原记录" in r for r in reasons_at(plan, ("挽回损失", 3, "挽回日期"))), (
        plan.problems
    )
    assert count(db, Recovery) == 0


def test_import_refuses_a_reversal_of_an_imported_entry_dated_before_it(db):
    assert run(db, workbook()).ok
    later = {
        **BASE,
        "挽回损失": [
            BASE["挽回损失"][0],
            ["WH003", "XM001", "-50.00", "2025-01-01", "纠纷化解", "WH001", "612602", ""],
        ],
    }
    plan = run(db, workbook(later))
    assert any("早于原记录" in r for r in reasons_at(plan, ("挽回损失", 3, "挽回日期")))
    assert count(db, Recovery) == 2


def test_import_refuses_a_reversal_naming_another_project(db):
    assert run(db, workbook()).ok
    other = db.exec(select(Project).where(Project.code == "XM002")).one()

    def total(project):  # type: ignore[no-untyped-def]
        return db.exec(
            select(func.coalesce(func.sum(Recovery.amount_fen), 0)).where(
                Recovery.project_id == project.id
            )
        ).one()

    before = total(other)
    later = {
        **BASE,
        "挽回损失": [
            *BASE["挽回损失"],
            ["WH003", "XM002", "-50.00", "2025-05-01", "纠纷化解", "WH001", "612602", ""],
        ],
    }
    plan = run(db, workbook(later))
    assert any("项目" in r for r in reasons_at(plan, ("挽回损失", 4, "项目编号"))), plan.problems
    assert total(other) == before == 0
    assert count(db, Recovery) == 2


def test_import_refuses_a_reversal_in_the_file_naming_another_project(db):
    plan = run(db, workbook(**{"挽回损失__1__project": "XM002"}))
    assert ("挽回损失", 3, "项目编号") in places(plan)
    assert count(db, Recovery) == 0


def test_import_does_not_rewrite_a_citizens_rating(db):
    assert run(db, workbook(**{"诉求__0__satisfaction": "不满意"})).ok
    plan = run(db, workbook(**{"诉求__0__satisfaction": "满意"}))
    assert any("评价" in r for r in reasons_at(plan, ("诉求", 2, "满意度"))), plan.problems
    db.expire_all()
    assert db.exec(select(ServiceRequest)).one().satisfaction == "不满意"


def test_import_refuses_to_move_an_officer_who_holds_projects_as_the_form_does(db):
    assert run(db, workbook()).ok
    moved = {
        **BASE,
        "派出所": [*BASE["派出所"], ["S02", "开发区派出所"]],
        "民警": [["612601", "王警官", "S02", "13800000001"], BASE["民警"][1]],
    }
    plan = run(db, workbook(moved))
    # The officers' guard from the projects domain, the same words the officer form shows.
    assert any(
        "名下还有 1 个项目，请先改派" in r for r in reasons_at(plan, ("民警", 2, "单位编码"))
    ), plan.problems
    db.expire_all()
    officer = db.exec(select(Officer).where(Officer.badge_no == "612601")).one()
    assert db.get(Station, officer.station_id).code == "S01"
