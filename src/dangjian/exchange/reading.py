"""Reading spreadsheets that people actually keep: .xlsx, .xls and .csv, checked for hostile content first.

A file is refused before any cell is read when it is too large, is a zip bomb, carries macros, or is not
the spreadsheet it claims to be. Cells come back as Python values (str, float, int, bool, date, datetime);
formulas are never evaluated — the value Excel last saved is what is read.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

XLSX_TYPES = {".xlsx"}
XLS_TYPES = {".xls"}
CSV_TYPES = {".csv"}
MACRO_TYPES = {".xlsm", ".xltm", ".xlam", ".xlsb"}
ACCEPTED = XLSX_TYPES | XLS_TYPES | CSV_TYPES
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGIC = b"PK\x03\x04"
# OLE directory entries are UTF-16LE; a VBA project in an .xls lives in a storage named so.
OLE_VBA_MARKERS = ("_VBA_PROJECT_CUR".encode("utf-16-le"), "VBA".encode("utf-16-le") + b"\x00\x00")
_DIMENSION = re.compile(rb'<dimension ref="[A-Z]+\d+(?::[A-Z]+(\d+))?"')
CSV_ENCODINGS = ("utf-8-sig", "gb18030")  # Excel on Chinese Windows saves CSV in GBK


class RefusedFile(Exception):
    """The file is not read at all; the message says why, in Chinese."""


@dataclass
class Limits:
    max_bytes: int
    max_rows: int
    max_unzipped_bytes: int
    max_ratio: int

    @classmethod
    def from_settings(cls) -> "Limits":
        return cls(
            max_bytes=settings.IMPORT_MAX_MB * 1024 * 1024,
            max_rows=settings.IMPORT_MAX_ROWS,
            max_unzipped_bytes=settings.IMPORT_MAX_UNZIPPED_MB * 1024 * 1024,
            max_ratio=settings.IMPORT_MAX_ZIP_RATIO,
        )


def check_file(name: str, data: bytes, limits: Limits | None = None) -> str:
    """Refuse a hostile or unsupported file from its name and content; return its kind (xlsx/xls/csv)."""
    limits = limits or Limits.from_settings()
    head, size = data[:8], len(data)
    suffix = Path(name or "").suffix.lower()
    if suffix in MACRO_TYPES:
        raise RefusedFile("不接受含宏或二进制格式的工作簿（.xlsm/.xlsb 等），请另存为 .xlsx 后再导入")
    if suffix not in ACCEPTED:
        raise RefusedFile("只能导入 .xlsx、.xls 或 .csv 文件")
    if size == 0:
        raise RefusedFile("文件是空的")
    if size > limits.max_bytes:
        raise RefusedFile(f"文件超过 {limits.max_bytes // (1024 * 1024)} MB 的上限，请拆分后分批导入")
    if suffix in XLSX_TYPES:
        if not head.startswith(ZIP_MAGIC):
            raise RefusedFile("文件内容不是 .xlsx 工作簿（可能是改了扩展名的其他文件）")
        _check_zip(data, limits)
        return "xlsx"
    if suffix in XLS_TYPES:
        if not head.startswith(OLE_MAGIC):
            raise RefusedFile("文件内容不是 .xls 工作簿（可能是改了扩展名的其他文件）")
        if any(marker in data for marker in OLE_VBA_MARKERS):
            raise RefusedFile("工作簿含有宏（VBA），为安全起见不予导入，请删除宏或另存为 .xlsx 后再导入")
        return "xls"
    if head.startswith(ZIP_MAGIC) or head.startswith(OLE_MAGIC):
        raise RefusedFile("文件内容是 Excel 工作簿，扩展名却是 .csv，请改回正确的扩展名")
    if data.count(b"\n") > limits.max_rows + 20:
        raise RefusedFile(_too_many_rows(limits))
    return "csv"


def _too_many_rows(limits: Limits) -> str:
    return f"工作表超过 {limits.max_rows:,} 行的上限，请拆分后分批导入"


def _check_zip(data: bytes, limits: Limits) -> None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            entries = archive.infolist()
    except (zipfile.BadZipFile, OSError):
        raise RefusedFile("工作簿已损坏或不完整，无法读取") from None
    names = {e.filename.lower() for e in entries}
    if any(n.endswith("vbaproject.bin") for n in names):
        raise RefusedFile("工作簿含有宏（VBA），为安全起见不予导入，请删除宏或另存为 .xlsx 后再导入")
    if "[content_types].xml" not in names:
        raise RefusedFile("文件内容不是 .xlsx 工作簿")
    total = 0
    for entry in entries:
        total += entry.file_size
        ratio = entry.file_size / max(entry.compress_size, 1)
        if ratio > limits.max_ratio and entry.file_size > 1024 * 1024:
            raise RefusedFile("工作簿的压缩比异常（疑似压缩炸弹），不予导入")
        if total > limits.max_unzipped_bytes:
            raise RefusedFile(
                f"工作簿解压后超过 {limits.max_unzipped_bytes // (1024 * 1024)} MB 的上限（疑似压缩炸弹或数据过多），请拆分后分批导入"
            )
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            for entry in entries:
                if entry.filename.startswith("xl/worksheets/") and entry.filename.endswith(".xml"):
                    # The sheet's declared size (<dimension ref="A1:U200001"/>) comes first: refuse early. Rows
                    # are counted again while reading, so a file that understates its size fails then.
                    with archive.open(entry) as stream:
                        match = _DIMENSION.search(stream.read(4096))
                    if match and match.group(1) and int(match.group(1)) > limits.max_rows + 20:
                        raise RefusedFile(_too_many_rows(limits))
    except (zipfile.BadZipFile, OSError, EOFError, zlib.error):
        raise RefusedFile("工作簿已损坏或不完整，无法读取") from None


@dataclass
class Sheet:
    rows: list[list]  # cell values, row by row, as the sheet holds them (row 1 first)


def read_sheet(data: bytes, kind: str, limits: Limits | None = None) -> Sheet:
    """The first sheet's cells, read from memory (a decrypted upload never touches the disk).

    Raises RefusedFile for unreadable files and sheets over the row limit."""
    limits = limits or Limits.from_settings()
    if kind == "csv":
        rows = _read_csv(data, limits)
    else:
        rows = _read_workbook(data, limits)
    while rows and not any(_filled(v) for v in rows[-1]):
        rows.pop()
    return Sheet(rows=rows)


def _filled(value) -> bool:
    return value is not None and not (isinstance(value, str) and not value.strip())


def _read_workbook(data: bytes, limits: Limits) -> list[list]:
    from python_calamine import CalamineError, CalamineWorkbook

    try:
        workbook = CalamineWorkbook.from_filelike(io.BytesIO(data))
        if not workbook.sheet_names:
            raise RefusedFile("工作簿中没有工作表")
        sheet = workbook.get_sheet_by_index(0)
        if sheet.total_height is not None and sheet.total_height > limits.max_rows + 20:
            raise RefusedFile(_too_many_rows(limits))
        rows = []
        for row in sheet.iter_rows():
            rows.append([None if v == "" else v for v in row])
            if len(rows) > limits.max_rows + 20:
                raise RefusedFile(_too_many_rows(limits))
        return rows
    except RefusedFile:
        raise
    except (CalamineError, ValueError, OSError, UnicodeDecodeError) as exc:
        raise RefusedFile("工作簿已损坏、加密或格式不受支持，无法读取") from exc


def _read_csv(data: bytes, limits: Limits) -> list[list]:
    if b"\x00" in data[:4096]:
        raise RefusedFile("文件不是文本格式的 CSV")
    for encoding in CSV_ENCODINGS:
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise RefusedFile("无法识别 CSV 文件的编码，请另存为 UTF-8 或 GBK 编码")
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",\t;")
    except csv.Error:
        dialect = csv.excel
    rows = []
    try:
        for row in csv.reader(io.StringIO(text), dialect):
            rows.append([cell if cell != "" else None for cell in row])
            if len(rows) > limits.max_rows + 20:
                raise RefusedFile(_too_many_rows(limits))
    except csv.Error as exc:
        raise RefusedFile(f"CSV 文件格式错误：{exc}") from None
    return rows

