"""The shape of the annual Party statistics (党内统计年报): rows, tables, the report, and the bands and helpers
every table shares. The tables themselves: `membership` (the members, their number and movements), `activity`
(recruitment, appraisals, training); `report.annual_report` puts them together.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Q

# The roll of a day is the rule of `counts_on`; reused, not restated.
from dangjian.members.history import _on_roll
from dangjian.members.periods import add_years
from dangjian.orgs.history import subtree_on
from dangjian.orgs.models import Organization

HAN = "汉族"
# Age in full years on the day: the first and last age of each band of `AGE_BANDS` (None: open-ended).
AGE_LIMITS = {"le30": (None, 30), "31_35": (31, 35), "36_40": (36, 40), "41_45": (41, 45), "46_50": (46, 50),
              "51_55": (51, 55), "56_60": (56, 60), "ge61": (61, None)}
# The first day of each period of `JOIN_PERIODS` (the 党内统计公报 periods: 1949-10, 1978-12 三中全会, 2012-11 十八大).
JOIN_STARTS = {"before_1949_10": None, "1949_10_1978_12": dt.date(1949, 10, 1),
               "1979_01_2012_10": dt.date(1979, 1, 1), "2012_11_on": dt.date(2012, 11, 1)}
YOUNG_AGE = 35  # "35岁及以下" in the 发展党员 table is the statistics' own band, not a regulation value


@dataclass
class Row:
    label: str
    values: list
    level: int = 0  # 0: an item; 1: "其中" under the item above; 2: under that
    total: bool = False
    note: bool = False  # a note row: the label says what is not recorded, the values are empty


@dataclass
class Table:
    key: str
    title: str
    columns: list[str]  # the headers of the value columns (the first column is always "项目")
    rows: list[Row] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def add(self, label, *values, level=0, total=False):
        self.rows.append(Row(str(label), list(values), level=level, total=total))

    def note(self, text):
        self.rows.append(Row(str(text), [None] * len(self.columns), note=True))

    def value(self, label: str, column: int = 0):
        """The figure of the first row labelled `label` (for tests and cross-checks)."""
        for row in self.rows:
            if row.label == label:
                return row.values[column]
        raise KeyError(label)

    def as_dict(self) -> dict:
        def plain(value):
            return float(value) if isinstance(value, Decimal) else value

        return {"key": self.key, "title": self.title, "columns": self.columns, "notes": self.notes,
                "rows": [{"label": r.label, "values": [plain(v) for v in r.values], "level": r.level,
                          "total": r.total, "note": r.note} for r in self.rows]}


@dataclass
class Report:
    org: Organization
    org_name: str  # the name the organisation had on the cut-off day
    on: dt.date
    start: dt.date  # the day before the statistics year (年初 = the end of this day)
    tables: list[Table]

    @property
    def first_day(self) -> dt.date:
        return self.start + dt.timedelta(days=1)

    def table(self, key: str) -> Table:
        return next(t for t in self.tables if t.key == key)

    def as_dict(self) -> dict:
        return {"org": {"id": self.org.pk, "code": self.org.code, "name": self.org_name},
                "on": self.on.isoformat(), "start": self.start.isoformat(),
                "tables": [t.as_dict() for t in self.tables]}


def year_start(on: dt.date) -> dt.date:
    """年初: the same day a year earlier (31 Dec of the previous year for a year-end report)."""
    return add_years(on, -1)


def _age_q(prefix: str, on: dt.date, key: str) -> Q:
    """Members aged within the band `key` on `on`, as a condition on the birth date."""
    low, high = AGE_LIMITS[key]
    q = Q()
    if low is not None:  # at least `low` years old: born on or before `on` − low years
        q &= Q(**{f"{prefix}birth_date__lte": add_years(on, -low)})
    if high is not None:  # at most `high`: born after `on` − (high + 1) years
        q &= Q(**{f"{prefix}birth_date__gt": add_years(on, -(high + 1))})
    return q


def _join_q(prefix: str, key: str) -> Q:
    keys = list(JOIN_STARTS)
    start, index = JOIN_STARTS[key], keys.index(key)
    end = JOIN_STARTS[keys[index + 1]] if index + 1 < len(keys) else None
    q = Q()
    if start is not None:
        q &= Q(**{f"{prefix}joined_on__gte": start})
    if end is not None:
        q &= Q(**{f"{prefix}joined_on__lt": end})
    return q


def _pct(part: int, whole: int) -> Decimal | None:
    return None if not whole else (Decimal(part) * 100 / whole).quantize(Decimal("0.1"))


def roll(org: Organization, on: dt.date):
    """The periods of the members of `org`'s subtree on `on` (the tree and the memberships of that day)."""
    return _on_roll(on).filter(org__in=subtree_on(org, on).values("org_id"))
