"""The station's and the officer's fields, declared once: the input refuses what the form and
the ledger refuse, and the form's fields and the sheets' columns are read from it."""

import pytest

from liaison.forms import validate
from liaison.org import service
from liaison.org.schemas import OfficerIn, StationIn
from liaison.org.sheet import OFFICER_COLUMNS, STATION_COLUMNS
from liaison.pages.org import STATION_FIELDS, OfficerForm, StationForm, _officer_fields
from tests.factories import make_station


def test_the_inputs_refuse_in_chinese_beside_each_field():
    _, errors = validate(StationIn, {"code": "S 01", "name": "", "active": "on"})
    assert errors == {"code": "格式不正确", "name": "此项必填"}
    _, errors = validate(StationIn, {"code": "S" * 33, "name": "所"})
    assert errors == {"code": "最多 32 个字符"}
    officer = {"badge_no": "0312-5", "name": "钱", "phone": "12345", "station_code": "S01"}
    _, errors = validate(OfficerIn, officer)
    assert errors == {"badge_no": "格式不正确", "phone": "格式不正确"}
    _, errors = validate(OfficerIn, {"badge_no": "031235", "name": "钱"})
    assert errors == {"station_code": "此项必填"}


def test_an_unticked_box_on_the_forms_means_inactive_but_new_input_is_active():
    assert StationIn(code="S01", name="城南所").active
    assert OfficerIn(badge_no="031235", name="钱", station_code="S01").active
    assert not StationForm(code="S01", name="城南所").active
    assert not OfficerForm(badge_no="031235", name="钱", station_code="S01").active


def test_the_form_fields_carry_the_declared_labels_and_lengths(db):
    station = make_station(db)
    assert [(f["name"], f["label"], f["required"], f["maxlength"]) for f in STATION_FIELDS] == [
        ("code", "单位编码", True, 32),
        ("name", "单位名称", True, 64),
        ("active", "启用", False, None),
    ]
    fields = {f["name"]: f for f in _officer_fields(db)}
    assert list(fields) == ["badge_no", "name", "phone", "station_code", "active"]
    assert (fields["badge_no"]["label"], fields["badge_no"]["maxlength"]) == ("警号", 32)
    assert (fields["phone"]["type"], fields["phone"]["required"]) == ("tel", False)
    assert fields["station_code"]["label"] == "所属单位" and fields["station_code"]["required"]
    assert (station.code, station.name) in fields["station_code"]["options"]
    assert fields["active"]["label"] == "在岗"


def test_the_sheets_headers_stay_the_workbooks():
    assert [c.title for c in STATION_COLUMNS] == ["单位编码*", "单位名称*"]
    assert [c.title for c in OFFICER_COLUMNS] == ["警号*", "姓名*", "单位编码*", "手机号"]


def test_the_service_takes_the_input_and_refuses_an_unknown_station(db):
    station = service.save_station(db, None, StationIn(code="S90", name="城北所"))
    officer = service.save_officer(
        db, None, OfficerIn(badge_no="039001", name="孙", phone="", station_code="S90")
    )
    assert (officer.station_id, officer.phone, officer.active) == (station.id, None, True)
    with pytest.raises(service.OrgError, match="S91 不存在") as refused:
        service.save_officer(
            db, officer, OfficerIn(badge_no="039001", name="孙", station_code="S91")
        )
    assert refused.value.field == "station_code"
    with pytest.raises(service.OrgError, match="单位编码已存在"):
        service.save_station(db, None, StationIn(code="S90", name="重复"))
