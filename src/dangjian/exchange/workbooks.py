"""Workbooks we hand out: the import template per kind, and the error report of an import."""

from __future__ import annotations

import datetime as dt
import io
import json

import xlsxwriter
from xlsxwriter.utility import xl_col_to_name

from .columns import EXPLANATION_MARK, KIND_LABELS, KINDS
from .models import ImportJob, ImportRow

TEMPLATE_ROWS = 5000  # rows prepared with formats and drop-downs
# Text stays text: nothing typed into a cell becomes a formula, a number or a link.
WORKBOOK_OPTIONS = {"strings_to_formulas": False, "strings_to_numbers": False, "strings_to_urls": False}


def _formats(book):
    return {
        "header": book.add_format({"bold": True, "bg_color": "#C00000", "font_color": "#FFFFFF", "border": 1,
                                   "align": "center", "valign": "vcenter"}),
        "note": book.add_format({"italic": True, "font_color": "#7F7F7F", "text_wrap": True, "valign": "top"}),
        "text": book.add_format({"num_format": "@"}),
        "date": book.add_format({"num_format": "yyyy-mm-dd"}),
        "error": book.add_format({"font_color": "#C00000", "text_wrap": True}),
    }


def template(kind: str) -> bytes:
    """The Chinese template: headers (* = required), an explanation row, drop-downs for coded columns."""
    columns = KINDS[kind]
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True, **WORKBOOK_OPTIONS})
    fmt = _formats(book)
    sheet = book.add_worksheet(f"{KIND_LABELS[kind]}信息")
    lists = book.add_worksheet("可选值")
    lists.hide()
    list_column = 0
    for index, column in enumerate(columns):
        sheet.write_string(0, index, column.title, fmt["header"])
        note = column.note or ("必填" if column.required else "")
        if index == 0:
            note = f"{EXPLANATION_MARK}：带 * 的列必填，本行不会导入。" + note
        if column.options:
            note = (note + "；" if note else "") + "从下拉列表中选择"
        sheet.write_string(1, index, note, fmt["note"])
        is_date = column.is_date
        wide = column.key in ("id_number", "work_unit_and_post", "address", "name", "parent")
        sheet.set_column(index, index, 24 if wide else 14, fmt["date"] if is_date else fmt["text"])
        if column.options:
            lists.write_string(0, list_column, column.header)
            for offset, option in enumerate(column.options, start=1):
                lists.write_string(offset, list_column, option)
            letter = xl_col_to_name(list_column)
            sheet.data_validation(2, index, TEMPLATE_ROWS, index, {
                "validate": "list", "source": f"='可选值'!${letter}$2:${letter}${len(column.options) + 1}",
                "error_title": "不在可选值中", "error_message": "请从下拉列表中选择", "error_type": "warning",
            })
            list_column += 1
        elif is_date:
            sheet.data_validation(2, index, TEMPLATE_ROWS, index, {
                "validate": "date", "criteria": "between", "minimum": dt.date(1900, 1, 1),
                "maximum": dt.date(2099, 12, 31), "error_type": "warning",
                "error_title": "日期格式", "error_message": "请按 1990-01-02 的格式填写日期",
            })
    sheet.set_row(1, 48)
    sheet.freeze_panes(2, 0)
    book.close()
    return buffer.getvalue()


def error_report(job: ImportJob) -> bytes:
    """Every bad cell of the import: the row number, the column, the reason, and the row as it was written."""
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True, "constant_memory": True, **WORKBOOK_OPTIONS})
    fmt = _formats(book)
    sheet = book.add_worksheet("错误明细")
    original = (job.header_map or {}).get("original") or []
    heads = ["行号", "出错的列", "错误原因", *original]
    for index, head in enumerate(heads):
        sheet.write_string(0, index, head, fmt["header"])
    sheet.set_column(0, 0, 8)
    sheet.set_column(1, 1, 16)
    sheet.set_column(2, 2, 48)
    sheet.set_column(3, 3 + len(original), 16)
    line = 1
    rows = ImportRow.objects.filter(job=job, outcome=ImportRow.Outcome.ERROR).order_by("row_number")
    for row in rows.iterator(chunk_size=1000):
        cells = json.loads(row.payload)["original"]
        for column, reason in row.errors:
            sheet.write_number(line, 0, row.row_number)
            sheet.write_string(line, 1, column)
            sheet.write_string(line, 2, reason, fmt["error"])
            for offset, value in enumerate(cells):
                sheet.write_string(line, 3 + offset, value or "")
            line += 1
    sheet.freeze_panes(1, 3)
    sheet.autofilter(0, 0, max(line - 1, 1), len(heads) - 1)
    book.close()
    return buffer.getvalue()
