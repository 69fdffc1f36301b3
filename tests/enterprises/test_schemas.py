"""The enterprise's and its contacts' fields, declared once: the input reads a credit code as
people type it and refuses a wrong one, and the form's fields and the 企业 sheet's columns are
read from it."""

import pytest

from liaison.enterprises import service
from liaison.enterprises.schemas import ContactIn, EnterpriseIn
from liaison.enterprises.sheet import COLUMNS
from liaison.forms import validate
from liaison.pages.enterprises import ENTERPRISE_FIELDS, ContactForm
from tests.factories import make_enterprise

GOOD = "91350100M000100Y43"


def test_the_credit_code_is_read_as_typed_and_checked_beside_its_field():
    typed = {
        "uscc": " ９１３５０１００m０００１００y４３ ",
        "name": "示例企业",
        "industry": "制造业",
    }
    data, errors = validate(EnterpriseIn, typed)
    assert errors == {} and data is not None and data.uscc == GOOD
    _, errors = validate(EnterpriseIn, {**typed, "uscc": GOOD[:-1] + "4"})
    assert errors == {"uscc": "统一社会信用代码校验位不正确"}
    _, errors = validate(EnterpriseIn, {"uscc": "", "name": "", "industry": ""})
    assert errors == {"uscc": "此项必填", "name": "此项必填", "industry": "此项必填"}


def test_the_form_fields_carry_the_declared_labels_and_lengths():
    assert [(f["name"], f["label"], f["required"], f["maxlength"]) for f in ENTERPRISE_FIELDS] == [
        ("uscc", "统一社会信用代码", True, 18),
        ("name", "企业名称", True, 128),
        ("industry", "行业", True, 64),
        ("town", "乡镇街道", False, 64),
        ("address", "地址", False, 255),
    ]


def test_the_sheets_headers_stay_the_workbooks():
    assert [c.title for c in COLUMNS] == [
        "统一社会信用代码*",
        "企业名称*",
        "行业*",
        "乡镇街道",
        "地址",
        "联系人",
        "联系电话",
    ]


def test_the_contact_form_takes_its_enterprise_from_the_page_not_the_form():
    form, errors = validate(
        ContactForm, {"name": "张三", "phone": "0591-87654321", "enterprise_id": "9"}
    )
    assert errors == {} and form is not None
    assert form.contact_in(3) == ContactIn(name="张三", phone="0591-87654321", enterprise_id=3)
    _, errors = validate(ContactForm, {"name": "", "phone": "12345"})
    assert errors == {"name": "此项必填", "phone": "格式不正确"}


def test_the_service_refuses_a_wrong_code_and_a_contact_of_another_enterprise(db):
    unchecked = EnterpriseIn.model_construct(uscc=GOOD[:-1] + "4", name="甲", industry="制造业")
    with pytest.raises(service.EnterpriseError, match="校验位") as refused:
        service.save_enterprise(db, None, unchecked)
    assert refused.value.field == "uscc"
    one, other = make_enterprise(db), make_enterprise(db)
    contact = service.save_contact(db, None, ContactIn(enterprise_id=one.id, name="张三"))
    assert (contact.enterprise_id, contact.phone, contact.is_primary) == (one.id, "", False)
    with pytest.raises(service.EnterpriseError, match="不属于"):
        service.save_contact(db, contact, ContactIn(enterprise_id=other.id, name="张三"))
    with pytest.raises(service.EnterpriseError, match="企业不存在"):
        service.save_contact(db, None, ContactIn(enterprise_id=10_000, name="李四"))
