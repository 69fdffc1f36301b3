"""The permission policy over HTTP: writes on a project belong to its officer and its station's
chief; any officer of the station may report a hazard, but its handling is the project's;
nobody reviews a hazard they found or sent for review; admins and auditors read the table."""

import re

import pytest
from sqlmodel import select

from liaison.auth.roles import Role
from liaison.hazards.models import Hazard
from liaison.projects.service import today
from liaison.recoveries.models import Recovery
from tests.factories import (
    login_as,
    make_dispute,
    make_hazard,
    make_officer,
    make_project,
    make_recovery,
    make_station,
    post,
)
from tests.images import jpeg


@pytest.fixture
def station(db):
    """A station with a project held by one officer, a colleague of his, and their chief."""
    here = make_station(db)
    holder, colleague, chief = (make_officer(db, here) for _ in range(3))
    project = make_project(db, here, officer=holder)
    return {
        "project": project,
        "holder": holder,
        "colleague": colleague,
        "chief": chief,
        "entry": make_recovery(db, project, holder),
        "dispute": make_dispute(db, project, holder),
    }


def as_(client, db, role, officer):
    client.cookies.clear()
    login_as(client, db, role, officer=officer)


def book(client, project):
    return post(
        client,
        f"/projects/{project.id}/recoveries",
        {
            "amount": "1200.00",
            "recovered_on": today().isoformat(),
            "source": "电信诈骗返还",
            "case_number": "",
            "note": "",
        },
        follow_redirects=False,
    )


def entries(db, project):
    return len(db.exec(select(Recovery).where(Recovery.project_id == project.id)).all())


def test_an_officer_cannot_book_a_recovery_on_a_colleagues_project(client, db, station):
    project = station["project"]
    as_(client, db, Role.OFFICER, station["colleague"])
    assert book(client, project).status_code == 403
    assert client.get(f"/projects/{project.id}/recoveries/new").status_code == 403
    assert entries(db, project) == 1
    as_(client, db, Role.OFFICER, station["holder"])
    assert book(client, project).status_code == 303
    as_(client, db, Role.CHIEF, station["chief"])
    assert book(client, project).status_code == 303
    assert entries(db, project) == 3


def test_an_officer_cannot_reverse_an_entry_on_a_colleagues_project(client, db, station):
    entry = station["entry"]

    def reverse():
        data = {"amount": "100.00", "reason": "重复登记"}
        return post(client, f"/recoveries/{entry.id}/reverse", data, follow_redirects=False)

    as_(client, db, Role.OFFICER, station["colleague"])
    assert (
        f'action="/recoveries/{entry.id}/reverse"' not in client.get(f"/recoveries/{entry.id}").text
    )
    assert reverse().status_code == 403
    assert entries(db, station["project"]) == 1
    as_(client, db, Role.CHIEF, station["chief"])
    assert f'action="/recoveries/{entry.id}/reverse"' in client.get(f"/recoveries/{entry.id}").text
    assert reverse().status_code == 303
    assert entries(db, station["project"]) == 2


def test_an_officer_cannot_fail_a_dispute_on_a_colleagues_project(client, db, station):
    dispute = station["dispute"]

    def fail():
        data = {"reason": "双方分歧过大"}
        return post(client, f"/disputes/{dispute.id}/fail", data, follow_redirects=False)

    as_(client, db, Role.OFFICER, station["colleague"])
    assert fail().status_code == 403
    db.refresh(dispute)
    assert dispute.status == "调解中"
    as_(client, db, Role.OFFICER, station["holder"])
    assert fail().status_code == 303
    db.refresh(dispute)
    assert dispute.status == "调解失败"


def step(client, hazard, action, **files):
    photos = [("photos", ("后.jpg", jpeg(), "image/jpeg"))] if files else None
    return client.post(
        f"/hazards/{hazard.id}/steps",
        data={"csrf_token": client.cookies["liaison_csrf"], "action": action, "comment": "说明"},
        files=photos,
        follow_redirects=False,
    )


def test_a_colleague_reports_a_hazard_but_the_project_handles_it(client, db, station):
    project = station["project"]
    as_(client, db, Role.OFFICER, station["colleague"])
    reported = post(
        client,
        f"/projects/{project.id}/hazards",
        {
            "category": "消防安全",
            "level": "一般",
            "description": "配电箱未上锁",
            "found_on": today().isoformat(),
        },
        follow_redirects=False,
    )
    assert reported.status_code == 303
    hazard = db.exec(select(Hazard)).one()
    assert "开始整改" not in client.get(f"/hazards/{hazard.id}").text
    assert step(client, hazard, "start").status_code == 403
    db.refresh(hazard)
    assert hazard.status == "待整改"
    as_(client, db, Role.OFFICER, station["holder"])
    assert "开始整改" in client.get(f"/hazards/{hazard.id}").text
    assert step(client, hazard, "start").status_code == 303


def test_a_chief_cannot_sign_off_a_hazard_he_found(client, db, station):
    hazard = make_hazard(db, station["project"], station["chief"])
    as_(client, db, Role.OFFICER, station["holder"])
    assert step(client, hazard, "start").status_code == 303
    assert step(client, hazard, "submit", photo=True).status_code == 303
    as_(client, db, Role.CHIEF, station["chief"])
    assert "复查通过，销号" not in client.get(f"/hazards/{hazard.id}").text
    assert step(client, hazard, "sign_off").status_code == 422
    db.refresh(hazard)
    assert hazard.status == "待复查"


def test_who_sent_a_hazard_for_review_cannot_sign_it_off(client, db, station):
    hazard = make_hazard(db, station["project"], station["colleague"])
    as_(client, db, Role.OFFICER, station["holder"])
    assert step(client, hazard, "start").status_code == 303
    assert step(client, hazard, "submit", photo=True).status_code == 303
    assert "复查通过，销号" not in client.get(f"/hazards/{hazard.id}").text
    assert step(client, hazard, "sign_off").status_code == 422
    as_(client, db, Role.CHIEF, station["chief"])
    assert step(client, hazard, "sign_off").status_code == 303
    db.refresh(hazard)
    assert hazard.status == "已销号"


# Who may do what, as the bureau set it: written here, not read from the code's table.
EXPECTED_ROLES = {
    "recovery.book": {"分局领导/机关", "派出所所长", "项目警官"},
    "recovery.reverse": {"分局领导/机关", "派出所所长", "项目警官"},
    "visit.log": {"派出所所长", "项目警官"},
    "hazard.report": {"派出所所长", "项目警官"},
    "hazard.sign_off": {"分局领导/机关", "派出所所长", "项目警官"},
    "project.edit": {"系统管理员", "分局领导/机关", "派出所所长", "项目警官"},
    "pii.reveal": {"分局领导/机关", "派出所所长", "项目警官"},
    "account.manage": {"安全管理员"},
    "ledger.keep": {"系统管理员", "分局领导/机关"},
    "ledger.export": {"分局领导/机关"},
    "notifications.read": {"分局领导/机关", "派出所所长", "项目警官"},
    "delivery.manage": {"系统管理员"},
    "absence.mark": {"分局领导/机关", "派出所所长", "项目警官"},
}


def policy_table(html):
    """{action code: roles ticked}, read from the page's table."""
    heads = re.findall(r'<th class="center">([^<]+)</th>', html)
    table = {}
    for row in re.findall(r"<tr>(.*?)</tr>", html, re.S):
        code = re.search(r"<code>([^<]+)</code>", row)
        if code:
            cells = re.findall(r'<td class="center">(.*?)</td>', row, re.S)
            table[code.group(1)] = {
                h for h, c in zip(heads, cells, strict=True) if "允许" in c and "不允许" not in c
            }
    return table


@pytest.mark.parametrize("role", [Role.ADMIN, Role.SECURITY, Role.AUDITOR])
def test_the_three_administrators_read_the_policy_as_a_table(client, db, role):
    login_as(client, db, role)
    page = client.get("/admin/policy")
    assert page.status_code == 200
    table = policy_table(page.text)
    for action, roles in EXPECTED_ROLES.items():
        assert table[action] == roles, action
    assert "发现人" in page.text  # the object rule of the sign-off, in words


def test_nobody_else_reads_the_policy(client, db):
    for role in (Role.LEADER, Role.CHIEF, Role.OFFICER, Role.ENTERPRISE):
        client.cookies.clear()
        login_as(client, db, role)
        assert client.get("/admin/policy").status_code == 403
