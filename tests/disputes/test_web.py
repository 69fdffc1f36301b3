"""Dispute and ledger pages over HTTP."""

import re

from sqlmodel import func, select

from liaison.audit.models import AuditLog
from liaison.auth.roles import Role
from liaison.disputes.models import Dispute
from liaison.disputes.sheet import COLUMNS
from liaison.pages.disputes import agreement_fields, case_fields
from liaison.projects.service import today
from liaison.recoveries.models import Recovery
from tests.factories import (
    login_as,
    make_dispute,
    make_officer,
    make_project,
    make_recovery,
    make_station,
    post,
)


def setup_case(client, db, role=Role.OFFICER):  # type: ignore[no-untyped-def]
    station = make_station(db)
    me = make_officer(db, station)
    project = make_project(db, station, officer=me)
    login_as(client, db, role, officer=me)
    return station, me, project


def test_officer_opens_a_case_and_personal_data_is_masked(client, db):
    _, _, project = setup_case(client, db)
    response = post(
        client,
        f"/projects/{project.id}/disputes",
        {
            "type": "劳资纠纷",
            "received_on": today().isoformat(),
            "amount": "58,000",
            "facts": "拖欠三个月工资",
            "party_role_0": "申请人",
            "party_name_0": "王五",
            "party_phone_0": "13912345678",
            "party_id_0": "11010519491231002x",
            "party_role_1": "被申请人",
            "party_name_1": "某劳务公司",
        },
        follow_redirects=False,
    )
    assert response.status_code == 303
    page = client.get(response.headers["location"])
    assert "139****5678" in page.text and "110***********002X" in page.text
    assert "13912345678" not in page.text and "11010519491231002X" not in page.text
    assert db.exec(select(Dispute.amount_fen)).one() == 58_000_00


def test_a_wrong_id_number_is_explained_and_nothing_saved(client, db):
    _, _, project = setup_case(client, db)
    page = post(
        client,
        f"/projects/{project.id}/disputes",
        {
            "type": "合同纠纷",
            "received_on": today().isoformat(),
            "facts": "x",
            "party_role_0": "申请人",
            "party_name_0": "王五",
            "party_id_0": "110105194912310021",
        },
    )
    assert page.status_code == 422 and "身份证号校验位不正确" in page.text
    assert db.exec(select(Dispute)).all() == []


def test_resolving_twice_books_the_recovery_once(client, db):
    _, me, project = setup_case(client, db)
    dispute = make_dispute(db, project, me)
    form = {"obligations": "一次性支付", "agreement_amount": "80,000.00", "book_recovery": "on"}
    done = post(client, f"/disputes/{dispute.id}/resolve", form, follow_redirects=False)
    assert done.status_code == 303
    told = client.get(done.headers["location"]).text  # the flash says what was done
    assert f"{dispute.code} 调解成功，已记下协议，协议金额已计入挽回损失" in told
    again = post(client, f"/disputes/{dispute.id}/resolve", form)
    assert again.status_code == 422 and "不能重复办结" in again.text
    assert db.exec(select(Recovery.amount_fen)).all() == [80_000_00]
    assert "¥80,000.00" in client.get(f"/projects/{project.id}").text


def test_the_printable_agreement_has_the_amount_in_capitals(client, db):
    _, me, project = setup_case(client, db)
    dispute = make_dispute(db, project, me, agreement_fen=714_760_000)
    page = client.get(f"/disputes/{dispute.id}/agreement")
    assert (
        page.status_code == 200
        and "柒佰壹拾肆万柒仟陆佰元整" in page.text
        and "¥7,147,600.00" in page.text
    )
    assert 'href="/static/css/print.css"' in page.text


def test_the_ledger_form_sent_twice_books_once(client, db):
    _, _, project = setup_case(client, db)
    form = client.get(f"/projects/{project.id}/recoveries/new").text
    key = re.search(r'name="submission_key" value="([0-9a-f]+)"', form).group(1)
    data = {
        "amount": "1,234.56",
        "recovered_on": today().isoformat(),
        "source": "电信诈骗返还",
        "submission_key": key,
    }
    first = post(client, f"/projects/{project.id}/recoveries", data, follow_redirects=False)
    second = post(client, f"/projects/{project.id}/recoveries", data, follow_redirects=False)
    assert first.headers["location"] == second.headers["location"]
    assert db.exec(select(Recovery.amount_fen)).all() == [1_234_56]


def test_bad_amounts_are_explained_beside_the_field(client, db):
    _, _, project = setup_case(client, db)
    for amount, message in (("0", "大于零"), ("-3", "大于零"), ("1.234", "精确到分")):
        page = post(
            client,
            f"/projects/{project.id}/recoveries",
            {"amount": amount, "recovered_on": today().isoformat(), "source": "其他"},
        )
        assert page.status_code == 422 and re.search(rf'id="e-amount">[^<]*{message}', page.text), (
            amount
        )
    assert db.exec(select(func.count()).select_from(Recovery)).one() == 0


def test_reversal_over_http_and_its_limit(client, db):
    _, me, project = setup_case(client, db)
    entry = make_recovery(db, project, me, 100_00)
    too_much = post(client, f"/recoveries/{entry.id}/reverse", {"amount": "100.01", "reason": "错"})
    assert too_much.status_code == 422 and "剩余的 ¥100.00" in too_much.text
    done = post(
        client,
        f"/recoveries/{entry.id}/reverse",
        {"amount": "40", "reason": "录入错误"},
        follow_redirects=False,
    )
    assert done.status_code == 303
    assert 'data-testid="remaining">¥60.00' in client.get(f"/recoveries/{entry.id}").text
    totals = client.get("/recoveries")
    assert "¥60.00" in totals.text


def test_totals_by_every_dimension(client, db):
    _, me, project = setup_case(client, db, role=Role.CHIEF)
    make_recovery(db, project, me, 300_00)
    make_recovery(db, project, me, 200_00)
    for by in ("station", "source", "officer", "project", "enterprise", "month"):
        page = client.get("/recoveries", params={"by": by})
        assert page.status_code == 200 and "¥500.00" in page.text, by
    month = client.get("/recoveries", params={"by": "month"})
    assert f"{today():%Y-%m}" in month.text


def test_another_stations_cases_and_entries_are_404(client, db):
    south = make_station(db)
    officer = make_officer(db, south)
    project = make_project(db, south, officer=officer)
    dispute = make_dispute(db, project, officer, agreement_fen=10_00)
    entry = make_recovery(db, project, officer)
    login_as(client, db, Role.OFFICER, officer=make_officer(db, make_station(db)))
    for url in (
        f"/disputes/{dispute.id}",
        f"/disputes/{dispute.id}/agreement",
        f"/recoveries/{entry.id}",
    ):
        assert client.get(url).status_code == 404, url
    assert (
        post(client, f"/recoveries/{entry.id}/reverse", {"amount": "1", "reason": "x"}).status_code
        == 404
    )
    assert "¥1,000.00" not in client.get("/recoveries").text


def test_ledger_writes_are_audited(client, db):
    _, _, project = setup_case(client, db)
    post(
        client,
        f"/projects/{project.id}/recoveries",
        {"amount": "10", "recovered_on": today().isoformat(), "source": "其他"},
    )
    rows = db.exec(select(AuditLog).where(AuditLog.object_type == "Recovery")).all()
    assert [(r.action, r.after["amount_fen"]) for r in rows] == [("create", 10_00)]


def test_a_case_number_naming_a_hazard_links_the_entry(client, db):
    from tests.factories import make_hazard

    _, me, project = setup_case(client, db)
    hazard = make_hazard(db, project, me)
    post(
        client,
        f"/projects/{project.id}/recoveries",
        {
            "amount": "99",
            "recovered_on": today().isoformat(),
            "source": "盗抢追赃",
            "case_number": hazard.code,
        },
    )
    assert db.exec(select(Recovery.hazard_id)).all() == [hazard.id]


def test_a_party_row_is_checked_beside_its_own_fields_and_nothing_saved(client, db):
    _, _, project = setup_case(client, db)
    page = post(
        client,
        f"/projects/{project.id}/disputes",
        {
            "type": "合同纠纷",
            "received_on": today().isoformat(),
            "facts": "x",
            "party_role_0": "申请人",
            "party_name_0": "王五",
            "party_phone_0": "139-1234",
            "party_role_1": "证人",
            "party_name_1": "某" * 65,
        },
    )
    assert page.status_code == 422
    assert re.search(r'id="e-party_phone_0">格式不正确', page.text)
    assert re.search(r'id="e-party_role_1">请从列表中选择', page.text)
    assert re.search(r'id="e-party_name_1">最多 64 个字符', page.text)
    assert db.exec(select(Dispute)).all() == []


def test_the_form_cannot_choose_a_cases_number_or_its_performance(client, db):
    _, _, project = setup_case(client, db)
    response = post(
        client,
        f"/projects/{project.id}/disputes",
        {
            "type": "其他",
            "received_on": today().isoformat(),
            "facts": "x",
            "code": "CHOSEN",
            "amount_fen": "1",
            "party_role_0": "申请人",
            "party_name_0": "甲",
        },
        follow_redirects=False,
    )
    assert response.status_code == 303
    dispute = db.exec(select(Dispute)).one()
    assert dispute.code.startswith(f"JF{today():%Y%m%d}-") and dispute.amount_fen is None
    form = {"obligations": "付款", "performance": "已履行", "perform_by": ""}
    assert post(client, f"/disputes/{dispute.id}/resolve", form).status_code == 200
    db.refresh(dispute)
    assert (dispute.status, dispute.performance, dispute.perform_by) == ("调解成功", "履行中", None)


def test_the_forms_fields_are_read_from_the_declarations():
    fields = case_fields()
    assert fields["facts"]["maxlength"] == 4000 and fields["facts"]["type"] == "textarea"
    assert (fields["party_name_3"]["label"], fields["party_name_3"]["maxlength"]) == (
        "姓名或名称",
        64,
    )
    assert not fields["party_role_0"]["required"] and fields["type"]["required"]
    assert [v for v, _ in fields["party_role_0"]["options"]] == ["申请人", "被申请人"]
    agreement = agreement_fields()
    assert agreement["performance_method"]["maxlength"] == 255
    assert agreement["obligations"]["required"]


def test_the_disputes_sheet_headers_are_the_contracts():
    assert [c.title for c in COLUMNS] == [
        "纠纷编号*",
        "项目编号*",
        "类型*",
        "受理日期*",
        "涉及金额(元)",
        "状态*",
        "办结日期",
        "承办人警号*",
        "概要",
    ]
