"""Reading a ledger as rows of cells: an `.xlsx` workbook, or one `.csv` per sheet in a folder or
a zip (UTF-8 with or without BOM, or GBK as Excel on Chinese Windows writes it). Rows stream one
at a time: memory holds what the importer keeps, not the file."""

import csv
import io
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Protocol

import python_calamine
from openpyxl import load_workbook

from liaison.spreadsheet import csv_value


class SourceError(ValueError):
    """The file as a whole cannot be read, in Chinese."""


class Source(Protocol):
    def sheet_names(self) -> list[str]: ...

    def rows(self, name: str) -> Iterator[tuple[int, list[Any]]]:
        """(Excel row number, cells) from row 1, the header."""
        ...

    def close(self) -> None: ...


class WorkbookSource:
    def __init__(self, data: io.BytesIO | Path) -> None:
        try:
            self.book = load_workbook(data, read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises many kinds for a damaged file
            raise SourceError("无法读取 Excel 文件，请确认是 .xlsx 格式") from exc

    def sheet_names(self) -> list[str]:
        return [name.strip() for name in self.book.sheetnames]

    def rows(self, name: str) -> Iterator[tuple[int, list[Any]]]:
        sheet = next(s for s in self.book.worksheets if s.title.strip() == name)
        for number, row in enumerate(sheet.iter_rows(values_only=True), start=1):
            yield number, list(row)

    def close(self) -> None:
        self.book.close()


OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # the compound file an .xls is


class CalamineSource:
    """An .xls (Excel 97–2003) or .ods (LibreOffice, WPS) workbook, read by calamine."""

    def __init__(self, raw: bytes) -> None:
        try:
            self.book = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(raw))
        except Exception as exc:  # calamine raises its own kinds for a damaged file
            raise SourceError("无法读取表格文件，请确认是 .xls 或 .ods 格式") from exc

    def sheet_names(self) -> list[str]:
        return [name.strip() for name in self.book.sheet_names]

    def rows(self, name: str) -> Iterator[tuple[int, list[Any]]]:
        title = next(n for n in self.book.sheet_names if n.strip() == name)
        cells = self.book.get_sheet_by_name(title).to_python(skip_empty_area=False)
        for number, row in enumerate(cells, start=1):
            yield number, [None if cell == "" else cell for cell in row]

    def close(self) -> None:
        self.book.close()


def decode(data: bytes) -> str:
    """UTF-8 (a BOM or not), else GB18030, the superset of the GBK that Excel writes."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            return data.decode("gb18030")
        except UnicodeDecodeError:
            raise SourceError("CSV 文件编码无法识别，请另存为 UTF-8 或 GBK") from None


class CsvSource:
    """One CSV per sheet, named after it (派出所.csv…). A field the export quoted because it
    starts like a formula reads back without that quote (`liaison.spreadsheet`)."""

    def __init__(self, files: dict[str, bytes]) -> None:
        self.files = files

    def sheet_names(self) -> list[str]:
        return list(self.files)

    def rows(self, name: str) -> Iterator[tuple[int, list[Any]]]:
        reader = csv.reader(io.StringIO(decode(self.files[name]), newline=""))
        for number, row in enumerate(reader, start=1):
            yield number, [csv_value(cell) if cell != "" else None for cell in row]

    def close(self) -> None:
        self.files.clear()


def _zip_name(info: zipfile.ZipInfo) -> str:
    """Zips made on Chinese Windows store names in GBK without saying so."""
    if info.flag_bits & 0x800:
        return info.filename
    try:
        return info.filename.encode("cp437").decode("gbk")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return info.filename


def _csv_files(names_and_bytes: Iterator[tuple[str, bytes]]) -> dict[str, bytes]:
    files = {}
    for name, data in names_and_bytes:
        base = name.replace("\\", "/").rsplit("/", 1)[-1]
        if base.lower().endswith(".csv") and not base.startswith("."):
            files[base[:-4].strip()] = data
    if not files:
        raise SourceError("没有找到 CSV 文件（每张表一个 .csv，以表名命名）")
    return files


# What a zip (an .xlsx and an .ods are zips too) may expand to, in all and against its own
# size, before anything of it is read: a ledger's XML packs 10–20 to 1; a zip bomb of 199 KB
# that unpacks to 200 MB took 1.4 GB of memory to read.
MAX_UNPACKED = 256 * 1024 * 1024
MAX_RATIO = 100
RATIO_FROM = 16 * 1024 * 1024  # a small file may pack as tightly as it likes


def _zipped(raw: bytes) -> Source:
    """What a zip holds: an .xlsx, an .ods (both are zips), or one CSV per sheet."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(raw))
    except zipfile.BadZipFile:
        raise SourceError("压缩文件已损坏") from None
    with archive:
        # The sizes the zip declares; zipfile reads no member past its declared size.
        unpacked = sum(info.file_size for info in archive.infolist())
        if unpacked > MAX_UNPACKED:
            raise SourceError(f"文件解压后超过 {MAX_UNPACKED // 1024 // 1024} MB，请拆分后分批导入")
        if unpacked > RATIO_FROM and unpacked > MAX_RATIO * len(raw):
            raise SourceError("文件的压缩比异常（疑似压缩炸弹），已拒绝读取")
        if "[Content_Types].xml" in archive.namelist():  # an Office Open XML workbook
            return WorkbookSource(io.BytesIO(raw))
        if archive.namelist()[:1] == ["mimetype"]:  # OpenDocument: .ods
            return CalamineSource(raw)
        entries = (
            (_zip_name(info), archive.read(info))
            for info in archive.infolist()
            if not info.is_dir()
        )
        return CsvSource(_csv_files(entries))


@contextmanager
def open_source(data: bytes | Path, filename: str = "") -> Iterator[Source]:
    """A workbook (.xlsx, .xls, .ods), a zip of CSVs, a folder of CSVs, or a single CSV named
    after its sheet."""
    if isinstance(data, Path) and data.is_dir():
        files = ((p.name, p.read_bytes()) for p in sorted(data.iterdir()) if p.is_file())
        source: Source = CsvSource(_csv_files(files))
    else:
        name = filename or (data.name if isinstance(data, Path) else "")
        raw = data.read_bytes() if isinstance(data, Path) else data
        if raw[:4] == b"PK\x03\x04":
            source = _zipped(raw)
        elif raw[:8] == OLE2:  # Excel 97–2003: .xls
            source = CalamineSource(raw)
        elif name.lower().endswith(".csv"):
            source = CsvSource(_csv_files(iter([(name, raw)])))
        else:
            raise SourceError("请上传 .xlsx、.xls 或 .ods 工作簿，或每张表一个 .csv 的 .zip 压缩包")
    try:
        yield source
    finally:
        source.close()
