"""The auditor's export of the audit log: exactly the rows of a range of Beijing days, numbers
masked, text never run as a formula, only for the auditor, and itself audited."""

import csv
import io
from datetime import datetime

import pytest
from openpyxl import load_workbook
from sqlmodel import Session, col, select
from typer.testing import CliRunner

from liaison.audit import export
from liaison.audit.models import AuditLog
from liaison.audit.service import record_event
from liaison.auth.roles import Role
from liaison.cli import app
from liaison.clock import LOCAL_TZ, now
from tests.factories import login, login_as, make_officer, make_station, post

runner = CliRunner()


def beijing(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=LOCAL_TZ)


@pytest.fixture
def three_days(db, travel) -> dict[str, list[int]]:
    """Audit rows late on 1 March, early and late on 2 March, early on 3 March (Beijing), by
    day; early on the 2nd is still the 1st in UTC."""
    start = now()
    days: dict[str, list[int]] = {}
    for moment in ("2026-03-01 23:30", "2026-03-02 00:30", "2026-03-02 23:59", "2026-03-03 00:01"):
        travel.to(beijing(moment))
        before = _last_id(db)
        make_officer(db, phone="13912345678")
        days.setdefault(moment[:10], []).extend(_ids_after(db, before))
    travel.to(start)
    return days


def _last_id(db: Session) -> int:
    return db.exec(select(AuditLog.id).order_by(col(AuditLog.id).desc())).first() or 0


def _ids_after(db: Session, last: int) -> list[int]:
    return list(db.exec(select(AuditLog.id).where(col(AuditLog.id) > last)).all())


def sheet_rows(content: bytes) -> list[tuple]:
    sheet = load_workbook(io.BytesIO(content)).active
    return list(sheet.iter_rows(values_only=True))


def test_auditor_exports_exactly_the_rows_of_the_beijing_days_asked(client, db, three_days):
    login_as(client, db, Role.AUDITOR)
    response = post(client, "/audit/export", {"since": "2026-03-02", "until": "2026-03-02"})
    assert response.status_code == 200
    assert "attachment" in response.headers["content-disposition"]
    header, *rows = sheet_rows(response.content)
    assert header[0] == "编号" and header[1] == "时间（北京时间）"
    assert [row[0] for row in rows] == three_days["2026-03-02"]
    assert {row[1][:10] for row in rows} == {"2026-03-02"}


def test_the_export_masks_phone_and_id_numbers(client, db):
    """Rows logged before the log masked numbers as it wrote them still hold them whole; the
    export masks them as the detail page does."""
    whole = {"phone": "13912345678", "id_number": "11010519491231002X"}
    record_event(db, "update", object_type="Party", object_id=1, detail=whole)
    db.commit()
    login_as(client, db, Role.AUDITOR)
    today = datetime.now(LOCAL_TZ).date().isoformat()
    response = post(client, "/audit/export", {"since": today, "until": today})
    text = "".join(str(cell) for row in sheet_rows(response.content) for cell in row)
    assert "139****5678" in text and "110***********002X" in text
    assert "13912345678" not in text and "11010519491231002X" not in text


def test_the_export_is_itself_audited(client, db, three_days):
    auditor = login_as(client, db, Role.AUDITOR)
    post(client, "/audit/export", {"since": "2026-03-02", "until": "2026-03-02"})
    [event] = db.exec(select(AuditLog).where(AuditLog.action == "export")).all()
    assert event.actor_id == auditor.id and event.object_type == "AuditLog"
    assert event.after == {
        "from": "2026-03-02",
        "to": "2026-03-02",
        "format": "xlsx",
        "rows": len(three_days["2026-03-02"]),
    }


@pytest.mark.parametrize("role", [r for r in Role if r != Role.AUDITOR])
def test_no_one_but_the_auditor_may_export(client, db, role):
    make_station(db)
    login_as(client, db, role)
    response = post(client, "/audit/export", {"since": "2026-03-01", "until": "2099-01-01"})
    assert response.status_code == 403
    assert db.exec(select(AuditLog).where(AuditLog.action == "export")).first() is None


def test_a_range_that_ends_before_it_starts_is_refused(client, db):
    login_as(client, db, Role.AUDITOR)
    response = post(
        client,
        "/audit/export",
        {"since": "2026-03-02", "until": "2026-03-01"},
        follow_redirects=True,
    )
    assert "截止日期不能早于起始日期" in response.text
    assert db.exec(select(AuditLog).where(AuditLog.action == "export")).first() is None


def test_a_range_larger_than_a_sheet_holds_is_refused(client, db, three_days, monkeypatch):
    monkeypatch.setattr(export, "XLSX_MAX_ROWS", 1)
    login_as(client, db, Role.AUDITOR)
    response = post(
        client,
        "/audit/export",
        {"since": "2026-03-01", "until": "2026-03-03"},
        follow_redirects=True,
    )
    assert "超过 Excel 工作表的行数上限" in response.text
    assert db.exec(select(AuditLog).where(AuditLog.action == "export")).first() is None


def test_text_typed_by_anyone_is_never_a_formula_in_the_export(client, db):
    login(client, '=HYPERLINK("http://evil.example","点我")', "wrong-password")
    login_as(client, db, Role.AUDITOR)
    today = datetime.now(LOCAL_TZ).date().isoformat()
    response = post(client, "/audit/export", {"since": today, "until": today})
    cells = [
        cell
        for row in load_workbook(io.BytesIO(response.content)).active.iter_rows()
        for cell in row
        if isinstance(cell.value, str) and cell.value.startswith("=HYPERLINK")
    ]
    assert cells and all(cell.data_type == "s" for cell in cells)


def test_the_command_exports_csv_and_is_audited(db, tmp_path, three_days):
    target = tmp_path / "audit.csv"
    result = runner.invoke(
        app, ["audit", "export", "--from", "2026-03-02", "--to", "2026-03-02", str(target)]
    )
    assert result.exit_code == 0, result.output
    header, *rows = list(csv.reader(io.StringIO(target.read_text(encoding="utf-8-sig"))))
    assert header[0] == "编号"
    assert [int(row[0]) for row in rows] == three_days["2026-03-02"]
    event = db.exec(select(AuditLog).where(AuditLog.action == "export")).one()
    assert event.actor_name == "cli" and event.after and event.after["format"] == "csv"


def test_the_command_refuses_other_file_types(db, tmp_path):
    target = tmp_path / "audit.txt"
    result = runner.invoke(
        app, ["audit", "export", "--from", "2026-03-02", "--to", "2026-03-02", str(target)]
    )
    assert result.exit_code == 1 and not target.exists()
