"""Reads of the cockpit (数字驾驶舱): everything shown comes from the summaries the indicator refresh stores
(`IndicatorValue`), plus the live warning lights of the alerts app. Nothing is computed from the business tables
here. Every read is a fixed number of queries, whatever the size of the subtree: the children list, their sizes and
the rankings are each one grouped or ordered query over `values()`."""

from __future__ import annotations

import calendar
import datetime as dt
from types import SimpleNamespace

from django.db.models import Q
from django.utils.translation import gettext as _

from dangjian.accounts import roles
from dangjian.analytics import summaries
from dangjian.analytics.catalog import BY_CODE
from dangjian.analytics.models import IndicatorValue, RefreshRun, RefreshState
from dangjian.orgs.choices import BRANCH_TYPES
from dangjian.orgs.models import Organization

PERM = roles.ANALYTICS_VIEW
TREND_MONTHS = 12
RANKING_SIZE = 10
RANKING_MAX = 100
# Two levels of the tree are drawn when they stay below this many organisations; otherwise only the children.
TREE_NODE_LIMIT = 600

MEMBERS = "members.total"
COMPLIANCE = "orglife.compliance"
DUES = "dues.collection_rate"
BRANCH_VITALITY = "vitality.branch"
REGION_VITALITY = "vitality.region"
ALERTS = "alerts.open"
RECRUITMENT = "recruitment.throughput"
STRUCTURE_CODES = ("members.age_band", "members.education", "members.occupation", "members.gender",
                   "members.ethnicity", "members.join_period", "members.category")
LOWER_IS_BETTER = frozenset({ALERTS})
PARTITIONED = frozenset({ALERTS, *STRUCTURE_CODES})  # the keys split the total (unlike the recruitment steps)


# -- dates ---------------------------------------------------------------------------------------------------------

def month_end(day: dt.date, back: int = 0) -> dt.date:
    """The last day of the month `back` months before the month of `day`."""
    index = day.year * 12 + day.month - 1 - back
    year, month = divmod(index, 12)
    return dt.date(year, month + 1, calendar.monthrange(year, month + 1)[1])


def is_month_end(day: dt.date) -> bool:
    return month_end(day) == day


def trend_dates(as_of: dt.date) -> list[dt.date]:
    """The last 12 month-ends up to `as_of`, then `as_of` itself when it is not a month-end."""
    newest = 0 if is_month_end(as_of) else 1
    dates = [month_end(as_of, back) for back in range(newest + TREND_MONTHS - 1, newest - 1, -1)]
    return dates if newest == 0 else dates + [as_of]


def base_date(as_of: dt.date, since: str) -> dt.date:
    """What a change is measured against: the previous month-end, or the month-end 12 months back."""
    return month_end(as_of, 1 if since == "month" else 12)


# -- formatting (one place, so page, phone and API show the same figures) --------------------------------------------

def shown(value, kind: str) -> str:
    if value is None:
        return "—"
    if kind == "ratio":
        return f"{value * 100:.1f}"
    if kind == "score":
        return f"{value:.1f}"
    return f"{value:,.0f}"


def shown_change(change, kind: str) -> str:
    if change is None:
        return ""
    if kind == "ratio":
        points = round(change * 100, 1)
        return _("%(sign)s%(n).1f 个百分点") % {"sign": "+" if points > 0 else "", "n": points}
    if kind == "score":
        points = round(change, 1)
        return _("%(sign)s%(n).1f 分") % {"sign": "+" if points > 0 else "", "n": points}
    n = round(change)
    return f"{'+' if n > 0 else ''}{n:,}"


def unit_of(code: str) -> str:
    return str(BY_CODE[code].unit) if code in BY_CODE else ""


def name_of(code: str) -> str:
    return str(BY_CODE[code].name) if code in BY_CODE else code


def kind_of(code: str) -> str:
    return BY_CODE[code].kind if code in BY_CODE else "count"


# -- scope ---------------------------------------------------------------------------------------------------------

def default_org(user):
    """The top of the user's scope for the cockpit (the first, when they hold roles in separate subtrees)."""
    from dangjian.orgs.queries import top_visible

    tops = top_visible(user, PERM)
    return tops[0] if tops else None


def latest_as_of(org, user):
    """The newest date stored for `org`: the day of the newest refresh when `org` has values in it, else the newest
    dated copy whose refresh finished (a date whose only refreshes are still running or failed may be half written,
    so the one before it is read meanwhile). At most three queries."""
    newest = summaries.latest_day()
    visible = IndicatorValue.objects.restrict(user, PERM).filter(org=org)
    if newest is not None and visible.filter(as_of=summaries.LATEST).exists():
        return newest
    days = list(visible.exclude(as_of=summaries.LATEST).order_by("-as_of")
                .values_list("as_of", flat=True).distinct()[:3])
    states: dict = {}
    for day, state in RefreshRun.objects.filter(as_of__in=days).values_list("as_of", "state"):
        states.setdefault(day, set()).add(state)
    for day in days:
        if day not in states or RefreshState.DONE in states[day]:
            return day
    return None


# -- the whole cockpit of one organisation --------------------------------------------------------------------------

def cockpit(org, user, *, limit: int = RANKING_SIZE) -> dict:
    """Everything the big screen and the phone view show for `org` (its whole subtree)."""
    parent = None
    if org.depth > 1:
        parent = (Organization.objects.restrict(user, PERM).filter(path=org.path[:-Organization.steplen])
                  .values("id", "name", "short_name", "org_type").first())
    is_branch = org.org_type in BRANCH_TYPES
    vitality = BRANCH_VITALITY if is_branch else REGION_VITALITY
    out = {
        "org": org_ref(org), "parent": parent_ref(parent), "is_branch": is_branch, "as_of": None,
        "previous_as_of": None, "refresh": None, "empty": True, "empty_message": empty_message(),
        "kpis": [], "trends": [], "structure": [], "light": None, "tree": [], "tree_depth": 0,
        "rankings": {"vitality": ranking_shell("vitality", None), "improvement_month": ranking_shell("month", None),
                     "improvement_year": ranking_shell("year", None)},
    }
    as_of = latest_as_of(org, user)
    if as_of is None:
        return out
    previous = base_date(as_of, "month")
    dates = trend_dates(as_of)
    values = stored_values(org, user, as_of, set(dates) | {previous})
    stored_now = {code for code, _key in values.get(as_of, {})}
    other = REGION_VITALITY if is_branch else BRANCH_VITALITY
    if vitality not in stored_now and other in stored_now:
        vitality = other
    tree, depth, light = org_tree(org, user, as_of)
    out.update(
        as_of=as_of.isoformat(), previous_as_of=previous.isoformat(), refresh=refresh_of(as_of), empty=False,
        empty_message="", kpis=kpis(values, as_of, previous, vitality),
        trends=trends(values, dates, (MEMBERS, COMPLIANCE, DUES, vitality, ALERTS)),
        structure=structure(values.get(as_of, {})), tree=tree, tree_depth=depth, light=light,
        rankings=rankings(org, user, as_of, limit=limit),
    )
    return out


def empty_message() -> str:
    return _("尚未计算指标，请组织部门执行指标计算")


def org_ref(org) -> dict:
    return {"id": org.pk, "name": org.name, "short_name": org.short_name or org.name, "org_type": org.org_type,
            "org_type_display": org.get_org_type_display()}


def parent_ref(row):
    if row is None:
        return None
    return {"id": row["id"], "name": row["name"], "short_name": row["short_name"] or row["name"],
            "org_type": row["org_type"]}


def stored_values(org, user, as_of, dates) -> dict:
    """as_of → (code, key) → (value, numerator, denominator); the breakdowns only for the newest date. Two queries."""
    stored = summaries.stored_dates({*dates, as_of})
    now = next(key for key, day in stored.items() if day == as_of)
    rows = (IndicatorValue.objects.restrict(user, PERM)
            .filter(org=org, as_of__in=sorted(stored))
            .filter(Q(as_of=now) | Q(key="") | Q(code=ALERTS))
            .values_list("as_of", "code", "key", "value", "numerator", "denominator"))
    out: dict = {}
    for day, code, key, value, numerator, denominator in rows:
        out.setdefault(stored[day], {})[(code, key)] = (value, numerator, denominator)
    return out


def refresh_of(as_of):
    run = (RefreshRun.objects.filter(as_of=as_of, state=RefreshState.DONE).order_by("-finished_at")
           .values("finished_at", "engine").first())
    if run is None:
        return None
    return {"finished_at": run["finished_at"].isoformat() if run["finished_at"] else None, "engine": run["engine"]}


def total(day_values: dict, code: str):
    """The indicator's total; where only the breakdown is stored and its keys split the whole (the member
    structure, red and yellow warnings), their sum."""
    if (code, "") in day_values:
        return day_values[(code, "")][0]
    if code not in PARTITIONED:
        return None
    parts = [v[0] for (c, _k), v in day_values.items() if c == code]
    return sum(parts) if parts else None


def kpis(values: dict, as_of, previous, vitality: str) -> list[dict]:
    now, before = values.get(as_of, {}), values.get(previous, {})
    cards = []
    for code in (MEMBERS, COMPLIANCE, DUES, vitality, ALERTS, RECRUITMENT):
        kind = kind_of(code)
        value, prior = total(now, code), total(before, code)
        change = value - prior if value is not None and prior is not None else None
        better = None
        if change:
            better = (change < 0) if code in LOWER_IS_BETTER else (change > 0)
        parts = []
        if code in BY_CODE and BY_CODE[code].keys:
            for key, label in BY_CODE[code].keys.items():
                if (code, key) in now:
                    parts.append({"key": key, "label": str(label), "display": shown(now[(code, key)][0], kind)})
        cards.append({
            "code": code, "name": name_of(code), "unit": unit_of(code), "kind": kind, "value": value,
            "display": shown(value, kind), "previous": prior, "change": change,
            "change_display": shown_change(change, kind), "better": better, "parts": parts,
            "numerator": now.get((code, ""), (None, None, None))[1],
            "denominator": now.get((code, ""), (None, None, None))[2],
        })
    return cards


def trends(values: dict, dates: list, codes) -> list[dict]:
    series = []
    for code in codes:
        kind = kind_of(code)
        points = []
        for day in dates:
            value = total(values.get(day, {}), code)
            if value is not None and kind == "ratio":
                value = round(value * 100, 2)  # drawn on the same 0..100 axis as the scores
            points.append({"as_of": day.isoformat(), "label": day.strftime("%Y-%m") if is_month_end(day)
                           else day.isoformat(), "value": value})
        series.append({"code": code, "name": name_of(code), "unit": unit_of(code), "kind": kind, "points": points})
    return series


def structure(now: dict) -> list[dict]:
    charts = []
    for code in STRUCTURE_CODES:
        labels = BY_CODE[code].keys if code in BY_CODE else {}
        stored = {k: v[0] for (c, k), v in now.items() if c == code and k}
        keys = [k for k in labels if k in stored] + sorted(k for k in stored if k not in labels)
        whole = sum(stored.values())
        items = [{"key": k, "label": str(labels.get(k, k)), "value": stored[k],
                  "share": round(stored[k] / whole, 4) if whole else None} for k in keys]
        charts.append({"code": code, "name": name_of(code), "unit": unit_of(code), "items": items})
    return charts


def org_tree(org, user, as_of) -> tuple[list, int, dict | None]:
    """The organisations one (or two) levels below `org`, each with its subtree's member total as of the refresh and
    its live warning light; and the light of `org` itself. Five queries, whatever the number of organisations."""
    from dangjian.alerts.queries import subtree_lights

    visible = Organization.objects.restrict(user, PERM).filter(path__startswith=org.path, dissolved_on__isnull=True)
    grandchildren = visible.filter(depth=org.depth + 2).count()
    depth = 2 if grandchildren and grandchildren <= TREE_NODE_LIMIT else 1
    rows = list(visible.filter(depth__gt=org.depth, depth__lte=org.depth + depth)
                .order_by("path").values("id", "path", "depth", "name", "short_name", "org_type"))
    stored = next(iter(summaries.stored_dates([as_of])))
    sizes = dict(IndicatorValue.objects.restrict(user, PERM)
                 .filter(as_of=stored, code=MEMBERS, key="", org__path__startswith=org.path,
                         org__depth__gt=org.depth, org__depth__lte=org.depth + depth)
                 .values_list("org_id", "value"))
    nodes = {row["path"]: SimpleNamespace(path=row["path"]) for row in rows}
    top = SimpleNamespace(path=org.path)  # makes the lights one prefix scan over the subtree
    subtree_lights([top, *nodes.values()], user)
    tree: list[dict] = []
    by_path: dict[str, dict] = {}
    for row in rows:
        light = getattr(nodes[row["path"]], "light", None)
        node = {"id": row["id"], "name": row["short_name"] or row["name"], "full_name": row["name"],
                "org_type": row["org_type"], "members": sizes.get(row["id"]),
                "light": light.level if light else None,
                "red_orgs": light.red_orgs if light else 0, "yellow_orgs": light.yellow_orgs if light else 0,
                "children": []}
        by_path[row["path"]] = node
        parent = by_path.get(row["path"][:-Organization.steplen])
        (parent["children"] if parent is not None else tree).append(node)
    own = getattr(top, "light", None)
    org_light = ({"level": own.level, "red_orgs": own.red_orgs, "yellow_orgs": own.yellow_orgs}
                 if own is not None else None)
    return tree, depth, org_light


# -- rankings ------------------------------------------------------------------------------------------------------

def ranking_shell(by: str, base) -> dict:
    return {"by": by, "base_as_of": base.isoformat() if base else None, "rows": [], "note": ""}


def _ranked(rows: list[dict], score) -> list[dict]:
    """Standard competition ranking over rows sorted best first: equal scores share a rank (1, 2, 2, 4)."""
    rank, last = 0, object()
    for index, row in enumerate(rows, start=1):
        current = score(row)
        if current != last:
            rank, last = index, current
        row["rank"] = rank
    return rows


def rankings(org, user, as_of, *, limit: int = RANKING_SIZE) -> dict:
    """The branches of the subtree by 支部活力指数 (`vitality`), and by how much it rose since the previous month-end
    (`improvement_month`) or since the month-end 12 months back (`improvement_year`); best first, ties share a rank
    and are listed in tree order; a branch without a value on the date compared with is left out of that list.
    Three queries whatever the number of branches: the newest day, the three dates' values, then the names of the
    branches listed."""
    bases = {since: base_date(as_of, since) for since in ("month", "year")}
    stored = summaries.stored_dates([as_of, *bases.values()])
    rows = (IndicatorValue.objects.restrict(user, PERM)
            .filter(as_of__in=sorted(stored), code=BRANCH_VITALITY, key="", org__path__startswith=org.path,
                    org__org_type__in=sorted(BRANCH_TYPES), org__dissolved_on__isnull=True)
            .values_list("org_id", "org__path", "as_of", "value"))
    now: dict[int, float] = {}
    before: dict[dt.date, dict[int, float]] = {day: {} for day in bases.values()}
    paths: dict[int, str] = {}
    for org_id, path, stored_day, value in rows:
        paths[org_id] = path
        day = stored[stored_day]
        if day == as_of:
            now[org_id] = value
        else:
            before[day][org_id] = value
    # Scores are rounded before comparing, so that float noise neither splits a tie nor reorders it.
    best = sorted(now, key=lambda i: (-round(now[i], 6), paths[i]))[:limit]
    lists = {"vitality": [{"org_id": i, "value": now[i], "base": None, "delta": None} for i in best]}
    for since, day in bases.items():
        deltas = {i: now[i] - before[day][i] for i in now if i in before[day]}
        ids = sorted(deltas, key=lambda i: (-round(deltas[i], 6), paths[i]))[:limit]
        lists[since] = [{"org_id": i, "value": now[i], "base": before[day][i], "delta": deltas[i]} for i in ids]
    listed = {row["org_id"] for rows_ in lists.values() for row in rows_}
    names = {row["id"]: row["short_name"] or row["name"]
             for row in Organization.objects.filter(pk__in=listed).values("id", "name", "short_name")} if listed else {}
    out = {}
    for by, key, base in (("vitality", "vitality", None), ("month", "improvement_month", bases["month"]),
                          ("year", "improvement_year", bases["year"])):
        ranking = ranking_shell(by, base)
        ranking["rows"] = _ranked([{**row, "name": names.get(row["org_id"], ""), "display": shown(row["value"], "score"),
                                    "delta_display": shown_change(row["delta"], "score")} for row in lists[by]],
                                  (lambda r: round(r["value"], 6)) if by == "vitality" else (lambda r: round(r["delta"], 6)))
        if not ranking["rows"]:
            if by == "vitality":
                ranking["note"] = _("本组织范围内尚无支部活力指数")
            elif by == "month":
                ranking["note"] = _("尚无上月末（%(day)s）的支部活力指数，无法比较") % {"day": base.isoformat()}
            else:
                ranking["note"] = _("尚无12个月前（%(day)s）的支部活力指数，无法比较") % {"day": base.isoformat()}
        out[key] = ranking
    return out
