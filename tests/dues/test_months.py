"""Month arithmetic behind the back-payment and prepayment windows."""
from __future__ import annotations

import datetime as dt

from hypothesis import given, strategies as st

from dangjian.dues.actions import payable_window
from dangjian.dues.months import add_months, month_of, month_range, months_between

months = st.dates(min_value=dt.date(1990, 1, 1), max_value=dt.date(2090, 12, 31)).map(month_of)


@given(months, st.integers(min_value=-600, max_value=600))
def test_adding_months_and_counting_them_back_agree(month, n):
    later = add_months(month, n)
    assert later.day == 1
    assert months_between(month, later) == n
    assert add_months(later, -n) == month


@given(months, st.integers(min_value=0, max_value=40))
def test_a_range_holds_every_month_once_in_order(first, n):
    span = month_range(first, add_months(first, n))
    assert len(span) == n + 1 and span == sorted(set(span))


def test_the_window_runs_six_months_back_and_six_ahead_across_a_new_year():
    assert payable_window(dt.date(2026, 2, 27)) == (dt.date(2025, 8, 1), dt.date(2026, 8, 1))
    assert payable_window(dt.date(2026, 11, 30)) == (dt.date(2026, 5, 1), dt.date(2027, 5, 1))
