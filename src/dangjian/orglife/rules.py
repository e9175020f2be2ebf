"""The regulation checks of organisational life: periods and frequencies, votes at a 党员大会, the 优秀 share of a
民主评议, and the check-in window and place. Numbers come from the rulebook; reasons are Chinese and cite it."""

from __future__ import annotations

import datetime as dt
import functools
import math
from dataclasses import dataclass
from decimal import Decimal

from dangjian.core import rulebook

from .choices import MeetingKind, Period

# -- periods (月 / 季度 / 年) -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Span:
    unit: str
    start: dt.date
    end: dt.date  # the last day, inclusive

    @property
    def label(self) -> str:
        if self.unit == Period.MONTH:
            return f"{self.start.year}年{self.start.month}月"
        if self.unit == Period.QUARTER:
            return f"{self.start.year}年第{(self.start.month - 1) // 3 + 1}季度"
        return f"{self.start.year}年"

    @functools.cached_property
    def key(self) -> str:
        return self.start.isoformat()[:7] if self.unit != Period.YEAR else str(self.start.year)


@functools.lru_cache(maxsize=4096)  # the calendar never changes: tens of thousands of organisations share its spans
def span_of(day: dt.date, unit: str) -> Span:
    """The month, quarter or year containing `day`."""
    if unit == Period.MONTH:
        first, months = day.replace(day=1), 1
    elif unit == Period.QUARTER:
        first, months = dt.date(day.year, (day.month - 1) // 3 * 3 + 1, 1), 3
    elif unit == Period.YEAR:
        first, months = dt.date(day.year, 1, 1), 12
    else:
        raise ValueError(f"unknown period unit {unit!r}")
    index = first.month - 1 + months
    following = dt.date(first.year + index // 12, index % 12 + 1, 1)
    return Span(unit, first, following - dt.timedelta(days=1))


@functools.lru_cache(maxsize=256)
def spans_between(start: dt.date, end: dt.date, unit: str) -> tuple[Span, ...]:
    """Every period touching [start, end], in order."""
    out, day = [], start
    while day <= end:
        span = span_of(day, unit)
        out.append(span)
        day = span.end + dt.timedelta(days=1)
    return tuple(out)


def frequency(kind: str, on: dt.date) -> str:
    return rulebook.value("orglife_frequency", on)[kind]


# -- votes at a 支部党员大会 ----------------------------------------------------------------------------------------


def _more_than_half(count: int, due: int) -> bool:
    return 2 * count > due


def vote_refusal(due: int, present: int, yes: int, no: int, abstain: int) -> str | None:
    """Why these figures cannot stand as a vote (支部条例 第十一条), or None."""
    if due <= 0:
        return "本次会议没有应到会有表决权的党员，不能进行表决"
    if not _more_than_half(present, due):
        return (f"应到会有表决权的党员 {due} 人，实到 {present} 人，未超过半数，不能进行表决"
                f"（{rulebook.citation('general_meeting_vote')}）")
    if yes + no + abstain > present:
        return f"赞成、反对、弃权合计 {yes + no + abstain} 票，超过实到会有表决权的 {present} 人"
    return None


def motion_passes(due: int, yes: int) -> bool:
    """赞成票超过应到会有表决权党员的半数：exactly half fails."""
    return due > 0 and _more_than_half(yes, due)


# -- 民主评议 ----------------------------------------------------------------------------------------------------


def excellent_limit(graded: int, on: dt.date) -> int:
    """The most members that may be graded 优秀 among `graded` (预备党员 are not graded)."""
    num, den = rulebook.value("appraisal_excellent_share", on)
    return graded * num // den


# -- check-in window and place ------------------------------------------------------------------------------------


def checkin_window(meeting) -> tuple[dt.datetime, dt.datetime]:
    margin = dt.timedelta(minutes=rulebook.value("checkin_margin_minutes", meeting.held_on))
    return meeting.starts_at - margin, meeting.ends_at + margin


def distance_metres(lat1, lon1, lat2, lon2) -> float:
    """Great-circle distance (haversine) on a sphere of the Earth's mean radius."""
    r = 6_371_000.0
    p1, p2 = math.radians(float(lat1)), math.radians(float(lat2))
    dp, dl = p2 - p1, math.radians(float(lon2) - float(lon1))
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * r * math.asin(min(1.0, math.sqrt(a)))


# -- study hours ------------------------------------------------------------------------------------------------


def default_study_hours(kind: str, starts_at: dt.datetime, ends_at: dt.datetime, on: dt.date) -> Decimal:
    """学时 credited to those present: the meeting's length in 学时 for the kinds that count, else 0."""
    if kind not in rulebook.value("study_hour_kinds", on):
        return Decimal("0")
    minutes = max(0, int((ends_at - starts_at).total_seconds() // 60))
    hours = Decimal(minutes) / Decimal(rulebook.value("study_hour_minutes", on))
    return hours.quantize(Decimal("0.1"))


def study_pace(on: dt.date) -> Decimal:
    """The 学时 a member should have by `on` at an even pace: 1/12 of the year's target per month completed."""
    months = on.month - 1
    return (Decimal(rulebook.value("study_hours_per_year", on)) * months / 12).quantize(Decimal("0.1"))


KIND_LABELS = dict(MeetingKind.choices)
