"""Importing the ledger: the sample whole, all or nothing with every problem placed, idempotent,
changes audited, the recovery ledger append-only, CSV in every encoding Excel writes, and the
round trip through export."""

import io
import re
import zipfile
from datetime import date, time
from pathlib import Path

import pytest
from chinese_calendar import is_workday
from openpyxl import load_workbook
from sqlalchemy import create_engine
from sqlmodel import Session, func, select

from liaison.audit.models import AuditLog
from liaison.clock import local
from liaison.config import get_settings
from liaison.db import upgrade
from liaison.desk import service as desk_service
from liaison.desk.models import RequestType, ServiceRequest
from liaison.disputes.models import Dispute
from liaison.enterprises.models import Enterprise
from liaison.hazards.models import Hazard
from liaison.ledger import exporter, importer, schema
from liaison.ledger.reader import SourceError, open_source
from liaison.metrics.service import compute
from liaison.org.models import Officer
from liaison.projects.models import Assignment, Project
from liaison.recoveries.models import Recovery
from tests.ledger.books import BASE, SAMPLES, workbook
from tests.metrics.test_metrics import assert_matches

SAMPLE = Path(SAMPLES) / "ledger-2025.xlsx"
BAD = Path(SAMPLES) / "ledger-2025-bad.xlsx"


def check(db, data, filename="ledger.xlsx"):  # type: ignore[no-untyped-def]
    with open_source(data, filename) as source:
        return importer.check(db, source, get_settings())


def run(db, data, filename="ledger.xlsx"):  # type: ignore[no-untyped-def]
    plan = check(db, data, filename)
    if plan.ok:
        importer.apply(db, plan, by_user_id=None)
        db.commit()
    return plan


def count(db, model) -> int:  # type: ignore[no-untyped-def]
    return db.exec(select(func.count()).select_from(model)).one()


def places(plan):  # type: ignore[no-untyped-def]
    return {(p.sheet, p.row, p.column) for p in plan.problems}


def test_the_sample_imports_whole_and_again_changes_nothing(db):
    plan = run(db, SAMPLE)
    assert plan.ok, plan.problems[:5]
    added = {sheet: c.added for sheet, c in plan.counts().items()}
    assert added == {
        "派出所": 5,
        "民警": 40,
        "企业": 60,
        "重点项目": 150,
        "隐患": 300,
        "纠纷": 250,
        "挽回损失": 211,
        "诉求": 300,
    }
    covered = db.exec(
        select(func.count()).select_from(Assignment).where(Assignment.end_date.is_(None))
    ).one()
    assert covered == 136  # the projects without an officer come in uncovered
    assert db.exec(select(Officer).where(Officer.badge_no == "612601")).one()  # a number cell
    audit_rows = count(db, AuditLog)

    again = run(db, SAMPLE)
    assert all(c.added == c.updated == 0 for c in again.counts().values())
    assert count(db, AuditLog) == audit_rows  # nothing written, nothing audited


def test_the_bad_sample_is_refused_with_each_of_its_five_cells_and_writes_nothing(db):
    plan = run(db, BAD)
    assert {
        ("企业", 3, "统一社会信用代码"),
        ("隐患", 5, "项目编号"),
        ("隐患", 11, "等级"),
        ("纠纷", 7, "受理日期"),
        ("挽回损失", 9, "关联编号"),
    } <= places(plan)
    assert count(db, Project) == count(db, Enterprise) == 0


@pytest.mark.parametrize(
    ("change", "where", "reason"),
    [
        ({"企业__0__uscc": "91350100MA0000001Q"}, ("企业", 2, "统一社会信用代码"), "校验位"),
        ({"隐患__0__project": "XM404"}, ("隐患", 2, "项目编号"), "没有项目 XM404"),
        ({"纠纷__0__received_on": "2025-02-30"}, ("纠纷", 2, "受理日期"), "不是有效日期"),
        ({"隐患__0__level": "特别重大"}, ("隐患", 2, "等级"), "不是可选值"),
        ({"挽回损失__1__link": None}, ("挽回损失", 3, "关联编号"), "被冲正的登记编号"),
        ({"挽回损失__1__link": "WH999"}, ("挽回损失", 3, "关联编号"), "没有登记编号"),
        ({"挽回损失__1__amount_fen": "-1000.01"}, ("挽回损失", 3, "金额(元)"), "超过"),
        ({"隐患__0__closed_on": "2025-02-01"}, ("隐患", 2, "销号日期"), "不能早于发现日期"),
        ({"重点项目__1__code": "XM001"}, ("重点项目", 3, "项目编号"), "与第 2 行重复"),
        ({"纠纷__0__amount_fen": "12.345"}, ("纠纷", 2, "涉及金额(元)"), "精确到分"),
        ({"民警__0__phone": "12345"}, ("民警", 2, "手机号"), "手机号"),
        ({"诉求__0__closed_at": "2025-04-30 10:00"}, ("诉求", 2, "办结时间"), "不能早于"),
        # A code travels in the project's QR link: the file may not bring what the form refuses.
        ({"重点项目__0__code": "XM/2023/01"}, ("重点项目", 2, "项目编号"), "只能由字母、数字"),
        ({"重点项目__0__code": "XM#1"}, ("重点项目", 2, "项目编号"), "只能由字母、数字"),
    ],
)
def test_each_kind_of_bad_cell_is_placed_and_nothing_is_written(db, change, where, reason):
    plan = run(db, workbook(**change))
    matching = [p for p in plan.problems if (p.sheet, p.row, p.column) == where]
    assert matching and reason in matching[0].reason, plan.problems
    assert count(db, Project) == count(db, Recovery) == 0


def test_a_missing_required_column_is_reported_on_the_header_row(db):
    book = load_workbook(io.BytesIO(workbook()))
    book["隐患"].delete_cols(4)  # 等级
    out = io.BytesIO()
    book.save(out)
    assert ("隐患", 1, "等级") in places(run(db, out.getvalue()))


def test_cells_as_excel_and_people_write_them(db):
    data = workbook(
        **{
            "民警__0__badge_no": "６１２６０１",  # full-width digits
            "隐患__0__found_on": 45717,  # an Excel serial number: 2025-03-01
            "隐患__0__code": "  YH001 ",
            "重点项目__0__investment_fen": "12.5",
        }
    )
    assert run(db, data).ok
    hazard = db.exec(select(Hazard)).one()
    assert (hazard.code, str(hazard.found_on)) == ("YH001", "2025-03-01")
    assert (
        db.exec(select(Project).where(Project.code == "XM001")).one().investment_fen == 12_500_000
    )


def test_a_changed_row_updates_its_record_and_is_audited(db):
    assert run(db, workbook()).ok
    plan = run(
        db, workbook(**{"企业__0__name": "星河智能科技有限公司", "重点项目__1__officer": "612602"})
    )
    counts = plan.counts()
    assert (counts["企业"].updated, counts["重点项目"].updated, counts["隐患"].unchanged) == (
        1,
        1,
        1,
    )
    enterprise = db.exec(select(Enterprise)).one()
    audit = db.exec(
        select(AuditLog).where(
            AuditLog.object_type == "Enterprise",
            AuditLog.action == "update",
            AuditLog.object_id == str(enterprise.id),
        )
    ).one()
    assert (audit.before["name"], audit.after["name"]) == (
        "星河科技有限公司",
        "星河智能科技有限公司",
    )
    second = db.exec(select(Project).where(Project.code == "XM002")).one()
    assert db.exec(select(Assignment).where(Assignment.project_id == second.id)).one()


def test_the_recovery_ledger_only_grows(db):
    assert run(db, workbook()).ok
    changed = run(db, workbook(**{"挽回损失__0__amount_fen": "2000.00"}))
    assert ("挽回损失", 2, "金额(元)") in places(changed)
    assert "只能追加" in changed.problems[0].reason
    assert db.exec(select(func.sum(Recovery.amount_fen))).one() == 90_000


def test_a_reversal_counts_what_the_database_has_already_reversed(db):
    assert run(db, workbook()).ok  # WH001 1000.00, and WH002 reverses 100.00 of it
    later = {
        **BASE,
        "挽回损失": [
            BASE["挽回损失"][0],
            ["WH003", "XM001", "-950.00", "2025-05-01", "纠纷化解", "WH001", "612602", ""],
        ],
    }
    refused = run(db, workbook(later))
    assert ("挽回损失", 3, "金额(元)") in places(refused)  # only 900.00 is left
    assert count(db, Recovery) == 2


def test_links_resolve_to_the_dispute_and_the_reversed_entry(db):
    assert run(db, workbook()).ok
    entry, reversal = db.exec(select(Recovery).order_by(Recovery.code)).all()
    dispute = db.exec(select(Dispute)).one()
    assert entry.dispute_id == dispute.id and reversal.reverses_id == entry.id
    request = db.exec(select(ServiceRequest)).one()
    assert request.officer_id is not None and request.respond_by > request.received_at


def _csv_zip(encoding: str, bom: bool = False) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, rows in BASE.items():
            lines = [",".join(c.header for c in schema.BY_NAME[name].columns)]
            lines += [",".join("" if v is None else str(v) for v in row) for row in rows]
            text = ("\ufeff" if bom else "") + "\r\n".join(lines) + "\r\n"
            archive.writestr(f"{name}.csv", text.encode(encoding))
    return out.getvalue()


@pytest.mark.parametrize(("encoding", "bom"), [("utf-8", True), ("utf-8", False), ("gbk", False)])
def test_csv_in_the_encodings_excel_writes(db, encoding, bom):
    plan = run(db, _csv_zip(encoding, bom), "ledger.zip")
    assert plan.ok, plan.problems
    assert db.exec(select(Enterprise)).one().name == "星河科技有限公司"


def test_zip_names_from_chinese_windows_are_read_as_gbk():
    from liaison.ledger.reader import _zip_name

    info = zipfile.ZipInfo("隐患.csv".encode("gbk").decode("cp437"))  # no UTF-8 flag, as Windows
    assert _zip_name(info) == "隐患.csv"


def test_a_folder_of_csv_files(db, tmp_path):
    with zipfile.ZipFile(io.BytesIO(_csv_zip("utf-8", True))) as archive:
        archive.extractall(tmp_path)
    assert run(db, tmp_path).ok and count(db, Project) == 2


def test_a_file_that_is_not_a_ledger_says_so(db):
    with pytest.raises(SourceError, match="xlsx"):
        check(db, b"hello", "notes.txt")


def _sheets(data: bytes) -> dict[str, list[tuple]]:
    book = load_workbook(io.BytesIO(data), read_only=True)
    return {s.title: list(s.iter_rows(values_only=True)) for s in book.worksheets}


def test_export_then_import_into_an_empty_database_gives_the_same_rows(db, tmp_path):
    assert run(db, SAMPLE).ok
    first = io.BytesIO()
    exporter.write_workbook(db, first)
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    upgrade(url)
    year = (date(2025, 1, 1), date(2025, 12, 31))
    with Session(create_engine(url)) as empty:
        assert run(empty, first.getvalue()).ok
        second = io.BytesIO()
        exporter.write_workbook(empty, second)
        # The same metrics too (to the last digit but one: on PostgreSQL the test's own
        # database sums hours in numeric, the empty one is SQLite).
        assert_matches(compute(empty, *year), compute(db, *year))
    assert _sheets(first.getvalue()) == _sheets(second.getvalue())
    assert len(_sheets(first.getvalue())["重点项目"]) == 151


def test_the_template_has_the_contract_headers_comments_and_lists():
    out = io.BytesIO()
    exporter.write_workbook(None, out)
    book = load_workbook(io.BytesIO(out.getvalue()))
    assert book.sheetnames == [s.name for s in schema.SHEETS]
    for spec in schema.SHEETS:
        header = [c.value for c in book[spec.name][1]]
        assert header == [c.header for c in spec.columns]
    hazards = book["隐患"]
    assert "必填" in hazards["D1"].comment.text
    lists = [dv.formula1 for dv in hazards.data_validations.dataValidation]
    assert '"一般,较大,重大"' in lists


def _contract_headers():
    """Each sheet's headers as PRODUCT.md (Contracts 1) lists them, `*` marking the required."""
    product = (Path(__file__).resolve().parents[2].parent / "shared" / "PRODUCT.md").read_text()
    lines = re.findall(r"^   - (\S+): (.+)$", product.split("## Contracts", 1)[1], re.M)
    return {sheet: [h.strip() for h in headers.split(",")] for sheet, headers in lines[:8]}


def test_the_template_headers_and_their_required_marks_are_the_contracts():
    """Read from PRODUCT.md, not from the columns: headers now come from the records' field
    declarations, and a label changed there must not change the workbook."""
    contract = _contract_headers()
    out = io.BytesIO()
    exporter.write_workbook(None, out)
    book = load_workbook(io.BytesIO(out.getvalue()))
    assert book.sheetnames == list(contract)
    for sheet, headers in contract.items():
        cells = book[sheet][1]
        assert [c.value for c in cells] == [h.rstrip("*") for h in headers], sheet
        marked = [c.comment.text.startswith("必填") for c in cells]
        assert marked == [h.endswith("*") for h in headers], sheet


def test_requests_import_when_their_closure_is_counted_in_working_days(db):
    """The deadline in working days reads the calendar; it did so after the new row was added,
    whose flush then failed (NOT NULL close_by) after a clean dry run."""
    for kind in RequestType:
        desk_service.set_service_level(db, kind, response_hours=24, close_days=5, working_days=True)
    db.commit()
    plan = run(db, SAMPLE)
    assert plan.ok, plan.problems[:5]
    requests = db.exec(select(ServiceRequest)).all()
    assert requests and all(r.close_by > r.received_at for r in requests)
    # Counted in working days, a deadline falls at the end of a working day.
    assert all(local(r.close_by).time() == time(23, 59, 59) for r in requests)
    assert all(is_workday(local(r.close_by).date()) for r in requests)


def _with_badge(old: str, new: object) -> bytes:
    """The sample with officer `old`'s badge written as `new`, wherever a sheet names it."""
    book = load_workbook(SAMPLE)
    for sheet, column in (("民警", 0), ("重点项目", 8), ("隐患", 6), ("纠纷", 7), ("挽回损失", 6)):
        for row in book[sheet].iter_rows(min_row=2):
            if str(row[column].value) == old:
                row[column].value = new
    saved = io.BytesIO()
    book.save(saved)
    return saved.getvalue()


def test_a_badge_an_office_suite_stripped_of_its_zeros_is_refused_not_added_twice(db):
    """LibreOffice re-saving a CSV turns 警号 0612600 into 612600: the import would add a
    second officer and move the first one's projects to them. The dry run says what happened."""
    assert run(db, _with_badge("612600", "0612600")).ok
    officers = count(db, Officer)
    plan = check(db, _with_badge("612600", 612600))  # a number cell: the zero is gone
    assert not plan.ok
    refused = [p for p in plan.problems if (p.sheet, p.column) == ("民警", "警号")]
    assert refused and "只差前导零" in refused[0].reason and "0612600" in refused[0].reason
    assert count(db, Officer) == officers


def test_a_new_badge_with_an_existing_officers_name_and_phone_is_refused(db):
    assert run(db, SAMPLE).ok
    officer = db.exec(select(Officer).where(Officer.phone != "")).first()
    book = load_workbook(SAMPLE)
    book["民警"].append(["999999", officer.name, "S01", officer.phone])
    saved = io.BytesIO()
    book.save(saved)
    plan = check(db, saved.getvalue())
    refused = [p for p in plan.problems if (p.sheet, p.column) == ("民警", "警号")]
    assert refused and "姓名、手机号相同" in refused[0].reason
