"""Helpers for the import tests: workbooks written with xlsxwriter, as offices' files are."""
from __future__ import annotations

import datetime as dt
import io
import random

import pytest
import xlsxwriter

from factories import make_id_number


def xlsx(rows: list[list], *, number_ids: bool = False) -> bytes:
    """A workbook whose first sheet holds `rows` (None = empty cell; dates become real Excel dates)."""
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_numbers": False})
    sheet = book.add_worksheet("花名册")
    date_format = book.add_format({"num_format": "yyyy-mm-dd"})
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if value is None:
                continue
            if isinstance(value, dt.date):
                sheet.write_datetime(r, c, dt.datetime.combine(value, dt.time()), date_format)
            elif isinstance(value, (int, float)):
                sheet.write_number(r, c, value)
            else:
                sheet.write_string(r, c, value)
    book.close()
    return buffer.getvalue()


class Ids:
    """Distinct checksum-valid ID numbers for a test."""

    def __init__(self):
        self.rng = random.Random(7)
        self.used = set()

    def __call__(self, birth=dt.date(1985, 3, 4), male=True) -> str:
        while True:
            number = make_id_number(birth, male, self.rng)
            if number not in self.used:
                self.used.add(number)
                return number


@pytest.fixture
def ids():
    return Ids()
