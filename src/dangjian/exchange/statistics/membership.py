"""The members of an organisation's subtree: their number and movements over the year (表1 党员数量变化, 表7
出党) and their make-up on the cut-off day (表2 党员基本情况, 表3—5 cross tables).

The day's members come from the effective-dated history (`members.history`, `orgs.history`) in one grouped scan;
the movements from `movements`. Aggregated in the database: never a statement per member.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import BooleanField, Case, CharField, Count, F, Value, When
from django.utils.translation import gettext as _, gettext_lazy

from dangjian.analytics.catalog import AGE_BANDS, JOIN_PERIODS
from dangjian.core.bulk import chunks
from dangjian.members.choices import Education, Gender, MemberStatus, OccupationCategory
# The full-member test is the rule of `counts_on`; reused, not restated.
from dangjian.members.history import _full_on, counts_on
from dangjian.members.models import DisciplinaryAction, IncomingLetter, Member, StatusChangeProposal
from dangjian.orgs.models import Organization
from dangjian.recruitment.choices import Stage
from dangjian.recruitment.models import Candidate

from .movements import Movement, movements
from .tables import AGE_LIMITS, HAN, JOIN_STARTS, Table, _age_q, _join_q, _pct, roll

# -- 1. 党员数量变化 and 5. 出党 --------------------------------------------------------------------------------

EXIT_LABELS = {
    "expulsion": gettext_lazy("开除党籍"), "self_withdrawal": gettext_lazy("自行脱党除名"),
    "persuaded": gettext_lazy("劝退不退除名"), "removal": gettext_lazy("其他除名"), "withdrawal": gettext_lazy("退党"),
    "cancelled": gettext_lazy("取消预备党员资格"), "not_recognised": gettext_lazy("不予承认"), "unrecorded": gettext_lazy("其他（系统未记录出党方式）"),
}


def leaving_kinds(member_ids) -> dict[int, str]:
    """How each member left the Party (出党), from the records that decided it; a few statements in all."""
    kinds: dict[int, str] = {}
    member_ids = list(member_ids)
    for part in chunks(member_ids):
        for member_id, reason in Member.objects.filter(pk__in=part).values_list("pk", "status_reason"):
            if "退党" in (reason or ""):
                kinds[member_id] = "withdrawal"
        for member_id, stage in Candidate.objects.filter(
                member__in=part, stage__in=[Stage.CANCELLED, Stage.NOT_RECOGNISED]).values_list("member_id", "stage"):
            kinds[member_id] = "cancelled" if stage == Stage.CANCELLED else "not_recognised"
        grounds = {StatusChangeProposal.Ground.SELF_WITHDRAWAL: "self_withdrawal",
                   StatusChangeProposal.Ground.PERSUADED: "persuaded"}
        for member_id, ground in StatusChangeProposal.objects.filter(
                member__in=part, kind=StatusChangeProposal.Kind.REMOVE,
                state=StatusChangeProposal.State.APPROVED).values_list("member_id", "ground"):
            kinds[member_id] = grounds.get(ground, "removal")
        for member_id in DisciplinaryAction.objects.filter(
                member__in=part, kind=DisciplinaryAction.Kind.EXPULSION).values_list("member_id", flat=True):
            kinds[member_id] = "expulsion"
    return {member_id: kinds.get(member_id, "unrecorded") for member_id in member_ids}


def _letter_arrivals(moves: list[Movement]) -> set[int]:
    ids = [m.member_id for m in moves if m.entered and not m.admitted]
    found = set()
    for part in chunks(ids):
        found |= set(IncomingLetter.objects.filter(member__in=part).values_list("member_id", flat=True))
    return found


def _arrival(move: Movement, letters: set[int]) -> str:
    if move.admitted:
        return "admitted"
    if move.before_status in (MemberStatus.SUSPENDED, MemberStatus.LEFT):
        return "restored"
    if move.before_status is None or move.before_status == MemberStatus.TRANSFERRED_OUT or (
            move.member_id in letters and move.before_status != MemberStatus.NORMAL):
        return "in_outside"
    if move.before_org != move.after_org:
        return "in_inside"
    return "in_restructure"


def _departure(move: Movement) -> str:
    status = move.after_status
    if status == MemberStatus.DECEASED:
        return "deceased"
    if status == MemberStatus.SUSPENDED:
        return "suspended"
    if status == MemberStatus.LEFT:
        return "left"
    if status == MemberStatus.TRANSFERRED_OUT:
        return "out_outside"
    if move.before_org != move.after_org:
        return "out_inside"
    return "out_restructure"


@dataclass
class Changes:
    start: dict
    end: dict
    arrivals: dict[str, int]
    departures: dict[str, int]
    left_kinds: dict[str, list[Movement]]  # on-roll members who left the Party, by kind
    suspended_left: dict[str, list[Movement]]  # members who left while suspended, by kind
    admitted_ids: list[int]


def changes(org: Organization, start: dt.date, on: dt.date, groups: list[dict]) -> Changes:
    moves, suspended_leavers = movements(org.pk, start, on)
    letters = _letter_arrivals(moves)
    arrivals = dict.fromkeys(["admitted", "restored", "in_outside", "in_inside", "in_restructure"], 0)
    departures = dict.fromkeys(["out_outside", "out_inside", "out_restructure", "left", "deceased", "suspended"], 0)
    leavers = []
    for move in moves:
        if move.entered:
            arrivals[_arrival(move, letters)] += 1
        else:
            kind = _departure(move)
            departures[kind] += 1
            if kind == "left":
                leavers.append(move)
    kinds = leaving_kinds([m.member_id for m in leavers + suspended_leavers])
    left_kinds = {key: [] for key in EXIT_LABELS}
    suspended_left = {key: [] for key in EXIT_LABELS}
    for move in leavers:
        left_kinds[kinds[move.member_id]].append(move)
    for move in suspended_leavers:
        suspended_left[kinds[move.member_id]].append(move)
    total, full = _count(groups), _count(groups, full=True)
    end = {"total": total, "full": full, "probationary": total - full}  # the rule of `counts_on`, from one scan
    return Changes(start=counts_on(org, start), end=end, arrivals=arrivals, departures=departures,
                   left_kinds=left_kinds, suspended_left=suspended_left,
                   admitted_ids=[m.member_id for m in moves if m.entered and m.admitted])


def membership_change_table(c: Changes) -> Table:
    t = Table("membership_change", _("党员数量变化情况"), [_("人数")])
    a, d = c.arrivals, c.departures
    arrived, departed = sum(a.values()), sum(d.values())
    t.add(_("上年底（年初）党员数"), c.start["total"], total=True)
    t.add(_("本年增加党员"), arrived, total=True)
    t.add(_("发展党员（接收为预备党员）"), a["admitted"], level=1)
    t.add(_("恢复党籍"), a["restored"], level=1)
    t.add(_("转入组织关系"), a["in_outside"] + a["in_inside"] + a["in_restructure"], level=1)
    t.add(_("从系统外转入（介绍信）"), a["in_outside"], level=2)
    t.add(_("系统内转入（组织关系转接、组织调整）"), a["in_inside"], level=2)
    t.add(_("党组织隶属关系调整转入"), a["in_restructure"], level=2)
    t.add(_("本年减少党员"), departed, total=True)
    t.add(_("转出组织关系"), d["out_outside"] + d["out_inside"] + d["out_restructure"], level=1)
    t.add(_("转往系统外（介绍信）"), d["out_outside"], level=2)
    t.add(_("系统内转出（组织关系转接、组织调整）"), d["out_inside"], level=2)
    t.add(_("党组织隶属关系调整转出"), d["out_restructure"], level=2)
    t.add(_("出党"), d["left"], level=1)
    for key, label in EXIT_LABELS.items():
        t.add(label, len(c.left_kinds[key]), level=2)
    t.add(_("死亡"), d["deceased"], level=1)
    t.add(_("停止党籍"), d["suspended"], level=1)
    t.add(_("本年底党员数"), c.end["total"], total=True)
    t.add(_("其中：正式党员"), c.end["full"], level=1)
    t.add(_("其中：预备党员"), c.end["probationary"], level=1)
    t.notes.append(_("年初党员数 + 本年增加 − 本年减少 = 本年底党员数。人数按当日的组织结构和党员组织关系历史统计；"
                     "停止党籍的党员不计入党员数。"))
    return t


def leaving_table(c: Changes) -> Table:
    t = Table("leaving", _("出党情况"), [_("合计"), _("正式党员"), _("预备党员"), _("女性")])

    def figures(moves):
        return [len(moves), sum(m.full for m in moves), sum(not m.full for m in moves),
                sum(m.gender == Gender.FEMALE for m in moves)]

    everyone = [m for moves in c.left_kinds.values() for m in moves]
    t.add(_("本年出党（在册党员）"), *figures(everyone), total=True)
    for key, label in EXIT_LABELS.items():
        t.add(label, *figures(c.left_kinds[key]), level=1)
    suspended = [m for moves in c.suspended_left.values() for m in moves]
    t.add(_("另：停止党籍后出党（停止党籍时已减少，不重复计入党员数量变化）"), *figures(suspended), total=True)
    for key, label in EXIT_LABELS.items():
        if c.suspended_left[key]:
            t.add(label, *figures(c.suspended_left[key]), level=1)
    t.notes.append(_("出党方式取自党纪处分（开除党籍）、经批准的党籍处置（除名）、发展党员记录（取消预备党员资格、不予承认）"
                     "和状态变更原因（退党）；都没有记录的列为“其他”。"))
    return t


# -- 2. 党员基本情况 and 3. cross tables ---------------------------------------------------------------------------

BREAKDOWNS = {  # key → (title, the group field holding the code)
    "education": (gettext_lazy("学历"), "education"),
    "age_band": (gettext_lazy("年龄"), "age_band"),
    "occupation": (gettext_lazy("职业（人员类别）"), "occupation"),
    "join_period": (gettext_lazy("入党时间"), "join_period"),
}


def _items(key: str) -> list[tuple[str, str]]:
    """The codes and labels of one breakdown, in the order of the forms."""
    if key == "education":
        return [(k, str(v)) for k, v in Education.choices] + [("", _("未填写学历"))]
    if key == "age_band":
        return [(k, str(v)) for k, v in AGE_BANDS.items()]
    if key == "occupation":
        return [(k, str(v)) for k, v in OccupationCategory.choices]
    return [(k, str(v)) for k, v in JOIN_PERIODS.items()]


def roll_groups(org: Organization, on: dt.date) -> list[dict]:
    """The members of the day grouped by every attribute the tables break down (gender, ethnicity, full or
    probationary, education, occupation, age band, period of joining) with their number: one scan of the roll,
    a few thousand rows at most however many members; every table of the day's members is summed from these."""
    p = "member__"
    text = CharField()
    groups = roll(org, on).annotate(
        age_band=Case(*[When(_age_q(p, on, k), then=Value(k)) for k in AGE_LIMITS], default=Value(""),
                      output_field=text),
        join_period=Case(*[When(_join_q(p, k), then=Value(k)) for k in JOIN_STARTS], default=Value(""),
                         output_field=text),
        full=Case(When(_full_on(on), then=Value(True)), default=Value(False), output_field=BooleanField()),
        minority=Case(When(member__ethnicity=HAN, then=Value(False)), default=Value(True),
                      output_field=BooleanField()),
    ).values("age_band", "join_period", "full", "minority", gender=F("member__gender"),
             education=F("member__education"), occupation=F("member__occupation_category"))
    return list(groups.annotate(n=Count("id")).order_by())


def _count(groups, **match) -> int:
    return sum(g["n"] for g in groups if all(g[k] == v for k, v in match.items()))


def basic_table(groups: list[dict]) -> Table:
    t = Table("basic", _("党员基本情况"), [_("人数"), _("占党员总数（%）")])
    total = _count(groups)
    women, minority, full = _count(groups, gender=Gender.FEMALE), _count(groups, minority=True), _count(groups, full=True)
    t.add(_("党员总数"), total, _pct(total, total), total=True)
    t.add(_("女党员"), women, _pct(women, total), level=1)
    t.add(_("少数民族党员"), minority, _pct(minority, total), level=1)
    t.add(_("正式党员"), full, _pct(full, total), level=1)
    t.add(_("预备党员"), total - full, _pct(total - full, total), level=1)
    for key, (title, column) in BREAKDOWNS.items():
        t.add(_("按%(what)s分") % {"what": title}, None, None, total=True)
        for code, label in _items(key):
            value = _count(groups, **{column: code})
            if code == "" and not value:
                continue
            t.add(label, value, _pct(value, total), level=1)
    return t


def cross_table(groups: list[dict], key: str) -> Table:
    """One breakdown of the members of the day against gender, category and ethnicity."""
    titles = {"education": _("党员学历情况"), "age_band": _("党员年龄情况"), "occupation": _("党员职业（人员类别）情况")}
    t = Table(f"cross_{key}", titles[key], [_("合计"), _("男"), _("女"), _("正式党员"), _("预备党员"),
                                            _("少数民族")])
    column = BREAKDOWNS[key][1]
    rows, sums = [], [0] * 6
    for code, label in _items(key):
        mine = [g for g in groups if g[column] == code]
        values = [_count(mine), _count(mine, gender=Gender.MALE), _count(mine, gender=Gender.FEMALE),
                  _count(mine, full=True), _count(mine, full=False), _count(mine, minority=True)]
        if code == "" and not values[0]:
            continue
        rows.append((label, values))
        sums = [a + b for a, b in zip(sums, values)]
    t.add(_("合计"), *sums, total=True)
    for label, values in rows:
        t.add(label, *values, level=1)
    return t
