"""The ledger pages: an upload's dry run writes nothing, its confirmation imports it whole (in
a thread, with its progress polled), a bad file is listed and refused, and the template and the
exports download in the contract's format; only admins and leaders reach any of it."""

import io
import re
import zipfile
from pathlib import Path
from urllib.parse import quote

import pytest
from openpyxl import load_workbook
from sqlmodel import func, select

from liaison.audit.models import AuditLog
from liaison.auth.roles import Role
from liaison.config import get_settings
from liaison.ledger import importer, schema, service
from liaison.ledger.models import LedgerUpload, UploadStatus
from liaison.ledger.reader import open_source
from liaison.org.models import Station
from liaison.pages import ledger as ledger_web
from liaison.projects.models import Project
from liaison.projects.service import today
from liaison.recoveries.models import Recovery
from tests.factories import login_as, post
from tests.ledger.books import SAMPLES, workbook

SAMPLE = Path(SAMPLES) / "ledger-2025.xlsx"
BAD = Path(SAMPLES) / "ledger-2025-bad.xlsx"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CONTRACT_SHEETS = ["派出所", "民警", "企业", "重点项目", "隐患", "纠纷", "挽回损失", "诉求"]


@pytest.fixture
def inline(monkeypatch):  # type: ignore[no-untyped-def]
    """Imports run inside the confirming request, so it returns on the finished state."""
    monkeypatch.setattr(ledger_web, "run_in_background", False)


def count(db, model) -> int:  # type: ignore[no-untyped-def]
    return db.exec(select(func.count()).select_from(model)).one()


def upload(client, data: bytes, filename: str = "台账.xlsx", **kwargs):  # type: ignore[no-untyped-def]
    return post(
        client, "/ledger/check", files={"file": (filename, data, XLSX)}, follow_redirects=False
    )


def upload_id(response) -> int:  # type: ignore[no-untyped-def]
    assert response.status_code == 303, response.text
    match = re.fullmatch(r"/ledger/uploads/(\d+)", response.headers["location"])
    assert match, response.headers["location"]
    return int(match.group(1))


def counts_row(html: str, sheet: str) -> tuple[int, int, int]:
    """(新增, 更新, 未变) of `sheet` in the page's counts table."""
    match = re.search(
        rf"<td>{sheet}</td>\s*<td class=\"num\">(\d+)</td>\s*"
        r"<td class=\"num\">(\d+)</td>\s*<td class=\"num\">(\d+)</td>",
        html,
    )
    assert match, f"no counts for {sheet}"
    added, updated, unchanged = (int(n) for n in match.groups())
    return added, updated, unchanged


def test_a_leaders_dry_run_shows_the_counts_and_writes_nothing_until_confirmed(client, db, inline):
    leader = login_as(client, db, Role.LEADER)
    number = upload_id(upload(client, SAMPLE.read_bytes(), "ledger-2025.xlsx"))

    page = client.get(f"/ledger/uploads/{number}")
    assert page.status_code == 200
    assert counts_row(page.text, "重点项目") == (150, 0, 0)
    assert counts_row(page.text, "派出所") == (5, 0, 0)
    assert "确认导入" in page.text and "处错误" not in page.text
    assert count(db, Project) == 0 and count(db, Station) == 0
    changes = select(func.count()).select_from(AuditLog).where(AuditLog.object_type != "User")
    assert db.exec(changes).one() == 0  # the login's rows, nothing else
    stored = db.get(LedgerUpload, number)
    rows = sum(c["added"] for c in stored.result["counts"].values())
    assert stored.status == UploadStatus.CHECKED and stored.total == rows > 1_000
    assert stored.data == SAMPLE.read_bytes() and stored.created_by_id == leader.id
    assert stored.result["counts"]["重点项目"] == {"added": 150, "updated": 0, "unchanged": 0}

    response = post(client, f"/ledger/uploads/{number}/import", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == f"/ledger/uploads/{number}"
    page = client.get(f"/ledger/uploads/{number}")
    assert "导入完成" in page.text and "确认导入" not in page.text
    assert counts_row(page.text, "重点项目") == (150, 0, 0)
    db.refresh(stored)
    assert stored.status == UploadStatus.DONE and stored.done == rows
    assert stored.finished_at is not None
    assert stored.data == b""  # the file held personal data; it is not kept
    assert count(db, Project) == 150
    project_audit = db.exec(select(AuditLog).where(AuditLog.object_type == "Project")).all()
    assert len(project_audit) >= 150
    assert {(row.actor_id, row.actor_name) for row in project_audit} == {
        (leader.id, leader.username)
    }

    listing = client.get("/ledger")
    assert "ledger-2025.xlsx" in listing.text and leader.display_name in listing.text
    assert "已导入" in listing.text and f"新增 {rows} · 更新 0 · 未变 0" in listing.text


def test_the_same_dry_run_is_imported_only_once(client, db, inline):
    login_as(client, db, Role.ADMIN)
    number = upload_id(upload(client, workbook()))
    assert post(client, f"/ledger/uploads/{number}/import").status_code == 200
    audit_rows = count(db, AuditLog)

    again = post(client, f"/ledger/uploads/{number}/import", follow_redirects=False)
    assert again.status_code == 409
    assert "此文件已处理过" in again.text
    assert count(db, AuditLog) == audit_rows

    # Uploading the same file again finds nothing to change.
    second = upload_id(upload(client, workbook()))
    result = db.get(LedgerUpload, second).result
    assert all(c["added"] == c["updated"] == 0 for c in result["counts"].values())


BAD_CELLS = {
    ("企业", 3, "统一社会信用代码"),
    ("隐患", 5, "项目编号"),
    ("隐患", 11, "等级"),
    ("纠纷", 7, "受理日期"),
    ("挽回损失", 9, "关联编号"),
}


def test_a_bad_file_lists_every_problem_and_cannot_be_imported(client, db, inline):
    login_as(client, db, Role.LEADER)
    number = upload_id(upload(client, BAD.read_bytes(), "ledger-2025-bad.xlsx"))

    page = client.get(f"/ledger/uploads/{number}")
    stored = db.get(LedgerUpload, number)
    problems = stored.result["problems"]
    assert stored.result["problem_count"] == len(problems) >= 5
    assert {(sheet, row, column) for sheet, row, column, _ in problems} >= BAD_CELLS
    assert f"有 {len(problems)} 处错误，未导入任何数据，请修改后重新上传" in page.text
    for sheet, row, column, reason in problems:
        cells = f'<td>{sheet}</td><td class="num">{row}</td><td>{column}</td><td>{reason}</td>'
        assert cells in page.text
    assert "特别重大 不是可选值" in page.text
    assert "确认导入" not in page.text
    assert stored.data == b""  # a file that can never be imported is not kept

    refused = post(client, f"/ledger/uploads/{number}/import", follow_redirects=False)
    assert refused.status_code == 409
    assert "检查发现错误的文件不能导入" in refused.text
    assert count(db, Station) == 0 and count(db, Project) == 0
    db.refresh(stored)
    assert stored.status == UploadStatus.CHECKED


@pytest.mark.parametrize(
    ("filename", "data", "message"),
    [
        ("说明.txt", b"\x00\x01 not a ledger", "请上传 .xlsx、.xls 或 .ods 工作簿"),
        ("台账.xlsx", b"PK\x03\x04 broken", "压缩文件已损坏"),
        ("派出所.csv", "单位编码,单位名称\n".encode("utf-16"), "CSV 文件编码无法识别"),
    ],
)
def test_an_unreadable_file_gets_the_reason_beside_the_file_input(
    client, db, filename, data, message
):
    login_as(client, db, Role.LEADER)
    response = upload(client, data, filename)
    assert response.status_code == 422
    match = re.search(r'<p class="error" id="e-file" role="alert">([^<]*)</p>', response.text)
    assert match and message in match.group(1)
    assert 'aria-invalid="true"' in response.text
    assert count(db, LedgerUpload) == 0


def test_an_upload_without_a_file_is_asked_for_one(client, db):
    login_as(client, db, Role.LEADER)
    response = post(client, "/ledger/check", files={"file": ("", b"", XLSX)})
    assert response.status_code == 422
    assert "请选择要上传的台账文件" in response.text


def test_the_template_has_the_eight_sheets_with_the_contracts_headers(client, db):
    login_as(client, db, Role.ADMIN)
    response = client.get("/ledger/template.xlsx")
    assert response.status_code == 200
    assert response.headers["content-type"] == XLSX
    assert response.headers["content-disposition"] == (
        f"attachment; filename=\"ledger-template.xlsx\"; filename*=UTF-8''{quote('台账模板.xlsx')}"
    )
    book = load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == [sheet.name for sheet in schema.SHEETS]
    assert book.sheetnames == CONTRACT_SHEETS
    for sheet in schema.SHEETS:
        header = [cell.value for cell in book[sheet.name][1]]
        assert header == [column.header for column in sheet.columns], sheet.name
        assert book[sheet.name].max_row == 1


def test_the_exports_after_an_import_hold_the_imported_projects(client, db, inline):
    login_as(client, db, Role.LEADER)
    number = upload_id(upload(client, SAMPLE.read_bytes()))
    post(client, f"/ledger/uploads/{number}/import")
    day = f"{today():%Y%m%d}"

    response = client.get("/ledger/export.xlsx")
    assert response.headers["content-type"] == XLSX
    assert (
        f"filename*=UTF-8''{quote(f'台账-{day}.xlsx')}" in response.headers["content-disposition"]
    )
    assert response.headers["content-disposition"].startswith("attachment;")
    assert int(response.headers["content-length"]) == len(response.content)
    book = load_workbook(io.BytesIO(response.content), read_only=True)
    assert book.sheetnames == [sheet.name for sheet in schema.SHEETS]
    assert len(list(book["重点项目"].iter_rows(min_row=2))) == 150

    response = client.get("/ledger/export.zip")
    assert response.headers["content-type"] == "application/zip"
    assert quote(f"台账-{day}.zip") in response.headers["content-disposition"]
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        assert sorted(archive.namelist()) == sorted(f"{s.name}.csv" for s in schema.SHEETS)
        projects = archive.read("重点项目.csv").decode("utf-8-sig").splitlines()
    assert len(projects) == 151

    # The export is importable as it stands, and changes nothing.
    with open_source(response.content, "台账.zip") as source:
        plan = importer.check(db, source, get_settings())
    assert plan.ok and all(c.added == c.updated == 0 for c in plan.counts().values())


def test_an_officer_is_refused_every_ledger_route(client, db):
    login_as(client, db, Role.LEADER)
    number = upload_id(upload(client, workbook()))
    client.cookies.clear()
    login_as(client, db, Role.OFFICER)
    for path in (
        "/ledger",
        "/ledger/template.xlsx",
        "/ledger/export.xlsx",
        "/ledger/export.zip",
        f"/ledger/uploads/{number}",
        f"/ledger/uploads/{number}/progress",
    ):
        assert client.get(path).status_code == 403, path
    assert upload(client, workbook()).status_code == 403
    assert post(client, f"/ledger/uploads/{number}/import").status_code == 403
    assert count(db, LedgerUpload) == 1 and count(db, Project) == 0
    assert db.get(LedgerUpload, number).status == UploadStatus.CHECKED


def test_the_running_fragment_polls_and_the_finished_one_does_not(client, db, inline):
    login_as(client, db, Role.LEADER)
    number = upload_id(upload(client, workbook()))
    stored = db.get(LedgerUpload, number)
    stored.status = UploadStatus.RUNNING.value
    db.add(stored)
    db.commit()
    fragment = {"HX-Request": "true"}
    service._running[number] = 4  # this process is four rows in
    try:
        running = client.get(f"/ledger/uploads/{number}/progress", headers=fragment).text
    finally:
        service._running.pop(number)
    assert "<html" not in running
    assert f'<progress max="{stored.total}" value="4">' in running
    assert f"已处理 4 / {stored.total} 行" in running
    assert 'hx-trigger="every 1s"' in running and 'hx-swap="outerHTML"' in running
    assert f'hx-get="/ledger/uploads/{number}/progress"' in running
    # Another process's import: the row's count.
    assert f"已处理 0 / {stored.total} 行" in client.get(f"/ledger/uploads/{number}/progress").text

    stored.status = UploadStatus.DONE.value
    db.add(stored)
    db.commit()
    finished = client.get(f"/ledger/uploads/{number}/progress", headers=fragment).text
    assert "导入完成" in finished and "hx-trigger" not in finished
    assert 'id="upload-status" data-testid="upload-status" hx-swap-oob="true">已导入' in finished


def test_the_import_checks_again_and_writes_nothing_when_the_data_changed_since(client, db, inline):
    login_as(client, db, Role.LEADER)
    number = upload_id(upload(client, workbook()))
    # Meanwhile someone imports the same entry with another amount: the ledger only grows.
    with open_source(workbook(挽回损失__0__amount_fen="2000.00"), "其他.xlsx") as source:
        plan = importer.check(db, source, get_settings())
    importer.apply(db, plan, by_user_id=None)
    db.commit()
    recoveries = count(db, Recovery)

    post(client, f"/ledger/uploads/{number}/import")
    stored = db.get(LedgerUpload, number)
    assert stored.status == UploadStatus.FAILED and stored.data == b""
    assert stored.result["error"].startswith("数据已有变化，重新检查发现")
    assert ("挽回损失", 2) in {(sheet, row) for sheet, row, _, _ in stored.result["problems"]}
    assert count(db, Recovery) == recoveries
    page = client.get(f"/ledger/uploads/{number}").text
    assert "未导入" in page and "数据已有变化" in page


def test_an_error_during_the_import_rolls_it_all_back_and_says_why(client, db, inline, monkeypatch):
    login_as(client, db, Role.LEADER)
    number = upload_id(upload(client, workbook()))
    real_apply = importer.apply

    def apply_then_fail(*args, **kwargs):  # type: ignore[no-untyped-def]
        real_apply(*args, **kwargs)
        raise RuntimeError("磁盘已满")

    monkeypatch.setattr(importer, "apply", apply_then_fail)
    post(client, f"/ledger/uploads/{number}/import")
    stored = db.get(LedgerUpload, number)
    assert stored.status == UploadStatus.FAILED
    assert stored.result["error"] == "导入失败，未写入任何数据：磁盘已满"
    assert stored.data == b"" and stored.finished_at is not None
    assert count(db, Station) == 0 and count(db, Project) == 0
    assert "导入失败，未写入任何数据：磁盘已满" in client.get(f"/ledger/uploads/{number}").text


def test_a_dry_run_left_unconfirmed_for_a_day_loses_its_file(client, db, travel):
    login_as(client, db, Role.LEADER)
    number = upload_id(upload(client, workbook()))
    travel.advance(hours=25)
    login_as(client, db, Role.LEADER)  # the first login's session has expired by now
    refused = post(client, f"/ledger/uploads/{number}/import", follow_redirects=False)
    assert refused.status_code == 409 and "请重新上传" in refused.text

    upload_id(upload(client, workbook()))  # the next upload sweeps the stale ones
    stale = db.get(LedgerUpload, number)
    assert stale.status == UploadStatus.FAILED and stale.data == b""
    assert stale.result["error"] == service.EXPIRED
    assert stale.result["counts"]["派出所"]["added"] == 1  # the report stays
    assert count(db, Station) == 0
