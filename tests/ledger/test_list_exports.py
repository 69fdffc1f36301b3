"""Every list page's 导出 Excel: the rows the page lists for its filters, all its pages, in the
login's scope, as the one matching ledger sheet."""

import html
import io
import re
from urllib.parse import quote

from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlmodel import Session

from liaison.auth.roles import Role
from liaison.downloads import XLSX
from liaison.hazards.models import HazardCategory, HazardLevel
from liaison.ledger import schema
from liaison.projects.service import today
from liaison.recoveries import service as recovery_service
from liaison.recoveries.models import RecoverySource
from liaison.sheets import Sheet
from tests.factories import (
    login_as,
    make_dispute,
    make_hazard,
    make_officer,
    make_project,
    make_recovery,
    make_request,
    make_station,
)

HTMX = {"HX-Request": "true"}


def export_link(client: TestClient, url: str) -> str:
    """The 导出 Excel link of the list at `url`, as htmx swaps it in after a filter changes."""
    fragment = client.get(url, headers=HTMX)
    assert fragment.status_code == 200
    links = re.findall(r'<a class="button" href="([^"]+)" download>导出 Excel</a>', fragment.text)
    assert len(links) == 1, fragment.text
    return html.unescape(links[0])


def download(client: TestClient, url: str, sheet: Sheet) -> list[tuple[object, ...]]:
    """The rows of the one sheet of the workbook at `url`, header first."""
    response = client.get(url)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == XLSX
    filename = f"{sheet.name}-{today():%Y%m%d}.xlsx"
    assert response.headers["content-disposition"] == (
        f"attachment; filename*=UTF-8''{quote(filename)}"
    )
    book = load_workbook(io.BytesIO(response.content), read_only=True)
    assert book.sheetnames == [sheet.name]
    rows = list(book[sheet.name].iter_rows(values_only=True))
    assert list(rows[0]) == [column.header for column in sheet.columns]
    return rows[1:]


def codes(rows: list[tuple[object, ...]]) -> set[object]:
    return {row[0] for row in rows}


def listed(client: TestClient, url: str, wanted: set[str], others: set[str]) -> None:
    """The page at `url` lists the `wanted` codes and none of the `others`."""
    page = client.get(url).text
    assert all(code in page for code in wanted), page
    assert not any(code in page for code in others), page


def test_officer_exports_the_filtered_projects_of_their_station_only(client, db):
    here, there = make_station(db), make_station(db)
    me = make_officer(db, here)
    covered = make_project(db, officer=me)
    uncovered = make_project(db, here)
    elsewhere = make_project(db, there)
    make_project(db, officer=make_officer(db, there))
    login_as(client, db, Role.OFFICER, officer=me)

    link = export_link(client, "/projects?covered=no")
    assert link == "/projects?covered=no&format=xlsx"
    rows = download(client, link, schema.BY_NAME["重点项目"])

    assert codes(rows) == {uncovered.code}
    listed(client, "/projects?covered=no", {uncovered.code}, {covered.code, elsewhere.code})
    assert rows[0][:2] == (uncovered.code, uncovered.name)


def test_officer_exports_major_hazards_and_areas_of_their_station_only(client, db):
    here, there = make_station(db), make_station(db)
    me, colleague = make_officer(db, here), make_officer(db, there)
    mine, theirs = make_project(db, officer=me), make_project(db, officer=colleague)
    major = make_hazard(db, mine, me, level=HazardLevel.MAJOR)
    general = make_hazard(db, mine, me, level=HazardLevel.GENERAL)
    area = make_hazard(db, mine, me, level=HazardLevel.MAJOR, category=HazardCategory.COMPLEX_AREA)
    other_station = make_hazard(db, theirs, colleague, level=HazardLevel.MAJOR)
    login_as(client, db, Role.OFFICER, officer=me)

    link = export_link(client, "/hazards?level=重大")
    assert link == f"/hazards?level={quote('重大')}&format=xlsx"
    rows = download(client, link, schema.BY_NAME["隐患"])
    assert codes(rows) == {major.code}
    listed(
        client, "/hazards?level=重大", {major.code}, {general.code, area.code, other_station.code}
    )
    assert rows[0][3] == "重大" and rows[0][1] == mine.code

    areas = download(client, export_link(client, "/areas?level=重大"), schema.BY_NAME["隐患"])
    assert codes(areas) == {area.code}
    listed(client, "/areas?level=重大", {area.code}, {major.code, other_station.code})


def test_officer_exports_disputes_under_mediation_of_their_station_only(client, db):
    here, there = make_station(db), make_station(db)
    me, colleague = make_officer(db, here), make_officer(db, there)
    mine, theirs = make_project(db, officer=me), make_project(db, officer=colleague)
    open_case = make_dispute(db, mine, me)
    settled = make_dispute(db, mine, me, agreement_fen=10_000_00)
    other_station = make_dispute(db, theirs, colleague)
    login_as(client, db, Role.OFFICER, officer=me)

    url = "/disputes?status=调解中"
    rows = download(client, export_link(client, url), schema.BY_NAME["纠纷"])

    assert codes(rows) == {open_case.code}
    listed(client, url, {open_case.code}, {settled.code, other_station.code})
    assert rows[0][4] == 50000  # a number cell: SUM works


def test_officer_exports_the_ledger_entries_of_a_source_in_their_station_only(client, db):
    here, there = make_station(db), make_station(db)
    me, colleague = make_officer(db, here), make_officer(db, there)
    mine, theirs = make_project(db, officer=me), make_project(db, officer=colleague)
    refund = make_recovery(db, mine, me, amount_fen=1_234_56)
    wages, _ = recovery_service.record(
        db,
        mine,
        me,
        recovery_service.Entry(
            amount_fen=2_000_00, recovered_on=today(), source=RecoverySource.WAGES
        ),
        by_user_id=None,
    )
    db.commit()
    other_station = make_recovery(db, theirs, colleague)
    login_as(client, db, Role.OFFICER, officer=me)

    url = "/recoveries?source=电信诈骗返还&by=source"
    page = client.get(url).text
    links = re.findall(r'<a class="button" href="([^"]+)" download>导出 Excel</a>', page)
    assert links == [f"/recoveries?source={quote('电信诈骗返还')}&amp;by=source&amp;format=xlsx"]
    rows = download(client, html.unescape(links[0]), schema.BY_NAME["挽回损失"])

    assert codes(rows) == {refund.code}
    listed(client, url, {refund.code}, {wages.code, other_station.code})
    assert rows[0][2] == 1234.56  # a number cell


def test_officer_exports_the_requests_of_their_station_with_phones_masked(client, db):
    here, there = make_station(db), make_station(db)
    me, colleague = make_officer(db, here), make_officer(db, there)
    mine, theirs = make_project(db, officer=me), make_project(db, officer=colleague)
    fallen = make_request(db, mine, content="围挡被风吹倒")
    noise = make_request(db, mine, content="夜间施工噪音")
    other_station = make_request(db, theirs, content="围挡破损")
    duty_desk = make_request(db, content="围挡占道")
    login_as(client, db, Role.OFFICER, officer=me)

    url = "/requests?box=all&q=围挡"
    rows = download(client, export_link(client, url), schema.BY_NAME["诉求"])

    assert codes(rows) == {fallen.tracking_no}
    others = {noise.tracking_no, other_station.tracking_no, duty_desk.tracking_no}
    listed(client, url, {fallen.tracking_no}, others)
    name, phone = rows[0][7], rows[0][8]
    assert (name, phone) == ("张三", "138****2222")
    assert not any(re.search(r"1\d{10}", str(cell)) for row in rows for cell in row if cell)


def test_a_leaders_request_export_masks_phones_too(client, db):
    make_request(db, make_project(db))
    make_request(db)
    login_as(client, db, Role.LEADER)

    rows = download(client, "/requests?box=all&format=xlsx", schema.BY_NAME["诉求"])

    assert len(rows) == 2
    assert {row[8] for row in rows} == {"138****2222"}


def test_the_export_holds_every_page_whichever_page_is_shown(client, db: Session):
    station = make_station(db)
    me = make_officer(db, station)
    projects = [make_project(db, station) for _ in range(3)]
    login_as(client, db, Role.OFFICER, officer=me)

    rows = download(client, "/projects?page=2&format=xlsx", schema.BY_NAME["重点项目"])

    assert codes(rows) == {p.code for p in projects}


def test_an_empty_result_exports_the_header_alone(client, db):
    login_as(client, db, Role.OFFICER)

    assert download(client, "/hazards?level=重大&format=xlsx", schema.BY_NAME["隐患"]) == []


def test_a_login_that_may_not_read_the_list_gets_no_export(client, db):
    login_as(client, db, Role.AUDITOR)

    assert client.get("/disputes?format=xlsx").status_code == 403
