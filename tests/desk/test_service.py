"""The desk's rules: one request per submission, routing, tracking, the cycle, the rating."""

import re
from datetime import timedelta

import pytest
from pydantic import ValidationError
from sqlmodel import func, select

from liaison.config import get_settings
from liaison.desk import numbers, service
from liaison.desk.models import Channel, RequestEvent, RequestType, Satisfaction, ServiceRequest
from liaison.desk.schemas import RequestIn
from tests.factories import TRACKING_NO, make_officer, make_project, make_station

S = service.S


def submission(**overrides):  # type: ignore[no-untyped-def]
    return RequestIn(
        **{
            "type": RequestType.HELP,
            "content": "工地夜间有人偷电缆",
            "submitter_name": "李经理",
            "submitter_phone": "13812345678",
            **overrides,
        }
    )


def test_a_projects_request_goes_to_its_officer_and_others_to_the_duty_desk(db):
    station = make_station(db)
    officer = make_officer(db, station)
    project = make_project(db, station, officer=officer)
    routed, _ = service.submit(
        db, submission(channel=Channel.QR), settings=get_settings(), project=project
    )
    desk, _ = service.submit(db, submission(), settings=get_settings())
    db.commit()
    # Sent from the project's poster, it is not the enterprise's own request: not shown to it.
    assert (routed.officer_id, routed.station_id, routed.enterprise_id) == (
        officer.id,
        station.id,
        None,
    )
    assert (desk.officer_id, desk.station_id) == (None, None)
    assert re.fullmatch(TRACKING_NO, routed.tracking_no) and routed.tracking_no != desk.tracking_no


def test_the_same_submission_twice_makes_one_request(db):
    first, created = service.submit(db, submission(), settings=get_settings(), submission_key="abc")
    again, created_again = service.submit(
        db, submission(), settings=get_settings(), submission_key="abc"
    )
    db.commit()
    assert created and not created_again and first.id == again.id
    assert db.exec(select(func.count()).select_from(ServiceRequest)).one() == 1


def test_a_drawn_number_already_given_is_drawn_again(db, monkeypatch):
    drawn = iter("A" * 8 + "A" * 8 + "B" * 8)  # the second request first draws the first's
    monkeypatch.setattr(numbers.secrets, "choice", lambda alphabet: next(drawn))
    first, _ = service.submit(db, submission(), settings=get_settings())
    second, _ = service.submit(db, submission(content="围挡被推倒了"), settings=get_settings())
    db.commit()
    assert (first.tracking_no[-9:], second.tracking_no[-9:]) == ("AAAA-AAAA", "BBBB-BBBB")


def test_tracking_needs_the_number_and_the_last_four_digits(db):
    request, _ = service.submit(db, submission(), settings=get_settings())
    db.commit()
    assert service.find_for_tracking(db, request.tracking_no, "5678").id == request.id
    assert service.find_for_tracking(db, request.tracking_no.lower(), "5678").id == request.id
    for number, last4 in (
        (request.tracking_no, "1234"),
        ("YY20990101-0001", "5678"),
        (request.tracking_no, ""),
    ):
        assert service.find_for_tracking(db, number, last4) is None


def test_the_whole_cycle_with_a_reopening(db):
    request, _ = service.submit(db, submission(), settings=get_settings())
    service.accept(db, request, by_user_id=None)
    assert request.first_response_at is not None
    service.reply(db, request, "内部：已联系巡逻组", public=False, by_user_id=None)
    assert request.status == S.IN_PROGRESS
    service.reply(db, request, "已加强夜间巡逻", public=True, by_user_id=None)
    service.close(db, request, "抓获嫌疑人一名", by_user_id=None)
    assert request.status == S.CLOSED and request.closed_at is not None
    service.rate(
        db, request, Satisfaction.UNSATISFIED, settings=get_settings(), reason="仍有人偷电缆"
    )
    assert request.status == S.IN_PROGRESS and request.reopened and request.satisfaction is None
    service.close(db, request, "追回电缆", by_user_id=None)
    service.rate(
        db, request, Satisfaction.UNSATISFIED, settings=get_settings(), reason="赔偿未到位"
    )  # a second 不满意 does not reopen again
    assert request.status == S.CLOSED and request.satisfaction == "不满意"
    with pytest.raises(service.DeskError, match="已评价"):
        service.rate(db, request, Satisfaction.SATISFIED, settings=get_settings())


def test_illegal_steps_and_empty_reasons_are_refused(db):
    request, _ = service.submit(db, submission(), settings=get_settings())
    with pytest.raises(service.DeskError, match="不能执行"):
        service.close(db, request, "x", by_user_id=None)
    with pytest.raises(service.DeskError, match="理由"):
        service.decline(db, request, " ", by_user_id=None)
    service.decline(db, request, "不属于公安机关职责", by_user_id=None)
    with pytest.raises(service.DeskError, match="不能执行"):
        service.accept(db, request, by_user_id=None)


def test_service_levels_default_to_24_hours_and_7_days(db):
    request, _ = service.submit(db, submission(), settings=get_settings())
    assert request.respond_by - request.received_at == timedelta(hours=24)
    assert request.close_by - request.received_at == timedelta(days=7)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("submitter_phone", "0591-87654321"),  # a landline: no last 4 digits of a mobile to track
        ("submitter_phone", ""),
        ("submitter_name", ""),
        ("content", ""),
        ("content", "长" * 2001),
        ("type", "闲聊"),
    ],
)
def test_a_request_in_refuses_what_the_desk_cannot_take(field, value):
    with pytest.raises(ValidationError) as refused:
        submission(**{field: value})
    assert refused.value.errors()[0]["loc"] == (field,)


def test_a_request_in_takes_the_forms_names_and_files_a_blank_topic_under_other():
    data = RequestIn.model_validate(
        {
            "type": "求助",
            "topic": "",
            "content": "工地夜间有人偷电缆",
            "name": "李",
            "phone": "13812345678",
        }
    )
    assert (data.submitter_name, data.submitter_phone, data.topic, data.channel) == (
        "李",
        "13812345678",
        "其他",
        Channel.WEB,
    )


def test_a_submitted_request_keeps_what_its_input_says(db):
    request, _ = service.submit(
        db,
        submission(channel=Channel.PHONE, topic="治安秩序", enterprise_name="星河智能"),
        settings=get_settings(),
    )
    db.commit()
    db.refresh(request)
    assert (request.channel, request.topic, request.type, request.phone_last4) == (
        "电话",
        "治安秩序",
        "求助",
        "5678",
    )
    assert (request.submitter_name, request.enterprise_name) == ("李经理", "星河智能")


def test_a_dissatisfied_rating_says_why_and_the_reopened_request_carries_it(db):
    request, _ = service.submit(db, submission(), settings=get_settings())
    service.accept(db, request, by_user_id=None)
    service.close(db, request, "已处理", by_user_id=None)
    with pytest.raises(service.DeskError, match="请说明不满意的原因") as refused:
        service.rate(db, request, Satisfaction.UNSATISFIED, settings=get_settings(), reason=" ")
    assert refused.value.field == "reason" and request.status == S.CLOSED
    service.rate(
        db, request, Satisfaction.UNSATISFIED, settings=get_settings(), reason="电缆又被盗"
    )
    assert request.status == S.IN_PROGRESS
    events = db.exec(select(RequestEvent).where(RequestEvent.request_id == request.id)).all()
    assert "不满意，重办：电缆又被盗" in [e.body for e in events]


def test_the_same_text_from_the_same_phone_again_soon_is_the_same_request(db):
    """Sent again from a page the browser reloaded with a new key (the back button): one
    request. Another text, or the same one much later, is a request of its own."""
    first, new = service.submit(db, submission(), settings=get_settings())
    again, new_again = service.submit(db, submission(), settings=get_settings())
    assert new and not new_again and again.id == first.id
    other, _ = service.submit(
        db, submission(content="另一件事：夜间路灯不亮"), settings=get_settings()
    )
    assert other.id != first.id
