"""The tables of the annual Party statistics (党内统计年报) for an organisation's subtree on a cut-off day.

Every figure is computed from the records: the membership of a day from the effective-dated history
(`members.history`, `orgs.history`), so a report for 31 December run later gives the same figures after
transfers and restructurings; movements over the year from `movements`; recruitment from `recruitment`;
appraisals, meetings and study hours from `orglife`. Counts are aggregated in the database (one statement per
table or breakdown, never one per member). A figure the system does not record is not invented: the table says
so in a note row.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import BooleanField, Case, CharField, Count, Exists, F, OuterRef, Q, Sum, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _, gettext_lazy

from dangjian.analytics.catalog import AGE_BANDS, JOIN_PERIODS
from dangjian.core import rulebook
from dangjian.core.bulk import chunks
from dangjian.members.choices import Education, Gender, MemberStatus, OccupationCategory
# The roll of a day and the full-member test are the rules of `counts_on`; reused, not restated.
from dangjian.members.history import _full_on, _on_roll, counts_on
from dangjian.members.models import DisciplinaryAction, IncomingLetter, Member, StatusChangeProposal
from dangjian.members.periods import add_years
from dangjian.orglife.choices import HELD_STATES, Grade, Presence
from dangjian.orglife.models import Appraisal, AppraisalEntry, Attendance, Meeting
from dangjian.orgs.history import subtree_on
from dangjian.orgs.models import Organization
from dangjian.recruitment.choices import Stage, StepKind
from dangjian.recruitment.models import Candidate, Step

from .movements import Movement, movements

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


# -- 1. 党员数量变化 and 5. 出党 --------------------------------------------------------------------------------

EXIT_LABELS = {
    "expulsion": gettext_lazy("开除党籍"), "self_withdrawal": gettext_lazy("自行脱党除名"),
    "persuaded": gettext_lazy("劝退不退除名"), "removal": gettext_lazy("其他除名"), "withdrawal": gettext_lazy("退党"),
    "cancelled": gettext_lazy("取消预备党员资格"), "unrecorded": gettext_lazy("其他（系统未记录出党方式）"),
}


def leaving_kinds(member_ids) -> dict[int, str]:
    """How each member left the Party (出党), from the records that decided it; a few statements in all."""
    kinds: dict[int, str] = {}
    member_ids = list(member_ids)
    for part in chunks(member_ids):
        for member_id, reason in Member.objects.filter(pk__in=part).values_list("pk", "status_reason"):
            if "退党" in (reason or ""):
                kinds[member_id] = "withdrawal"
        for member_id in Candidate.objects.filter(member__in=part, stage=Stage.CANCELLED).values_list("member_id", flat=True):
            kinds[member_id] = "cancelled"
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
    t.notes.append(_("出党方式取自党纪处分（开除党籍）、经批准的党籍处置（除名）、发展党员记录（取消预备党员资格）"
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


# -- 4. 发展党员 ---------------------------------------------------------------------------------------------------

def _age_on(birth: dt.date, day: dt.date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def _stage_on(on: dt.date):
    """Candidates by the stage they had reached on `on` (the dates of their recorded steps), not yet admitted."""
    def step_by(kind):
        return Exists(Step.objects.filter(candidate=OuterRef("pk"), kind=kind, on__lte=on))

    admitted = Exists(Step.objects.filter(candidate=OuterRef("pk"), kind=StepKind.ADMISSION_APPROVAL, passed=True,
                                          on__lte=on)) | Q(member__joined_on__lte=on)
    return (Candidate.objects.filter(applied_on__lte=on, transferred_in=False).exclude(admitted)
            .annotate(activist=step_by(StepKind.ACTIVIST_DETERMINATION),
                      target=step_by(StepKind.TARGET_DETERMINATION)))


def recruitment_table(org: Organization, start: dt.date, on: dt.date, admitted_ids: list[int]) -> Table:
    t = Table("recruitment", _("发展党员情况"), [_("人数"), _("女性"), _("少数民族"), _("35岁及以下")])
    rows = []
    for part in chunks(admitted_ids):
        rows += Member.objects.filter(pk__in=part).values(
            "gender", "ethnicity", "birth_date", "joined_on", "education", "occupation_category")
    for r in rows:
        r["age"] = _age_on(r["birth_date"], r["joined_on"])

    def figures(group):
        return [len(group), sum(r["gender"] == Gender.FEMALE for r in group),
                sum(r["ethnicity"] != HAN for r in group), sum(r["age"] <= YOUNG_AGE for r in group)]

    t.add(_("本年发展党员（接收为预备党员）"), *figures(rows), total=True)
    t.add(_("按入党时年龄分"), None, None, None, None, total=True)
    for key, label in AGE_BANDS.items():
        low, high = AGE_LIMITS[key]
        group = [r for r in rows if (low is None or r["age"] >= low) and (high is None or r["age"] <= high)]
        t.add(label, *figures(group), level=1)
    t.add(_("按学历分"), None, None, None, None, total=True)
    for code, label in Education.choices:
        t.add(label, *figures([r for r in rows if r["education"] == code]), level=1)
    t.add(_("按职业（人员类别）分"), None, None, None, None, total=True)
    for code, label in OccupationCategory.choices:
        t.add(label, *figures([r for r in rows if r["occupation_category"] == code]), level=1)

    # The pipeline: candidates of the branches of the subtree (as it stood on the day), and members admitted
    # after the day whose archive shows the stage they had reached by then (not recorded as candidates).
    orgs = subtree_on(org, on).values("org_id")
    window = Q(on__gt=start, on__lte=on)

    def born_by(prefix, years):
        return Q(**{f"{prefix}birth_date__gt": add_years(on, -(years + 1))})

    staged = _stage_on(on).filter(org__in=orgs).aggregate(
        applicants=Count("id", filter=Q(activist=False, target=False)),
        applicants_f=Count("id", filter=Q(activist=False, target=False, gender=Gender.FEMALE)),
        applicants_y=Count("id", filter=Q(activist=False, target=False) & born_by("", YOUNG_AGE)),
        activists=Count("id", filter=Q(activist=True, target=False)),
        activists_f=Count("id", filter=Q(activist=True, target=False, gender=Gender.FEMALE)),
        activists_y=Count("id", filter=Q(activist=True, target=False) & born_by("", YOUNG_AGE)),
        targets=Count("id", filter=Q(target=True)),
        targets_f=Count("id", filter=Q(target=True, gender=Gender.FEMALE)),
        targets_y=Count("id", filter=Q(target=True) & born_by("", YOUNG_AGE)))
    later = (Member.objects.filter(org__in=orgs, joined_on__gt=on, candidate__isnull=True)
             .filter(Q(applied_on__lte=on) | Q(activist_on__lte=on) | Q(development_target_on__lte=on)))
    is_target = Q(development_target_on__lte=on)
    is_activist = Q(activist_on__lte=on) & ~is_target
    is_applicant = ~is_target & ~Q(activist_on__lte=on)
    archived = later.aggregate(
        applicants=Count("id", filter=is_applicant),
        applicants_f=Count("id", filter=is_applicant & Q(gender=Gender.FEMALE)),
        applicants_y=Count("id", filter=is_applicant & born_by("", YOUNG_AGE)),
        activists=Count("id", filter=is_activist),
        activists_f=Count("id", filter=is_activist & Q(gender=Gender.FEMALE)),
        activists_y=Count("id", filter=is_activist & born_by("", YOUNG_AGE)),
        targets=Count("id", filter=is_target),
        targets_f=Count("id", filter=is_target & Q(gender=Gender.FEMALE)),
        targets_y=Count("id", filter=is_target & born_by("", YOUNG_AGE)))

    def stage(key):
        return [staged[key] + archived[key], staged[f"{key}_f"] + archived[f"{key}_f"], None,
                staged[f"{key}_y"] + archived[f"{key}_y"]]

    t.add(_("本年底入党申请人、积极分子、发展对象"), None, None, None, None, total=True)
    t.add(_("入党申请人（尚未确定为积极分子）"), *stage("applicants"), level=1)
    t.add(_("入党积极分子（尚未确定为发展对象）"), *stage("activists"), level=1)
    t.add(_("发展对象"), *stage("targets"), level=1)
    steps = Step.objects.filter(window, candidate__org__in=orgs)
    year = steps.aggregate(
        activists=Count("candidate", distinct=True, filter=Q(kind=StepKind.ACTIVIST_DETERMINATION)),
        targets=Count("candidate", distinct=True, filter=Q(kind=StepKind.TARGET_DETERMINATION)))
    applied = Candidate.objects.filter(org__in=orgs, applied_on__gt=start, applied_on__lte=on, transferred_in=False)
    t.add(_("本年递交入党申请书"), applied.count(), applied.filter(gender=Gender.FEMALE).count(), None,
          applied.filter(born_by("", YOUNG_AGE)).count(), total=True)
    t.add(_("本年确定为入党积极分子"), year["activists"], None, None, None, total=True)
    t.add(_("本年确定为发展对象"), year["targets"], None, None, None, total=True)
    t.note(_("入党申请人、积极分子、发展对象没有民族信息，“少数民族”一栏不统计；本年确定为积极分子、发展对象的人数"
             "取自发展党员流程中登记的环节。"))
    return t


# -- 6. 民主评议 and 7. 培训 ---------------------------------------------------------------------------------------

def appraisal_table(org: Organization, on: dt.date) -> Table:
    t = Table("appraisal", _("民主评议党员情况"), [_("数量"), _("占评定等次党员（%）")])
    orgs = subtree_on(org, on).values("org_id")
    appraisals = Appraisal.objects.filter(org__in=orgs, year=on.year)
    held = appraisals.aggregate(orgs=Count("id"), decided=Count("id", filter=Q(state=Appraisal.State.DECIDED)))
    entries = AppraisalEntry.objects.filter(appraisal__in=appraisals)
    found = entries.aggregate(
        n_total=Count("id"), n_probationary=Count("id", filter=Q(probationary=True)),
        **{f"n_{g}": Count("id", filter=Q(probationary=False, grade=g)) for g in Grade.values},
        n_ungraded=Count("id", filter=Q(probationary=False, grade="")))
    found = {key[2:]: value for key, value in found.items()}
    graded = sum(found[g] for g in Grade.values)
    t.add(_("开展民主评议的党组织（个）"), held["orgs"], None, total=True)
    t.add(_("其中：已评定等次的党组织（个）"), held["decided"], None, level=1)
    t.add(_("参加民主评议的党员（人）"), found["total"], None, total=True)
    t.add(_("其中：预备党员（参加评议，不评定等次）"), found["probationary"], None, level=1)
    t.add(_("评定等次的正式党员（人）"), graded, _pct(graded, graded), total=True)
    for code, label in Grade.choices:
        t.add(label, found[code], _pct(found[code], graded), level=1)
    t.add(_("尚未评定等次的正式党员（人）"), found["ungraded"], None, total=True)
    t.notes.append(_("统计%(year)d年度的民主评议（按评议所属年度），党组织按截止日的组织结构。") % {"year": on.year})
    return t


def _window_datetimes(start: dt.date, on: dt.date):
    tz = timezone.get_current_timezone()
    after = dt.datetime.combine(start + dt.timedelta(days=1), dt.time.min, tzinfo=tz)
    until = dt.datetime.combine(on + dt.timedelta(days=1), dt.time.min, tzinfo=tz)
    return after, until


def training_table(org: Organization, start: dt.date, on: dt.date, total_members: int) -> Table:
    t = Table("training", _("党员教育培训和发展对象培训情况"), [_("人数或次数"), _("学时"), _("天数")])
    orgs = subtree_on(org, on).values("org_id")
    training = Step.objects.filter(kind=StepKind.TRAINING, on__gt=start, on__lte=on, candidate__org__in=orgs).aggregate(
        people=Count("candidate", distinct=True), hours=Sum("training_hours"), days=Sum("training_days"))
    t.add(_("发展对象短期集中培训（人）"), training["people"], training["hours"] or Decimal("0"),
          training["days"] or Decimal("0"), total=True)
    t.note(_("入党积极分子培训：系统未记录培训人数和学时"))
    after, until = _window_datetimes(start, on)
    meetings = Meeting.objects.filter(org__in=orgs, state__in=HELD_STATES, starts_at__gte=after, starts_at__lt=until)
    credited = meetings.filter(study_hours__gt=0)
    t.add(_("计入学时的组织生活（次）"), credited.count(), credited.aggregate(h=Sum("study_hours"))["h"] or Decimal("0"),
          None, total=True)
    members = roll(org, on).values("member_id")
    present = Attendance.objects.filter(meeting__in=credited, presence=Presence.PRESENT, member_id__in=members)
    earned = present.aggregate(people=Count("member_id", distinct=True), hours=Sum("meeting__study_hours"))
    hours = earned["hours"] or Decimal("0")
    t.add(_("参加计入学时的组织生活的党员（人）"), earned["people"], hours, None, level=1)
    average = (Decimal(hours) / total_members).quantize(Decimal("0.1")) if total_members else None
    t.add(_("本年底党员数及人均学时"), total_members, average, None, level=1)
    target = rulebook.value("study_hours_per_year", on)
    reached = (present.values("member_id").annotate(h=Sum("meeting__study_hours")).filter(h__gte=target)
               .order_by().values("member_id"))
    t.add(_("学时达到年度要求（%(hours)s学时）的党员（人）") % {"hours": target}, reached.count(), None, None, level=1)
    t.note(_("党委、党校等举办的集中培训和网络学习：系统未记录，未计入学时"))
    t.notes.append(_("组织生活学时按出席（已签到）的党员计；年度要求见%(citation)s。")
                   % {"citation": rulebook.citation("study_hours_per_year")})
    return t


# -- the report ---------------------------------------------------------------------------------------------------

def org_name_on(org: Organization, on: dt.date) -> str:
    version = subtree_on(org, on).filter(org=org).values_list("name", flat=True).first()
    return version or org.name


def annual_report(org: Organization, on: dt.date) -> Report:
    """Every table for `org` and everything under it, as of the end of `on` (the year: the day after `year_start`)."""
    start = year_start(on)
    groups = roll_groups(org, on)
    c = changes(org, start, on, groups)
    tables = [
        membership_change_table(c),
        basic_table(groups),
        cross_table(groups, "education"),
        cross_table(groups, "age_band"),
        cross_table(groups, "occupation"),
        recruitment_table(org, start, on, c.admitted_ids),
        leaving_table(c),
        appraisal_table(org, on),
        training_table(org, start, on, c.end["total"]),
    ]
    return Report(org=org, org_name=org_name_on(org, on), on=on, start=start, tables=tables)


__all__ = ["AGE_LIMITS", "JOIN_STARTS", "Report", "Row", "Table", "annual_report", "year_start"]
