"""The hazard loop: every legal and illegal step, sign-off rules, deadlines and overdue."""

from datetime import timedelta

import pytest
from pydantic import ValidationError
from sqlmodel import select

from liaison.auth.roles import Role
from liaison.config import get_settings
from liaison.forms import validate
from liaison.hazards import service
from liaison.hazards.models import Hazard, HazardCategory, HazardEvent, HazardLevel, HazardStatus
from liaison.hazards.schemas import HazardIn
from liaison.hazards.sheet import COLUMNS
from liaison.projects.service import today
from tests.factories import make_hazard, make_officer, make_project, make_station, make_user
from tests.images import jpeg

S = HazardStatus


@pytest.fixture
def site(db):
    station = make_station(db)
    finder, colleague = make_officer(db, station), make_officer(db, station)
    project = make_project(db, station, officer=finder)
    return {"project": project, "finder": finder, "colleague": colleague}


def step(db, hazard, action, *, role=Role.OFFICER, officer=None, photos=(), user=None):
    return service.transition(
        db,
        hazard,
        action,
        comment="说明",
        role=role,
        by_user_id=user.id if user else None,
        officer_id=officer.id if officer else None,
        photos=list(photos),
    )


def test_the_whole_loop_to_sign_off_by_a_colleague(db, site):
    hazard = make_hazard(db, site["project"], site["finder"])
    assert hazard.status == S.OPEN and hazard.code.startswith(f"YH{today():%Y%m%d}-")
    step(db, hazard, "start", officer=site["finder"])
    step(db, hazard, "submit", officer=site["finder"], photos=[("整改后.jpg", jpeg())])
    step(db, hazard, "sign_off", officer=site["colleague"])
    db.commit()
    assert hazard.status == S.CLOSED and hazard.closed_on == today()
    actions = db.exec(
        select(HazardEvent.action)
        .where(HazardEvent.hazard_id == hazard.id)
        .order_by(HazardEvent.id)
    ).all()
    assert actions == ["found", "start", "submit", "sign_off"]


def test_a_failed_review_returns_to_rectification(db, site):
    hazard = make_hazard(db, site["project"], site["finder"])
    step(db, hazard, "start")
    step(db, hazard, "submit")
    step(db, hazard, "reject", role=Role.CHIEF)
    assert hazard.status == S.RECTIFYING


# The loop of PRODUCT.md, written out here rather than read from the service's own table: 待整改
# → 整改中 → 待复查 → 已销号, and a failed review back to 整改中.
LEGAL = {
    (S.OPEN, "start"),
    (S.RECTIFYING, "submit"),
    (S.REVIEW, "sign_off"),
    (S.REVIEW, "reject"),
}
ILLEGAL = [
    (status, action)
    for status in HazardStatus
    for action in ["start", "submit", "sign_off", "reject", "close_directly", ""]
    if (status, action) not in LEGAL
]


@pytest.mark.parametrize(("status", "action"), ILLEGAL)
def test_every_illegal_step_is_refused(db, site, status, action):
    hazard = make_hazard(db, site["project"], site["finder"])
    hazard.status = status.value
    hazard.closed_on = today() if status == S.CLOSED else None
    db.add(hazard)
    db.commit()
    with pytest.raises(service.HazardError, match="不能执行此操作"):
        step(db, hazard, action, role=Role.CHIEF)


def test_the_finder_cannot_sign_off(db, site):
    hazard = make_hazard(db, site["project"], site["finder"])
    step(db, hazard, "start")
    step(db, hazard, "submit", photos=[("后.jpg", jpeg())])
    with pytest.raises(service.HazardError, match="发现人和提交整改的人不能复查"):
        step(db, hazard, "sign_off", officer=site["finder"])
    with pytest.raises(service.HazardError, match="发现人和提交整改的人不能复查"):
        step(db, hazard, "reject", officer=site["finder"])
    # Nobody signs off a hazard they found, a chief included; a chief or leader who did not
    # find it may; an admin never.
    for role in (Role.CHIEF, Role.LEADER):
        assert not service.may_sign_off(db, hazard, role, site["finder"].id, None)
        assert service.may_sign_off(db, hazard, role, None, None)
    assert not service.may_sign_off(db, hazard, Role.ADMIN, None, None)


def test_who_sent_the_fix_for_review_cannot_review_it(db, site):
    """The colleague who did the fix and sent it for review is not the one to pass it."""
    fixer = make_user(db, Role.OFFICER, officer=site["colleague"])
    hazard = make_hazard(db, site["project"], site["finder"])
    step(db, hazard, "start", officer=site["colleague"], user=fixer)
    step(db, hazard, "submit", officer=site["colleague"], user=fixer, photos=[("后.jpg", jpeg())])
    with pytest.raises(service.HazardError, match="发现人和提交整改的人不能复查"):
        step(db, hazard, "sign_off", role=Role.CHIEF, officer=None, user=fixer)
    chief = make_user(db, Role.CHIEF, officer=make_officer(db))
    step(db, hazard, "sign_off", role=Role.CHIEF, officer=None, user=chief)
    assert hazard.status == S.CLOSED


def test_sign_off_needs_a_photo_taken_after_the_fix(db, site):
    hazard = make_hazard(db, site["project"], site["finder"], photos=[("发现时.jpg", jpeg())])
    step(db, hazard, "start")
    step(db, hazard, "submit")
    with pytest.raises(service.HazardError, match="整改后的照片") as refused:
        step(db, hazard, "sign_off", role=Role.CHIEF)
    assert refused.value.field == "photos"
    step(db, hazard, "sign_off", role=Role.CHIEF, photos=[("整改后.jpg", jpeg())])
    assert hazard.status == S.CLOSED


def test_every_step_needs_a_comment(db, site):
    hazard = make_hazard(db, site["project"], site["finder"])
    with pytest.raises(service.HazardError, match="请填写说明"):
        service.transition(
            db, hazard, "start", comment="  ", role=Role.OFFICER, by_user_id=None, officer_id=None
        )


@pytest.mark.parametrize(
    ("level", "days"),
    [(HazardLevel.MAJOR, 7), (HazardLevel.SERIOUS, 15), (HazardLevel.GENERAL, 30)],
)
def test_deadline_defaults_by_level(db, site, level, days):
    hazard = make_hazard(db, site["project"], site["finder"], level=level)
    assert hazard.deadline == hazard.found_on + timedelta(days=days)


def test_deadline_before_the_finding_date_is_refused_and_nothing_saved(db, site):
    data = HazardIn(
        category=HazardCategory.FIRE,
        level=HazardLevel.GENERAL,
        description="x",
        found_on=today(),
        deadline=today() - timedelta(days=1),
    )
    with pytest.raises(service.HazardError, match="整改期限不能早于发现日期") as refused:
        service.log_hazard(
            db, get_settings(), site["project"], site["finder"], data, by_user_id=None
        )
    assert refused.value.field == "deadline"
    db.rollback()
    assert db.exec(select(Hazard)).all() == []


def test_overdue_means_open_past_its_deadline(db, site):
    hazard = make_hazard(db, site["project"], site["finder"], level=HazardLevel.MAJOR)
    assert not service.is_overdue(hazard, hazard.deadline)
    assert service.is_overdue(hazard, hazard.deadline + timedelta(days=1))
    hazard.status, hazard.closed_on = S.CLOSED.value, today()
    assert not service.is_overdue(hazard, hazard.deadline + timedelta(days=1))


def test_complex_areas_use_their_own_words(db, site):
    area = make_hazard(db, site["project"], site["finder"], category=HazardCategory.COMPLEX_AREA)
    assert service.status_label(area) == "已排查"
    step(db, area, "start")
    assert (
        service.status_label(area) == "挂牌整治中"
        and service.step_label("sign_off", True) == "验收摘牌"
    )


def test_the_input_refuses_what_the_table_would_refuse_in_chinese_beside_each_field():
    typed = {
        "category": "火灾",
        "level": "重大",
        "description": "长" * 2001,
        "location": "东" * 256,
        "found_on": "2025-13-01",
        "deadline": "",
        "responsible_party": "",
    }
    data, errors = validate(HazardIn, typed)
    assert data is None and errors == {
        "category": "请从列表中选择",
        "description": "最多 2000 个字符",
        "location": "最多 255 个字符",
        "found_on": "请填写有效日期（YYYY-MM-DD）",
    }
    data, errors = validate(
        HazardIn,
        {
            **typed,
            "category": "消防安全",
            "description": "x",
            "location": "",
            "found_on": "2025-03-01",
        },
    )
    assert errors == {} and data is not None and data.deadline is None
    with pytest.raises(ValidationError):
        HazardIn(
            category=HazardCategory.FIRE,
            level=HazardLevel.GENERAL,
            description="",
            found_on=today(),
        )


def test_a_hazard_found_after_today_is_refused_by_the_service(db, site):
    data = HazardIn(
        category=HazardCategory.FIRE,
        level=HazardLevel.GENERAL,
        description="x",
        found_on=today() + timedelta(days=1),
    )
    with pytest.raises(service.HazardError, match="发现日期不能晚于今天") as refused:
        service.log_hazard(
            db, get_settings(), site["project"], site["finder"], data, by_user_id=None
        )
    assert refused.value.field == "found_on"


def test_the_ledger_sheet_keeps_its_headers_read_from_the_declarations():
    """PRODUCT.md, Contracts 1: the 隐患 sheet's headers, their order and which are required."""
    assert [c.title for c in COLUMNS] == [
        "隐患编号*",
        "项目编号*",
        "类别*",
        "等级*",
        "描述*",
        "发现日期*",
        "发现人警号*",
        "整改期限*",
        "状态*",
        "销号日期",
    ]
