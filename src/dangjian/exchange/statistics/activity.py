"""Recruitment, appraisals and training over the year (表6 发展党员, 表8 民主评议, 表9 教育培训), from the
`recruitment` and `orglife` records of the organisations of the subtree (as it stood on the cut-off day). A figure
the system does not record is not invented: the table says so in a note row.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db.models import Count, Exists, OuterRef, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from dangjian.analytics.catalog import AGE_BANDS
from dangjian.core import rulebook
from dangjian.core.bulk import chunks
from dangjian.members.choices import Education, Gender, OccupationCategory
from dangjian.members.models import Member
from dangjian.members.periods import add_years
from dangjian.orglife.choices import HELD_STATES, Grade, Presence
from dangjian.orglife.models import Appraisal, AppraisalEntry, Attendance, Meeting
from dangjian.orgs.history import subtree_on
from dangjian.orgs.models import Organization
from dangjian.recruitment.choices import StepKind
from dangjian.recruitment.models import Candidate, Step

from .tables import AGE_LIMITS, HAN, YOUNG_AGE, Table, _pct, roll

# -- 4. 发展党员 ---------------------------------------------------------------------------------------------------

def _age_on(birth: dt.date, day: dt.date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


# The steps that end a development before admission: 终止发展, and 追认 (the person died before being admitted).
ENDING_STEPS = (StepKind.CLOSURE, StepKind.POSTHUMOUS_ADMISSION)


def _stage_on(on: dt.date):
    """Candidates by the stage they had reached on `on` (the dates of their recorded steps): those not yet admitted
    whose development had not ended by then."""
    def step_by(kind):
        return Exists(Step.objects.filter(candidate=OuterRef("pk"), kind=kind, on__lte=on))

    admitted = Exists(Step.objects.filter(candidate=OuterRef("pk"), kind=StepKind.ADMISSION_APPROVAL, passed=True,
                                          on__lte=on)) | Q(member__joined_on__lte=on)
    ended = Exists(Step.objects.filter(candidate=OuterRef("pk"), kind__in=ENDING_STEPS, on__lte=on))
    return (Candidate.objects.filter(applied_on__lte=on, transferred_in=False).exclude(admitted).exclude(ended)
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
        targets=Count("candidate", distinct=True, filter=Q(kind=StepKind.TARGET_DETERMINATION)),
        closed=Count("candidate", distinct=True, filter=Q(kind=StepKind.CLOSURE)),
        posthumous=Count("candidate", distinct=True, filter=Q(kind=StepKind.POSTHUMOUS_ADMISSION)))
    applied = Candidate.objects.filter(org__in=orgs, applied_on__gt=start, applied_on__lte=on, transferred_in=False)
    t.add(_("本年递交入党申请书"), applied.count(), applied.filter(gender=Gender.FEMALE).count(), None,
          applied.filter(born_by("", YOUNG_AGE)).count(), total=True)
    t.add(_("本年确定为入党积极分子"), year["activists"], None, None, None, total=True)
    t.add(_("本年确定为发展对象"), year["targets"], None, None, None, total=True)
    t.add(_("本年终止发展"), year["closed"], None, None, None, total=True)
    t.add(_("本年追认为中国共产党党员"), year["posthumous"], None, None, None, total=True)
    t.note(_("入党申请人、积极分子、发展对象没有民族信息，“少数民族”一栏不统计；本年确定为积极分子、发展对象的人数"
             "取自发展党员流程中登记的环节；终止发展或被追认的，从终止、追认之日起不再计入入党申请人、积极分子、发展对象。"))
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
