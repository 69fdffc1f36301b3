"""The ledger as another office suite meets it: the app's export, opened and saved again by
LibreOffice (as a workbook, and as one CSV per sheet the way LibreOffice names them), imports
back into the database it came from with nothing to change; its cells are typed (amounts are
numbers, dates are dates, codes are text that keep their leading zeros)."""

import io
import shutil
import subprocess
from datetime import datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from openpyxl import Workbook, load_workbook
from sqlmodel import Session

from liaison.config import get_settings
from liaison.db import normalise_url
from liaison.ledger import exporter, importer
from liaison.ledger.reader import open_source

SOFFICE = shutil.which("soffice")
PER_SHEET_CSV = "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false,false,-1"


def libreoffice(path: Path, target: str, out: Path) -> None:
    """Open `path` in LibreOffice and save it as `target` into `out`, as a person would."""
    assert SOFFICE, (
        "LibreOffice is required for these tests: apt-get install libreoffice-calc-nogui"
    )
    subprocess.run(
        [SOFFICE, "--headless", f"-env:UserInstallation=file://{out}/profile",
         "--convert-to", target, "--outdir", str(out), str(path)],
        check=True, capture_output=True, timeout=120,
    )  # fmt: skip


@pytest.fixture(scope="module")
def demo_export(demo_database: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    engine = sa.create_engine(normalise_url(demo_database))
    path = tmp_path_factory.mktemp("export") / "台账.xlsx"
    with Session(engine) as session, path.open("wb") as out:
        exporter.write_workbook(session, out)
    engine.dispose()
    return path


def changes(demo_database: str, source: Path) -> dict[str, tuple[int, int]]:
    """(added, updated) per sheet of a dry run of `source` against the demo database."""
    engine = sa.create_engine(normalise_url(demo_database))
    with Session(engine) as session, open_source(source) as opened:
        plan = importer.check(session, opened, get_settings())
    engine.dispose()
    assert plan.ok, plan.problems[:5]
    return {
        sheet: (c.added, c.updated) for sheet, c in plan.counts().items() if c.added or c.updated
    }


def test_the_export_imports_back_unchanged_as_the_app_wrote_it(demo_database, demo_export):
    assert changes(demo_database, demo_export) == {}


def test_the_export_resaved_by_libreoffice_imports_back_unchanged(
    demo_database, demo_export, tmp_path
):
    libreoffice(demo_export, "xlsx:Calc MS Excel 2007 XML", tmp_path)
    resaved = tmp_path / demo_export.name
    assert changes(demo_database, resaved) == {}
    book = load_workbook(resaved, read_only=True)
    badge = next(book["民警"].iter_rows(min_row=2, values_only=True))[0]
    assert isinstance(badge, str) and badge.startswith("0")  # text: its zero kept
    entry = next(book["挽回损失"].iter_rows(min_row=2, values_only=True))
    assert isinstance(entry[2], int | float) and isinstance(entry[3], datetime)


def test_the_sheets_saved_one_by_one_as_csv_by_libreoffice_import_back_unchanged(
    demo_database, demo_export, tmp_path
):
    libreoffice(demo_export, PER_SHEET_CSV, tmp_path)
    files = sorted(p.name for p in tmp_path.glob("*.csv"))
    assert "台账-民警.csv" in files and len(files) == 8
    assert "\n010001," in (tmp_path / "台账-民警.csv").read_text(encoding="utf-8")
    assert changes(demo_database, tmp_path) == {}


@pytest.mark.parametrize("suffix", ["ods", "xls"])
def test_the_export_saved_as_ods_or_xls_imports_back_unchanged(
    demo_database, demo_export, tmp_path, suffix
):
    """WPS and LibreOffice users send .ods and .xls as often as .xlsx."""
    libreoffice(demo_export, suffix, tmp_path)
    assert changes(demo_database, tmp_path / f"台账.{suffix}") == {}


def _one_sheet(rows: list[list[object]]) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = "派出所"
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_a_header_under_a_title_and_headers_with_line_breaks_are_found(db):
    data = _one_sheet(
        [["某某分局派出所一览"], [], ["单位\n编码", " 单位名称 *"], ["S91", "测试派出所"]]
    )
    with open_source(data, "派出所.xlsx") as source:
        plan = importer.check(db, source, get_settings())
    assert plan.ok, plan.problems
    assert [r.values["code"] for r in plan.rows["派出所"]] == ["S91"]


def test_a_file_with_no_sheet_it_knows_lists_the_sheets_it_found(db):
    book = Workbook()
    book.active.title = "Sheet1"
    book.create_sheet("人员名单")
    out = io.BytesIO()
    book.save(out)
    with open_source(out.getvalue(), "名单.xlsx") as source:
        plan = importer.check(db, source, get_settings())
    assert not plan.ok and "文件中的表：Sheet1、人员名单" in plan.problems[0].reason
