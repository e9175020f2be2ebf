"""The report as one .xlsx workbook: a sheet per table, laid out like the paper forms (title, organisation and
date, header row, item rows with 其中 indented, totals in bold, note rows)."""

from __future__ import annotations

from decimal import Decimal
from typing import IO

import xlsxwriter
from django.utils.translation import gettext as _

from ..workbooks import WORKBOOK_OPTIONS
from .tables import Report, Table

TITLE_ROW, SUBTITLE_ROW, HEADER_ROW = 0, 1, 3
FIRST_DATA_ROW = HEADER_ROW + 1
SHEET_NAME_MAX = 31  # Excel's limit


def _formats(book) -> dict:
    border = {"border": 1, "valign": "vcenter"}
    return {
        "title": book.add_format({"bold": True, "font_size": 16, "align": "center", "valign": "vcenter"}),
        "subtitle": book.add_format({"align": "left", "valign": "vcenter"}),
        "header": book.add_format({"bold": True, "bg_color": "#F2DCDB", "align": "center", "text_wrap": True, **border}),
        "label": [book.add_format({**border, "indent": level}) for level in range(3)],
        "total_label": book.add_format({**border, "bold": True}),
        "number": book.add_format({**border, "num_format": "0"}),
        "total_number": book.add_format({**border, "num_format": "0", "bold": True}),
        "decimal": book.add_format({**border, "num_format": "0.0"}),
        "total_decimal": book.add_format({**border, "num_format": "0.0", "bold": True}),
        "empty": book.add_format(border),
        "note": book.add_format({**border, "italic": True, "font_color": "#7F7F7F", "text_wrap": True}),
        "footer": book.add_format({"italic": True, "font_color": "#7F7F7F", "text_wrap": True, "valign": "top"}),
    }


def sheet_name(index: int, table: Table) -> str:
    return f"{index}.{table.title}"[:SHEET_NAME_MAX]


def _write_table(book, fmt: dict, index: int, table: Table, report: Report) -> None:
    sheet = book.add_worksheet(sheet_name(index, table))
    width = len(table.columns)
    sheet.merge_range(TITLE_ROW, 0, TITLE_ROW, width, f"表{index}  {table.title}", fmt["title"])
    sheet.set_row(TITLE_ROW, 30)
    subtitle = _("填报单位：%(org)s        统计截止日期：%(on)s（统计期 %(start)s 至 %(on)s）") % {
        "org": report.org_name, "on": f"{report.on:%Y年%m月%d日}",
        "start": f"{report.first_day:%Y年%m月%d日}"}
    sheet.merge_range(SUBTITLE_ROW, 0, SUBTITLE_ROW, width, subtitle, fmt["subtitle"])
    sheet.write_string(HEADER_ROW, 0, _("项目"), fmt["header"])
    for column, header in enumerate(table.columns, start=1):
        sheet.write_string(HEADER_ROW, column, header, fmt["header"])
    sheet.set_column(0, 0, 46)
    sheet.set_column(1, width, 14)
    line = FIRST_DATA_ROW
    for row in table.rows:
        if row.note:
            sheet.merge_range(line, 0, line, width, _("注：%(text)s") % {"text": row.label}, fmt["note"])
            sheet.set_row(line, 32)
            line += 1
            continue
        sheet.write_string(line, 0, row.label, fmt["total_label"] if row.total else fmt["label"][min(row.level, 2)])
        for column, value in enumerate(row.values, start=1):
            prefix = "total_" if row.total else ""
            if value is None:
                sheet.write_blank(line, column, None, fmt["empty"])
            elif isinstance(value, Decimal):
                sheet.write_number(line, column, float(value), fmt[prefix + "decimal"])
            else:
                sheet.write_number(line, column, value, fmt[prefix + "number"])
        line += 1
    for note in table.notes:
        line += 1
        sheet.merge_range(line, 0, line, width, _("说明：%(text)s") % {"text": note}, fmt["footer"])
        sheet.set_row(line, 36)
    sheet.freeze_panes(FIRST_DATA_ROW, 1)


def write_report(report: Report, out: IO[bytes]) -> None:
    book = xlsxwriter.Workbook(out, {"in_memory": True, **WORKBOOK_OPTIONS})
    fmt = _formats(book)
    for index, table in enumerate(report.tables, start=1):
        _write_table(book, fmt, index, table, report)
    book.close()
