"""The indicators of `catalog.py`, each an Ibis expression over the staged tables (the OLTP table and column
names), computed as of one day and rolled up to every ancestor: an organisation's value covers its whole subtree.

Every expression returns the rows (org_id, key, value, numerator, denominator) that the refresh stores in
`IndicatorValue`; the same expression runs on DuckDB, PostgreSQL and Spark (`engines.py`). The formulas in words:
docs/indicators.md.

Roll-ups join an organisation → ancestor table built from the materialised path by equality on the prefix of each
level (never a prefix-range join); the tree is the current one (a day in the past counts its members in the
organisations they were in that day, under today's ancestors)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from functools import cached_property
from typing import Callable

import ibis
from ibis import _

from dangjian.core import rulebook
from dangjian.members.periods import add_months, add_years
from dangjian.orglife import choices as orglife_choices
from dangjian.orglife import participants
from dangjian.orglife.choices import MeetingKind
from dangjian.orglife.models import Appraisal
from dangjian.orgs.choices import BRANCH_TYPES, OrgType
from dangjian.orgs.election_rules import committee_size_limits

from .catalog import AGE_BANDS, INDICATORS, JOIN_PERIODS, WINDOW_MONTHS

# The age bands of the 党内统计 (inclusive years of age), the first days of the periods of joining.
AGE_LIMITS = {"le30": (None, 30), "31_35": (31, 35), "36_40": (36, 40), "41_45": (41, 45), "46_50": (46, 50),
              "51_55": (51, 55), "56_60": (56, 60), "ge61": (61, None)}
JOIN_STARTS = {"before_1949_10": None, "1949_10_1978_12": dt.date(1949, 10, 1),
               "1979_01_2012_10": dt.date(1979, 1, 1), "2012_11_on": dt.date(2012, 11, 1)}
HAN = "汉族"
# The recruitment steps counted by 发展党员进度: the step recorded → the breakdown key.
RECRUITMENT_KEYS = {"application": "applied", "activist_determination": "activist",
                    "target_determination": "development_target", "admission_approval": "admitted",
                    "conversion_approval": "converted"}
# What a meeting held and the kinds owed are, as the 组织生活 pages count them (plain strings: Spark pickles them).
HELD_STATES = tuple(str(state) for state in orglife_choices.HELD_STATES)
BRANCH_KINDS = tuple(str(kind) for kind in participants.BRANCH_KINDS)
GROUP_KINDS = (str(MeetingKind.GROUP_MEETING),)
COMMITTEE_KIND, GROUP_KIND = str(MeetingKind.COMMITTEE_MEETING), str(MeetingKind.GROUP_MEETING)
APPRAISAL_KIND, APPRAISAL_DECIDED = str(MeetingKind.DEMOCRATIC_APPRAISAL), str(Appraisal.State.DECIDED)
LOCAL_OFFSET_HOURS = 8  # Asia/Shanghai, no daylight saving: UTC timestamps → the local day of a meeting
SCORE_MAX = 100
COLUMNS = ("org_id", "key", "value", "numerator", "denominator")

assert set(AGE_LIMITS) == set(AGE_BANDS) and set(JOIN_STARTS) == set(JOIN_PERIODS)


@dataclass(frozen=True)
class Params:
    """The day and the rulebook values one computation uses (read once, so every engine computes the same)."""

    as_of: dt.date
    points: dict  # fact kind → (points per unit, most points)
    active_days: int
    weights: dict  # member_avg / compliance / activity → weight
    frequencies: dict  # meeting kind → month / quarter / year
    steplen: int
    max_depth: int
    committee_minimum: dict  # branch type → the smallest committee (fewer in office: a secretary, no 支委会)

    @classmethod
    def on(cls, as_of: dt.date, max_depth: int) -> "Params":
        from dangjian.orgs.models import Organization

        points = {k: (float(Decimal(per)), float(Decimal(cap)))
                  for k, (per, cap) in rulebook.value("vitality_points", as_of).items()}
        return cls(as_of=as_of, points=points, active_days=int(rulebook.value("vitality_active_days", as_of)),
                   weights={k: float(v) for k, v in rulebook.value("branch_vitality_weights", as_of).items()},
                   frequencies=dict(rulebook.value("orglife_frequency", as_of)), steplen=Organization.steplen,
                   max_depth=max(1, int(max_depth)),
                   committee_minimum={str(t): int((committee_size_limits(t, as_of) or (1,))[0])
                                      for t in sorted(BRANCH_TYPES)})  # plain strings: Spark pickles them


def spans(as_of: dt.date, unit: str) -> list[tuple[str, dt.date, dt.date]]:
    """The months, quarters or years that ended within the 12 months up to `as_of` (key, first day, last day)."""
    size = {"month": 1, "quarter": 3, "year": 12}[unit]
    out = []
    start = dt.date(as_of.year - 2, 1, 1)
    window_start = add_months(as_of, -WINDOW_MONTHS)
    while start <= as_of:
        end = add_months(start, size) - dt.timedelta(days=1)
        if window_start < end <= as_of:
            out.append((f"{unit}:{start.isoformat()}", start, end))
        start = add_months(start, size)
    return out


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


class Indicators:
    """The expressions for one day. `table(name)` gives the engine's table of that name."""

    def __init__(self, table: Callable[[str], ibis.Table], params: Params, keep: Callable | None = None,
                 small: Callable | None = None):
        self.table = table
        # A small table of constants (the periods owed, the points per kind) on the engine.
        self.small = small or (lambda name, data, schema: ibis.memtable(data, schema=schema))
        self.p = params
        # Shared intermediate results (the tree, the roll, the scores) are computed once and kept by the engine.
        self.keep = keep or (lambda t: t)
        self.d = ibis.literal(params.as_of, type="date")

    # -- staged inputs ------------------------------------------------------------------------------------------------

    @cached_property
    def orgs(self) -> ibis.Table:
        t = self.table("orgs_organization")
        return t.select(org_id=t.id.cast("int64"), path=t.path, depth=t.depth.cast("int64"), org_type=t.org_type,
                        founded_on=t.founded_on, dissolved_on=t.dissolved_on)

    @cached_property
    def closure(self) -> ibis.Table:
        """(org_id, anc_id): every organisation with itself and each of its ancestors."""
        o = self.orgs
        parts = []
        for level in range(1, self.p.max_depth + 1):
            below = o.filter(o.depth >= level).select(org_id=o.org_id, anc_path=o.path.substr(0, self.p.steplen * level))
            above = o.filter(o.depth == level).select(anc_id=o.org_id, anc_path=o.path)
            parts.append(below.join(above, "anc_path").select("org_id", "anc_id"))
        return self.keep(ibis.union(*parts, distinct=False) if len(parts) > 1 else parts[0])

    @cached_property
    def living_orgs(self) -> ibis.Table:
        o = self.orgs
        return o.filter((o.founded_on.isnull() | (o.founded_on <= self.d))
                        & (o.dissolved_on.isnull() | (o.dissolved_on > self.d))).select("org_id")

    @cached_property
    def roll(self) -> ibis.Table:
        """The members on the roll on the day (a normal 党籍 that day, admitted by then) in their organisation."""
        periods, members = self.table("members_memberperiod"), self.table("members_member")
        on_day = periods.filter((periods.status == "normal")
                                & (periods.valid_from.isnull() | (periods.valid_from <= self.d))
                                & (periods.valid_to.isnull() | (periods.valid_to > self.d)))
        on_day = on_day.select(member_id=on_day.member_id.cast("int64"), org_id=on_day.org_id.cast("int64"))
        m = members.filter(members.joined_on <= self.d)
        m = m.select(member_id=m.id.cast("int64"), gender=m.gender, ethnicity=m.ethnicity, birth_date=m.birth_date,
                     education=m.education, occupation=m.occupation_category, joined_on=m.joined_on,
                     converted_on=m.converted_on, category=m.category)
        return self.keep(on_day.join(m, "member_id"))

    # -- helpers ------------------------------------------------------------------------------------------------------

    def rollup(self, t: ibis.Table, measures: list[str], keys: tuple[str, ...] = ()) -> ibis.Table:
        """Sum `measures` of each organisation's rows into the organisation and every ancestor."""
        c = self.closure
        joined = t.join(c, "org_id").drop("org_id").rename(org_id="anc_id")
        return joined.group_by(["org_id", *keys]).aggregate(**{m: joined[m].sum() for m in measures})

    def with_zeros(self, t: ibis.Table, measures: list[str]) -> ibis.Table:
        """`t` (org_id + measures) for every living organisation as well, with zeros."""
        base = self.living_orgs.union(t.select("org_id"), distinct=True)
        joined = base.left_join(t, "org_id").select(
            "org_id", **{m: t[m].fill_null(0) for m in measures})
        return joined

    @staticmethod
    def shaped(t: ibis.Table, *, key, value, numerator=None, denominator=None) -> ibis.Table:
        none = ibis.literal(None, type="float64")
        return t.select(org_id=t.org_id.cast("int64"), key=(key if not isinstance(key, str) else ibis.literal(key))
                        .cast("string"), value=value.cast("float64"),
                        numerator=(none if numerator is None else numerator.cast("float64")),
                        denominator=(none if denominator is None else denominator.cast("float64")))

    def counted(self, t: ibis.Table, key) -> ibis.Table:
        """Members of `t` by `key` (rows whose key is null or empty left out), rolled up."""
        keyed = t.mutate(key=key).filter(lambda r: r.key.notnull() & (r.key != ""))
        grouped = keyed.group_by(["org_id", "key"]).aggregate(n=_.count())
        rolled = self.rollup(grouped, ["n"], ("key",))
        return self.shaped(rolled, key=rolled.key, value=rolled.n)

    # -- membership -----------------------------------------------------------------------------------------------

    def members_total(self) -> ibis.Table:
        per_org = self.roll.group_by("org_id").aggregate(n=_.count())
        rolled = self.with_zeros(self.rollup(per_org, ["n"]), ["n"])
        return self.shaped(rolled, key="", value=rolled.n)

    def age_band(self, r):
        cases = []
        for key, (low, high) in AGE_LIMITS.items():
            cond = ibis.literal(True)
            if low is not None:
                cond &= r.birth_date <= ibis.literal(add_years(self.p.as_of, -low), type="date")
            if high is not None:
                cond &= r.birth_date > ibis.literal(add_years(self.p.as_of, -(high + 1)), type="date")
            cases.append((cond, key))
        return ibis.cases(*cases, else_=None)

    def join_period(self, r):
        keys = list(JOIN_STARTS)
        cases = [(r.joined_on < ibis.literal(JOIN_STARTS[keys[i + 1]], type="date"), keys[i])
                 for i in range(len(keys) - 1)]
        return ibis.cases(*cases, else_=keys[-1])

    def full_member(self, r):
        return (r.converted_on <= self.d) | (r.converted_on.isnull() & (r.category == "full"))

    def structure(self, code: str) -> ibis.Table:
        r = self.roll
        key = {
            "members.gender": r.gender,
            "members.category": ibis.cases((self.full_member(r), "full"), else_="probationary"),
            "members.age_band": self.age_band(r),
            "members.education": r.education,
            "members.occupation": r.occupation,
            "members.ethnicity": ibis.cases((r.ethnicity == HAN, "han"), else_="minority"),
            "members.join_period": self.join_period(r),
        }[code]
        return self.counted(r, key)

    # -- organisational life ----------------------------------------------------------------------------------------

    @cached_property
    def compliance_parts(self) -> ibis.Table:
        """(org_id, required, held) rolled up: the kind-periods owed and those held (组织生活规范指数)."""
        freq = self.p.frequencies
        kinds = [("branch", k, freq[k]) for k in BRANCH_KINDS if k in freq] + \
                [("group", k, freq[k]) for k in GROUP_KINDS if k in freq]
        kind_rows = {"cls": [k[0] for k in kinds], "kind": [k[1] for k in kinds], "unit": [k[2] for k in kinds],
                     "quoted": [f'"{k[1]}"' for k in kinds]}
        span_rows = {"unit": [], "span_key": [], "span_start": [], "span_end": []}
        for unit in sorted(set(k[2] for k in kinds)):
            for key, start, end in spans(self.p.as_of, unit):
                span_rows["unit"].append(unit)
                span_rows["span_key"].append(key)
                span_rows["span_start"].append(start)
                span_rows["span_end"].append(end)
        kind_table = self.small("kinds", kind_rows, schema={"cls": "string", "kind": "string", "unit": "string",
                                                      "quoted": "string"})
        span_table = self.small("spans", span_rows, schema={"unit": "string", "span_key": "string", "span_start": "date",
                                                      "span_end": "date"})
        o = self.orgs
        classed = o.mutate(cls=ibis.cases((o.org_type.isin(sorted(BRANCH_TYPES)), "branch"),
                                          (o.org_type == OrgType.GROUP.value, "group"), else_=None))
        classed = classed.filter(classed.cls.notnull())
        required = classed.join(kind_table, "cls").join(span_table, "unit")
        required = required.filter((required.founded_on.isnull() | (required.founded_on <= required.span_start))
                                   & (required.dissolved_on.isnull() | (required.dissolved_on > required.span_end)))
        required = self.sitting_only(required.select("org_id", "org_type", "kind", "quoted", "span_key",
                                                     "span_start", "span_end"))
        m = self.table("orglife_meeting")
        m = m.filter(m.state.isin(HELD_STATES))
        meetings = m.select(m_org=m.org_id.cast("int64"), m_kind=m.kind.cast("string"),
                            m_also=m.also_counts_as.cast("string").fill_null(""),
                            m_day=(m.starts_at + ibis.interval(hours=LOCAL_OFFSET_HOURS)).date())
        # A 民主评议党员 decided for a year counts as that year's appraisal held, as on the orglife pages.
        a = self.table("orglife_appraisal")
        a = a.filter(a.state == APPRAISAL_DECIDED)
        meetings = meetings.union(a.select(
            m_org=a.org_id.cast("int64"), m_kind=ibis.literal(APPRAISAL_KIND, type="string"),
            m_also=ibis.literal("", type="string"), m_day=ibis.date(a.year.cast("int32"), 1, 1)), distinct=False)
        # Each meeting with every kind it counts as (its own, and those it also counts as): a join with the few
        # kinds, so that the join with the periods owed is on equal organisation and kind.
        kinds_only = kind_table.select("kind", "quoted").distinct()
        counted = meetings.join(kinds_only, (meetings.m_kind == kinds_only.kind)
                                | meetings.m_also.contains(kinds_only.quoted))
        counted = counted.select("m_org", "m_day", m_counts_as=counted.kind)
        held = required.join(counted, [required.org_id == counted.m_org, required.kind == counted.m_counts_as,
                                       counted.m_day >= required.span_start, counted.m_day <= required.span_end])
        held = held.select("org_id", "kind", "span_key").distinct()
        owed = required.group_by("org_id").aggregate(required=_.count())
        done = held.group_by("org_id").aggregate(held=_.count())
        per_org = owed.left_join(done, "org_id").select("org_id", "required", held=done.held.fill_null(0))
        return self.keep(self.rollup(per_org, ["required", "held"]))

    def sitting_only(self, required: ibis.Table) -> ibis.Table:
        """The periods owed (org_id, org_type, kind, …, span_start, span_end) less the 支委会 of periods without a
        committee of at least its smallest size in office, and the 党小组会 of periods when the group had no member,
        on the first or the last day of the period (as the orglife pages count: `orglife.queries.compliance`)."""
        committee = required.filter(required.kind == COMMITTEE_KIND)
        group = required.filter(required.kind == GROUP_KIND)
        others = required.filter(~required.kind.isin([COMMITTEE_KIND, GROUP_KIND]))
        c = self.table("orgs_committeemember")
        seats = c.select(h_org=c.org_id.cast("int64"), h_start=c.started_on, h_end=c.ended_on)
        g = self.table("orgs_groupmembership")
        members = g.select(h_org=g.group_id.cast("int64"), h_start=g.started_on, h_end=g.ended_on)
        least = self.p.committee_minimum
        minimum = self.small("committee_minimum", {"org_type": list(least), "minimum": list(least.values())},
                             schema={"org_type": "string", "minimum": "int64"})
        o = self.orgs
        sized = minimum.join(o, "org_type").select(h_org=o.org_id, minimum=minimum.minimum)

        def windows(holdings, at_least=None):
            """(h_org, w_from, w_to): from each day the holdings in office change to the next, those on which at
            least `at_least` (per organisation) or one are in office. The windows of one organisation never overlap."""
            starts = holdings.select("h_org", day=holdings.h_start.cast("date"), delta=ibis.literal(1, type="int64"))
            ends = holdings.filter(holdings.h_end.notnull()).select("h_org", day=holdings.h_end.cast("date"),
                                                                     delta=ibis.literal(-1, type="int64"))
            events = starts.union(ends, distinct=False).group_by(["h_org", "day"]).aggregate(delta=_.delta.sum())
            running = ibis.cumulative_window(group_by="h_org", order_by="day")
            following = ibis.window(group_by="h_org", order_by="day")
            sized_days = events.select("h_org", w_from=events.day, size=events.delta.sum().over(running),
                                       w_to=events.day.lead().over(following))
            if at_least is None:
                return sized_days.filter(sized_days.size >= 1).select("h_org", "w_from", "w_to")
            j = sized_days.join(at_least, "h_org")
            return j.filter(j.size >= j.minimum).select("h_org", "w_from", "w_to")

        def owed(periods, held):
            """`periods` whose first and last days both fall in a window of `held`."""
            for day in ("span_start", "span_end"):
                w = held.view()
                periods = periods.join(w, [periods.org_id == w.h_org, w.w_from <= periods[day],
                                           w.w_to.isnull() | (w.w_to > periods[day])]).select(*required.columns)
            return periods

        return ibis.union(others, owed(committee, windows(seats, sized)), owed(group, windows(members)),
                          distinct=False)

    def compliance(self) -> ibis.Table:
        t = self.compliance_parts.filter(_.required > 0)
        return self.shaped(t, key="", value=t.held / t.required, numerator=t.held, denominator=t.required)

    # -- dues -----------------------------------------------------------------------------------------------------

    @cached_property
    def dues_parts(self) -> ibis.Table:
        """(org_id, due, paid): the amounts billed for the months of the last 12 and paid by the day."""
        first = ibis.literal(month_start(add_months(self.p.as_of, -(WINDOW_MONTHS - 1))), type="date")
        b = self.table("dues_duesbill")
        bills = b.filter((b.month >= first) & (b.month <= self.d)).select(
            bill=b.id.cast("int64"), org_id=b.org_id.cast("int64"), amount=b.amount.cast("float64"))
        p = self.table("dues_duespayment")
        reversed_day = (p.reversed_at + ibis.interval(hours=LOCAL_OFFSET_HOURS)).date()
        valid = p.filter(p.bill_id.notnull() & (p.paid_on <= self.d)
                         & (p.active | (p.reversed_at.notnull() & (reversed_day > self.d))))
        paid = valid.group_by(bill=valid.bill_id.cast("int64")).aggregate(paid=valid.amount.cast("float64").sum())
        joined = bills.left_join(paid, "bill")
        capped = joined.select("org_id", "amount", paid=ibis.least(joined.paid.fill_null(0.0), joined.amount))
        per_org = capped.group_by("org_id").aggregate(due=capped.amount.sum(), paid=capped.paid.sum())
        return self.keep(self.rollup(per_org, ["due", "paid"]))

    def dues(self) -> ibis.Table:
        t = self.dues_parts.filter(_.due > 0)
        return self.shaped(t, key="", value=t.paid / t.due, numerator=t.paid, denominator=t.due)

    # -- vitality -------------------------------------------------------------------------------------------------

    @cached_property
    def member_points(self) -> ibis.Table:
        """(member_id, org_id, kind, n, quantity, points) of the members on the roll: the facts of the last 12
        months per kind, and the points they earn (a dues reversal cancels a paid month)."""
        f = self.table("analytics_fact")
        window_start = ibis.literal(add_months(self.p.as_of, -WINDOW_MONTHS), type="date")
        f = f.filter(f.member_id.notnull() & (f.on > window_start) & (f.on <= self.d))
        f = f.select(member_id=f.member_id.cast("int64"),
                     kind=ibis.cases((f.kind == "dues_reversal", "dues_payment"), else_=f.kind),
                     sign=ibis.cases((f.kind == "dues_reversal", -1), else_=1),
                     quantity=f.quantity.cast("float64"))
        per_kind = f.group_by(["member_id", "kind"]).aggregate(n=f.sign.sum(), quantity=f.quantity.sum())
        rules = self.small("points", {"kind": list(self.p.points), "per": [v[0] for v in self.p.points.values()],
                               "cap": [v[1] for v in self.p.points.values()],
                               "by_quantity": [k == "study" for k in self.p.points]},
                           schema={"kind": "string", "per": "float64", "cap": "float64", "by_quantity": "boolean"})
        scored = per_kind.join(rules, "kind")
        measure = ibis.ifelse(scored.by_quantity, scored.quantity, scored.n.cast("float64"))
        scored = scored.select("member_id", "kind", "n", "quantity",
                               points=ibis.least(scored.cap, ibis.greatest(0.0, scored.per * measure)).round(4))
        return self.keep(scored.join(self.roll.select("member_id", "org_id"), "member_id"))

    @cached_property
    def member_scores(self) -> ibis.Table:
        """(member_id, org_id, score) for every member on the roll (0 without facts)."""
        sums = self.member_points.group_by("member_id").aggregate(total=_.points.sum())
        r = self.roll.select("member_id", "org_id")
        joined = r.left_join(sums, "member_id")
        return self.keep(joined.select("member_id", "org_id",
                                       score=ibis.least(float(SCORE_MAX), joined.total.fill_null(0.0)).round(4)))

    @cached_property
    def member_avg_parts(self) -> ibis.Table:
        s = self.member_scores
        per_org = s.group_by("org_id").aggregate(score_sum=s.score.sum(), scored=_.count())
        return self.keep(self.rollup(per_org, ["score_sum", "scored"]))

    def member_avg(self) -> ibis.Table:
        t = self.member_avg_parts.filter(_.scored > 0)
        return self.shaped(t, key="", value=t.score_sum / t.scored, numerator=t.score_sum, denominator=t.scored)

    @cached_property
    def activity_parts(self) -> ibis.Table:
        """(org_id, active, members): members on the roll with a fact in the last `active_days` days."""
        f = self.table("analytics_fact")
        since = ibis.literal(self.p.as_of - dt.timedelta(days=self.p.active_days), type="date")
        recent = f.filter(f.member_id.notnull() & (f.on > since) & (f.on <= self.d))
        active = recent.select(member_id=recent.member_id.cast("int64")).distinct().mutate(active=ibis.literal(1))
        r = self.roll.select("member_id", "org_id").left_join(active, "member_id")
        per_org = r.group_by("org_id").aggregate(active=r.active.fill_null(0).sum(), members=_.count())
        return self.keep(self.rollup(per_org, ["active", "members"]))

    def activity(self) -> ibis.Table:
        t = self.activity_parts.filter(_.members > 0)
        return self.shaped(t, key="", value=t.active / t.members, numerator=t.active, denominator=t.members)

    @cached_property
    def branch_values(self) -> ibis.Table:
        """(org_id, value) of every branch: the weighted mean of the components it has."""
        w = self.p.weights
        o = self.orgs.filter(self.orgs.org_type.isin(sorted(BRANCH_TYPES))).select("org_id")
        m, c, a = self.member_avg_parts, self.compliance_parts, self.activity_parts
        t = o.left_join(m, "org_id").select("org_id", "score_sum", "scored")
        t = t.left_join(c, "org_id").select("org_id", "score_sum", "scored", "required", "held")
        t = t.left_join(a, "org_id").select("org_id", "score_sum", "scored", "required", "held", "active", "members")
        has_m = t.scored.fill_null(0) > 0
        has_c = t.required.fill_null(0) > 0
        has_a = t.members.fill_null(0) > 0
        m_value = ibis.ifelse(has_m, t.score_sum / t.scored, 0.0)
        c_value = ibis.ifelse(has_c, t.held * 100.0 / t.required, 0.0)
        a_value = ibis.ifelse(has_a, t.active * 100.0 / t.members, 0.0)
        wm = ibis.ifelse(has_m, w["member_avg"], 0.0)
        wc = ibis.ifelse(has_c, w["compliance"], 0.0)
        wa = ibis.ifelse(has_a, w["activity"], 0.0)
        weight = wm + wc + wa
        t = t.select("org_id", weighted=wm * m_value + wc * c_value + wa * a_value, weight=weight)
        t = t.filter(t.weight > 0)
        return self.keep(t.select("org_id", value=t.weighted / t.weight))

    def branch(self) -> ibis.Table:
        t = self.branch_values
        return self.shaped(t, key="", value=t.value)

    def region(self) -> ibis.Table:
        """Every organisation above the branches: the mean of the 支部活力指数 of the branches in its subtree."""
        b = self.branch_values
        rolled = self.rollup(b.select("org_id", v=b.value, branches=ibis.literal(1)), ["v", "branches"])
        above = self.orgs.filter(~self.orgs.org_type.isin([*sorted(BRANCH_TYPES), OrgType.GROUP.value]))
        t = rolled.join(above.select("org_id"), "org_id")
        return self.shaped(t, key="", value=t.v / t.branches, numerator=t.v, denominator=t.branches)

    # -- recruitment, warnings ----------------------------------------------------------------------------------------

    def recruitment(self) -> ibis.Table:
        s = self.table("recruitment_step")
        window_start = ibis.literal(add_months(self.p.as_of, -WINDOW_MONTHS), type="date")
        s = s.filter((s.on > window_start) & (s.on <= self.d) & (s.passed.isnull() | s.passed))
        converted = (s.kind == "conversion_approval") & (s.outcome.isnull() | s.outcome.isin(["", "convert"]))
        cases = [(s.kind == kind, key) for kind, key in RECRUITMENT_KEYS.items() if kind != "conversion_approval"]
        key = ibis.cases(*cases, (converted, "converted"), else_=None)
        keyed = s.select(org_id=s.org_id.cast("int64"), key=key).filter(_.key.notnull())
        grouped = keyed.group_by(["org_id", "key"]).aggregate(n=_.count())
        rolled = self.rollup(grouped, ["n"], ("key",))
        parts = self.shaped(rolled, key=rolled.key, value=rolled.n)
        admitted = rolled.filter(rolled.key == "admitted").select("org_id", "n")
        total = self.with_zeros(admitted, ["n"])
        return parts.union(self.shaped(total, key="", value=total.n), distinct=False)

    def alerts(self) -> ibis.Table:
        f = self.table("alerts_finding")
        f = f.filter((f.first_seen <= self.d) & (f.resolved_on.isnull() | (f.resolved_on > self.d))
                     & f.level.isin(["red", "yellow"]))
        grouped = f.group_by(org_id=f.org_id.cast("int64"), key=f.level).aggregate(n=_.count())
        rolled = self.rollup(grouped, ["n"], ("key",))
        parts = self.shaped(rolled, key=rolled.key, value=rolled.n)
        per_org = rolled.group_by("org_id").aggregate(n=rolled.n.sum())
        total = self.with_zeros(per_org, ["n"])
        return parts.union(self.shaped(total, key="", value=total.n), distinct=False)

    # -- all ------------------------------------------------------------------------------------------------------

    def expressions(self) -> dict[str, ibis.Table]:
        """Every catalog code → its expression."""
        out = {"members.total": self.members_total()}
        for code in ("members.gender", "members.category", "members.age_band", "members.education",
                     "members.occupation", "members.ethnicity", "members.join_period"):
            out[code] = self.structure(code)
        out.update({
            "orglife.compliance": self.compliance(),
            "dues.collection_rate": self.dues(),
            "vitality.member_avg": self.member_avg(),
            "vitality.org_activity": self.activity(),
            "vitality.branch": self.branch(),
            "vitality.region": self.region(),
            "recruitment.throughput": self.recruitment(),
            "alerts.open": self.alerts(),
        })
        missing = {i.code for i in INDICATORS} - set(out)
        assert not missing, f"catalog codes without a computation: {sorted(missing)}"
        return out
