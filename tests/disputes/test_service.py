"""Mediation: outcomes, the agreement, performance, the recovery booked exactly once."""

from datetime import timedelta

import pytest
from pydantic import ValidationError
from sqlmodel import func, select

from liaison.disputes import service
from liaison.disputes.schemas import (
    AgreementIn,
    DisputeIn,
    DisputeType,
    PartyIn,
    PartyRole,
    Performance,
)
from liaison.projects.service import today
from liaison.recoveries.models import Recovery
from tests.factories import make_dispute, make_officer, make_project, make_station


@pytest.fixture
def case(db):
    station = make_station(db)
    handler = make_officer(db, station)
    project = make_project(db, station, officer=handler)
    return {"project": project, "handler": handler}


def agreement(**overrides):  # type: ignore[no-untyped-def]
    return AgreementIn(
        **{
            "obligations": "分两期支付",
            "agreement_fen": 80_000_00,
            "book_recovery": True,
            **overrides,
        }
    )


def test_a_resolved_dispute_books_its_recovery_once(db, case):
    dispute = make_dispute(db, case["project"], case["handler"])
    service.resolve(db, dispute, agreement(), case["handler"], by_user_id=None)
    db.commit()
    assert dispute.status == "调解成功" and dispute.performance == "履行中"
    with pytest.raises(service.DisputeError, match="不能重复办结"):
        service.resolve(db, dispute, agreement(), case["handler"], by_user_id=None)
    db.rollback()
    booked = db.exec(select(Recovery).where(Recovery.dispute_id == dispute.id)).all()
    assert [(r.amount_fen, r.source) for r in booked] == [(80_000_00, "纠纷化解")]


def test_a_wrong_id_number_saves_nothing(db, case):
    parties = [PartyIn(role=PartyRole.APPLICANT, name="李四", id_number="110105194912310021")]
    with pytest.raises(service.DisputeError, match="校验位"):
        service.open_case(
            db,
            case["project"],
            case["handler"],
            DisputeIn(
                type=DisputeType.CONTRACT, facts="合同款", received_on=today(), parties=parties
            ),
            by_user_id=None,
        )


def test_failure_and_transfer_need_reasons_and_close_the_case(db, case):
    failed = make_dispute(db, case["project"], case["handler"])
    with pytest.raises(service.DisputeError):
        service.fail(db, failed, " ")
    service.fail(db, failed, "双方分歧过大")
    moved = make_dispute(db, case["project"], case["handler"])
    service.transfer(db, moved, "区人民法院", "涉及诉讼")
    db.commit()
    assert (failed.status, moved.status, moved.transferred_to) == (
        "调解失败",
        "已移交",
        "区人民法院",
    )


def test_performance_then_follow_up_and_the_judicial_window(db, case):
    dispute = make_dispute(db, case["project"], case["handler"])
    service.resolve(
        db,
        dispute,
        agreement(judicial_confirmation=True, book_recovery=False),
        case["handler"],
        by_user_id=None,
    )
    assert service.judicial_deadline(dispute) == today() + timedelta(days=30)
    service.set_performance(db, dispute, Performance.PERFORMED)
    with pytest.raises(service.DisputeError):
        service.set_performance(db, dispute, Performance.DEFAULTED)
    service.follow_up(db, dispute, visited_on=today(), summary="工资已到位", by_user_id=None)
    db.commit()
    assert db.exec(select(func.count()).select_from(Recovery)).one() == 0


def test_a_case_input_refuses_what_its_columns_would(db, case):
    with pytest.raises(ValidationError) as refused:
        DisputeIn.model_validate(
            {
                "type": "其他",
                "facts": "",
                "received_on": today(),
                "parties": [{"role": "申请人", "name": "甲", "phone": "139-0000"}],
            }
        )
    assert {e["loc"] for e in refused.value.errors()} == {("facts",), ("parties", 0, "phone")}
    with pytest.raises(ValidationError):
        PartyIn(role=PartyRole.APPLICANT, name="x" * 65)
    with pytest.raises(ValidationError):
        AgreementIn(obligations="付款", agreement_fen=-1)


def test_the_service_refuses_a_case_without_an_applicant_or_received_tomorrow(db, case):
    respondent = [PartyIn(role=PartyRole.RESPONDENT, name="某公司")]
    for received, parties, field in (
        (today(), respondent, "parties"),
        (
            today() + timedelta(days=1),
            [PartyIn(role=PartyRole.APPLICANT, name="甲")],
            "received_on",
        ),
    ):
        with pytest.raises(service.DisputeError) as refused:
            service.open_case(
                db,
                case["project"],
                case["handler"],
                DisputeIn(type=DisputeType.OTHER, facts="x", received_on=received, parties=parties),
                by_user_id=None,
            )
        assert refused.value.field == field


def test_a_case_keeps_the_number_it_comes_with_and_a_number_is_used_once(db, case):
    def opened(code: str):  # type: ignore[no-untyped-def]
        applicant = PartyIn(role=PartyRole.APPLICANT, name="甲", id_number="11010519491231002x")
        return service.open_case(
            db,
            case["project"],
            case["handler"],
            DisputeIn(
                code=code,
                type=DisputeType.OTHER,
                facts="x",
                received_on=today(),
                parties=[applicant],
            ),
            by_user_id=None,
        )

    dispute = opened("JF20240101-0007")
    assert dispute.code == "JF20240101-0007"
    assert [p.id_number for p in service.parties(db, dispute)] == ["11010519491231002X"]
    with pytest.raises(service.DisputeError, match="已被使用"):
        opened("JF20240101-0007")
    assert opened("").code.startswith(f"JF{today():%Y%m%d}-")
