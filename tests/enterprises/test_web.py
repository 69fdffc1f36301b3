"""Enterprise pages: the credit code check, contacts, and contact accounts."""

import re

from sqlmodel import select

from liaison.auth.models import User
from liaison.auth.roles import Role
from liaison.enterprises.models import Enterprise, EnterpriseContact
from liaison.enterprises.uscc import uscc_error
from tests.factories import PASSWORD, login, login_as, make_enterprise, post

GOOD = "91350100M000100Y43"


def test_the_example_code_passes_and_a_changed_character_fails():
    assert uscc_error(GOOD) is None
    assert "校验位" in uscc_error(GOOD[:-1] + "4")
    assert "18 位" in uscc_error(GOOD[:-1])
    assert "非法字符" in uscc_error("I" + GOOD[1:])


def test_officer_registers_an_enterprise_typed_in_lower_case_and_full_width(client, db):
    login_as(client, db, Role.OFFICER)
    typed = "９１３５０１００m０００１００y４３"
    response = post(
        client,
        "/enterprises",
        {"uscc": typed, "name": "示例企业", "industry": "制造业"},
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert db.exec(select(Enterprise.uscc)).all() == [GOOD]


def test_invalid_and_duplicate_codes_are_refused_beside_the_field(client, db):
    make_enterprise(db)
    existing = db.exec(select(Enterprise)).one()
    login_as(client, db, Role.LEADER)
    for code, message in ((GOOD[:-1] + "4", "校验位不正确"), (existing.uscc, "已属于")):
        page = post(client, "/enterprises", {"uscc": code, "name": "重复", "industry": "制造业"})
        assert page.status_code == 422
        assert re.search(rf'id="e-uscc">[^<]*{message}', page.text)
    assert len(db.exec(select(Enterprise)).all()) == 1


def test_contacts_are_masked_in_the_list_and_one_is_primary(client, db):
    enterprise = make_enterprise(db)
    login_as(client, db, Role.LEADER)
    for name, phone in (("张三", "13900001111"), ("李四", "13900002222")):
        post(
            client,
            f"/enterprises/{enterprise.id}/contacts",
            {"name": name, "title": "经理", "phone": phone, "is_primary": "on"},
        )
    page = client.get(f"/enterprises/{enterprise.id}")
    assert "139****1111" in page.text and "13900001111" not in page.text
    primaries = db.exec(select(EnterpriseContact.name).where(EnterpriseContact.is_primary)).all()
    assert primaries == ["李四"]
    bad = post(client, f"/enterprises/{enterprise.id}/contacts", {"name": "王五", "phone": "12345"})
    assert bad.status_code == 422 and "格式不正确" in bad.text


def test_leader_opens_an_account_for_a_contact_who_then_sees_their_enterprise(client, db):
    enterprise = make_enterprise(db)
    contact = EnterpriseContact(enterprise_id=enterprise.id, name="赵六", phone="13911112222")
    db.add(contact)
    db.commit()
    login_as(client, db, Role.LEADER)
    response = post(
        client,
        f"/enterprises/{enterprise.id}/contacts/{contact.id}/account",
        {"username": "zhaoliu", "password": PASSWORD},
        follow_redirects=False,
    )
    assert response.status_code == 303
    user = db.exec(select(User).where(User.username == "zhaoliu")).one()
    db.refresh(contact)
    assert (
        user.role == "enterprise"
        and user.enterprise_id == enterprise.id
        and contact.user_id == user.id
    )
    client.cookies.clear()
    assert login(client, "zhaoliu").headers["location"] == "/account/password"


def test_officers_cannot_open_accounts(client, db):
    enterprise = make_enterprise(db)
    contact = EnterpriseContact(enterprise_id=enterprise.id, name="赵六")
    db.add(contact)
    db.commit()
    login_as(client, db, Role.OFFICER)
    response = post(
        client,
        f"/enterprises/{enterprise.id}/contacts/{contact.id}/account",
        {"username": "zhaoliu", "password": PASSWORD},
    )
    assert response.status_code == 403


def test_enterprise_contact_sees_only_their_enterprise(client, db):
    mine, other = make_enterprise(db), make_enterprise(db)
    login_as(client, db, Role.ENTERPRISE, enterprise=mine)
    assert client.get(f"/enterprises/{mine.id}").status_code == 200
    assert client.get(f"/enterprises/{other.id}").status_code == 404
    listing = client.get("/enterprises")
    assert mine.uscc in listing.text and other.uscc not in listing.text
