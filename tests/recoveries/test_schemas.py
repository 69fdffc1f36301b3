"""A recovery entry's fields, declared once: the table inherits them, the input refuses what the
table would, and the ledger's columns and the forms' fields are read from them."""

from datetime import date

import pytest
from pydantic import ValidationError

from liaison.api.disputes import RecoveryOut as ApiRecoveryOut
from liaison.fields import form_field
from liaison.pages.recoveries import EntryForm, ReverseForm, _entry_fields, _reverse_fields
from liaison.recoveries.models import Recovery
from liaison.recoveries.schemas import (
    RecoveryBase,
    RecoveryIn,
    RecoveryOut,
    RecoverySource,
    ReversalIn,
)
from liaison.recoveries.sheet import COLUMNS


def test_the_table_keeps_the_declared_lengths():
    columns = Recovery.__table__.columns
    for name in ("source", "case_number", "note"):
        declared = RecoveryBase.model_fields[name].metadata
        assert any(getattr(m, "max_length", None) == columns[name].type.length for m in declared)


def test_the_ledger_headers_are_the_contract():
    assert [c.title for c in COLUMNS] == [
        "登记编号*",
        "项目编号*",
        "金额(元)*",
        "挽回日期*",
        "来源*",
        "关联编号",
        "承办人警号*",
        "说明",
    ]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"source": "捐赠"}, "source"),
        ({"note": "说" * 1001}, "note"),
        ({"case_number": "X" * 65}, "case_number"),
        ({"recovered_on": ""}, "recovered_on"),
    ],
)
def test_the_input_refuses_what_the_table_would(change, field):
    typed = {"amount_fen": 1_00, "recovered_on": date(2026, 1, 2), "source": "其他", **change}
    with pytest.raises(ValidationError) as refused:
        RecoveryIn.model_validate(typed)
    assert refused.value.errors()[0]["loc"] == (field,)


def test_a_reversal_needs_its_reason():
    with pytest.raises(ValidationError):
        ReversalIn(amount_fen=1_00, reason="")
    assert ReversalIn(amount_fen=1_00, reason="录入错误").on is None


def test_the_form_fields_are_read_from_the_declarations():
    fields = {f["name"]: f for f in _entry_fields()}
    assert fields["amount"]["label"] == "金额(元)" and fields["amount"]["required"]
    assert fields["source"]["options"] == [(s.value, s.value) for s in RecoverySource]
    assert fields["case_number"] == {
        **form_field(RecoveryIn, "case_number"),
        "hint": "案件编号、纠纷编号或隐患编号",
    }
    assert fields["case_number"]["maxlength"] == 64 and not fields["case_number"]["required"]
    assert fields["note"]["type"] == "textarea" and fields["note"]["maxlength"] == 1000
    reverse = {f["name"]: f for f in _reverse_fields()}
    assert reverse["reason"]["label"] == "冲销原因" and reverse["reason"]["required"]
    assert reverse["amount"]["label"] == "冲销金额(元)"


def test_the_entry_form_books_only_what_a_person_types():
    form = EntryForm.model_validate(
        {
            "amount": "1,234.56",
            "recovered_on": "2026-01-02",
            "source": "其他",
            "dispute_id": "7",  # not on the form: a resolution links a dispute
            "hazard_id": "8",
        }
    )
    data = form.recovery_in(hazard_id=None)
    assert (data.amount_fen, data.dispute_id, data.hazard_id) == (1_234_56, None, None)
    with pytest.raises(ValidationError, match="精确到分"):
        EntryForm.model_validate(
            {"amount": "1.234", "recovered_on": "2026-01-02", "source": "其他"}
        )
    reversal = ReverseForm.model_validate({"amount": "40", "reason": "录入错误"}).reversal_in()
    assert (reversal.amount_fen, reversal.reason, reversal.on) == (40_00, "录入错误", None)


def test_the_api_answer_is_unchanged():
    """RecoveryOut is the API's answer: the same fields of the same types as the API's own."""
    ours = {k: f.annotation for k, f in RecoveryOut.model_fields.items()}
    assert ours == {k: f.annotation for k, f in ApiRecoveryOut.model_fields.items()}
