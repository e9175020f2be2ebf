"""Month arithmetic for dues: a month is the date of its first day."""

from __future__ import annotations

import datetime as dt


def month_of(day: dt.date) -> dt.date:
    return day.replace(day=1)


def add_months(month: dt.date, n: int) -> dt.date:
    index = month.year * 12 + month.month - 1 + n
    return dt.date(index // 12, index % 12 + 1, 1)


def months_between(first: dt.date, last: dt.date) -> int:
    """How many months from `first` to `last` (0 when they are the same month)."""
    return (last.year - first.year) * 12 + last.month - first.month


def month_range(first: dt.date, last: dt.date) -> list[dt.date]:
    return [add_months(month_of(first), n) for n in range(months_between(month_of(first), month_of(last)) + 1)]


def label(month: dt.date) -> str:
    return f"{month.year}年{month.month}月"


def parse_month(text: str) -> dt.date:
    """'2026-03' → 2026-03-01; ValueError otherwise."""
    year, _, month = (text or "").strip().partition("-")
    return dt.date(int(year), int(month), 1)
