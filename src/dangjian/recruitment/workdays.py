"""Working days (工作日) for the 公示: public holidays and adjusted working days from `chinese-calendar`; for a year it
does not cover, Monday to Friday with the holidays the administrator entered (`Holiday`)."""

from __future__ import annotations

import datetime as dt

import chinese_calendar


def _builtin(day: dt.date) -> bool | None:
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:
        return None


def is_working_day(day: dt.date, entered: dict | None = None) -> bool:
    """`entered` maps administrator-entered days to "is a working day" (read once per calculation)."""
    if entered is not None and day in entered:
        return entered[day]
    builtin = _builtin(day)
    if builtin is not None:
        return builtin
    return day.weekday() < 5


def _entered(start: dt.date, end: dt.date) -> dict:
    from .models import Holiday

    return dict(Holiday.objects.filter(day__gte=start, day__lte=end).values_list("day", "is_working_day"))


def working_days_between(start: dt.date, end: dt.date) -> int:
    """Working days from `start` to `end`, both included."""
    if end < start:
        return 0
    entered = _entered(start, end)
    return sum(is_working_day(start + dt.timedelta(days=n), entered) for n in range((end - start).days + 1))


def add_working_days(start: dt.date, count: int) -> dt.date:
    """The day on which a period of `count` working days beginning on `start` (included) is complete."""
    day, seen = start, 0
    entered = _entered(start, start + dt.timedelta(days=count * 3 + 30))
    while True:
        if is_working_day(day, entered):
            seen += 1
            if seen >= count:
                return day
        day += dt.timedelta(days=1)


def covered_by_builtin(year: int) -> bool:
    return _builtin(dt.date(year, 6, 1)) is not None
