"""The shipped warning rules. Each reads the query function of the app that owns the data."""

from __future__ import annotations

from dangjian.core import rulebook

from .choices import Level, Subject
from .rules import Hit, register

# -- terms (换届) -----------------------------------------------------------------------------------------------


@register("term_due", "任期届满未换届或即将届满", "term_reminder_months", Subject.ORG,
          parameters=("term_reminder_months", "term_max_shift_years"),
          description="任期已届满仍未换届为红灯；距届满不足提醒期（默认 6 个月）为黄灯")
def _terms(rule, on, shared):
    from dangjian.orgs.governance_queries import OVERDUE, terms_needing_election
    from dangjian.orgs.models import Term

    for term in terms_needing_election(Term.objects.all(), on):
        evidence = {"term_id": term.pk, "number": term.number, "ends_on": term.ends_on.isoformat()}
        if term.stage == OVERDUE:
            yield Hit(term.org_id, Level.RED, f"第 {term.number} 届任期已于 {term.ends_on} 届满，已逾期 "
                      f"{term.overdue_days} 天未换届，延期换届须报上级党组织批准", evidence)
        else:
            yield Hit(term.org_id, Level.YELLOW, f"第 {term.number} 届任期将于 {term.ends_on} 届满，"
                      "请做好换届准备，按时提出换届请示", evidence)


# -- organisation setup (组织设置): one rule per setup check, all computed by one call ---------------------------------

def _setup(on, shared):
    if "setup" not in shared:
        from dangjian.orgs.models import Organization
        from dangjian.orgs.setup_checks import setup_findings

        shared["setup"] = setup_findings(Organization.objects.all(), on=on)
    return shared["setup"]


def _setup_rule(code):
    def evaluate(rule, on, shared):
        for f in _setup(on, shared):
            if f.code == code:
                yield Hit(f.org.pk, f.level, f.message, {"value": f.value, "limit": f.limit,
                                                         "member_ids": list(f.members)})
    return evaluate


def _register_setup_rules():
    from dangjian.orgs.setup_checks import RULE_LABELS, Rule

    keys = {Rule.BRANCH_FEW_FULL_MEMBERS: "branch_min_full_members", Rule.BRANCH_TOO_LARGE: "branch_max_members",
            Rule.COMMITTEE_REQUIRED: "committee_required_full_members", Rule.COMMITTEE_SIZE: "committee_size",
            Rule.JOINT_BRANCH_TOO_MANY_UNITS: "joint_branch_max_units", Rule.NO_SECRETARY: "secretary_required",
            Rule.EMPTY_GROUP: "group_members", Rule.PROBATIONARY_AS_FULL: "probation_years"}
    for code, label in RULE_LABELS.items():
        key = keys[code]
        params = (key,) if key in rulebook.VERSIONS[-1].values else ()
        register(f"setup.{code}", f"组织设置：{label}", key, Subject.ORG, parameters=params)(_setup_rule(code))


_register_setup_rules()


# -- dues arrears (欠缴党费) -------------------------------------------------------------------------------------


@register("dues_arrears", "连续未交纳党费", "dues_arrears_lapse_months", Subject.MEMBER,
          parameters=("dues_arrears_notice_months", "dues_arrears_lapse_months"),
          description="连续欠缴达到提醒月数为黄灯，达到 6 个月为红灯（党章第九条：自行脱党）")
def _arrears(rule, on, shared):
    from dangjian.dues.models import DuesBill
    from dangjian.dues.queries import arrears_by_member
    from dangjian.members.choices import MemberStatus
    from dangjian.members.models import Member

    notice = rulebook.value("dues_arrears_notice_months", on)
    lapse = rulebook.value("dues_arrears_lapse_months", on)
    arrears = {m: a for m, a in arrears_by_member(DuesBill.objects.all(), on).items() if a.consecutive >= notice}
    from dangjian.core.bulk import chunks

    orgs = {}
    for part in chunks(sorted(arrears)):
        orgs.update(Member.objects.filter(pk__in=part, status=MemberStatus.NORMAL).values_list("pk", "org_id"))
    for member_id, a in arrears.items():
        if member_id not in orgs:
            continue
        months = [m.isoformat()[:7] for m in a.months[-a.consecutive:]]
        evidence = {"member_id": member_id, "consecutive": a.consecutive, "months": months}
        if a.consecutive >= lapse:
            yield Hit(orgs[member_id], Level.RED, f"连续 {a.consecutive} 个月未交纳党费（{months[0]} 起），无正当理由"
                      f"连续 {lapse} 个月不交纳党费的按自行脱党处理，请支部立即谈话了解情况", evidence, member_id)
        else:
            yield Hit(orgs[member_id], Level.YELLOW, f"连续 {a.consecutive} 个月未交纳党费（{months[0]} 起），"
                      "请提醒按时交纳，了解是否有困难", evidence, member_id)


# -- probation (预备期) ----------------------------------------------------------------------------------------


@register("probation_overdue", "预备期满未讨论转正", "probation_years", Subject.MEMBER,
          parameters=("probation_years", "probation_overdue_red_months"),
          description="预备期满仍为预备党员为黄灯，超过规定月数仍未讨论为红灯")
def _probation(rule, on, shared):
    from dangjian.members.choices import Category, MemberStatus
    from dangjian.members.models import Member
    from dangjian.members.periods import add_months
    from dangjian.members.rules import add_years

    years = rulebook.value("probation_years", on)
    red_months = rulebook.value("probation_overdue_red_months", on)
    # Probation ends on the anniversary: a member admitted on `ended_before` or earlier has finished it by `on`.
    ended_before = add_years(on, -years)
    # A 预备党员 with a recruitment file is followed there (recruitment_overdue: the conversion deadline, with a
    # postponement after a transfer); this rule covers the others (imported, or admitted before the platform).
    rows = (Member.objects.filter(category=Category.PROBATIONARY, status=MemberStatus.NORMAL,
                                  joined_on__lt=ended_before, candidate__isnull=True)
            .values_list("pk", "org_id", "name", "joined_on"))
    for member_id, org_id, name, joined_on in rows.order_by("pk").iterator(chunk_size=2000):
        ended = add_years(joined_on, years)
        red = add_months(ended, red_months) < on
        evidence = {"member_id": member_id, "joined_on": joined_on.isoformat(), "probation_ended_on": ended.isoformat()}
        yield Hit(org_id, Level.RED if red else Level.YELLOW,
                  f"{name} 于 {joined_on} 入党，预备期已于 {ended} 期满，仍未讨论转正；预备期满，党支部应当及时讨论其"
                  "能否转为正式党员", evidence, member_id)


# -- lost contact (失联) and status proposals due (停止党籍 / 除名) ----------------------------------------------------


@register("lost_contact", "党员失联或应提出党籍处置", "lost_contact_suspend_months", Subject.MEMBER,
          parameters=("lost_contact_suspend_months", "suspended_removal_years", "abroad_study_suspend_years"),
          description="党员失联为黄灯；失联满 6 个月等应提出停止党籍、停止党籍满 2 年应提出除名的为红灯")
def _lost_contact(rule, on, shared):
    from dangjian.members.choices import MemberStatus
    from dangjian.members.lifecycle_queries import proposals_due
    from dangjian.members.models import Absence, Member, StatusChangeProposal

    due = proposals_due(Member.objects.all(), on)
    seen = set()
    for row in due:
        seen.add(row.member.pk)
        yield Hit(row.member.org_id, Level.RED,
                  f"{row.member.name} 自 {row.since} 起{row.ground_label}，已于 {row.due_on} 达到应提出"
                  f"“{row.kind_label}”的条件，请支部提出处置意见报上级党委", {
                      "member_id": row.member.pk, "kind": row.kind, "ground": row.ground,
                      "since": row.since.isoformat(), "due_on": row.due_on.isoformat()}, row.member.pk)
    lost = (Absence.objects.filter(kind=Absence.Kind.LOST_CONTACT, ended_on__isnull=True, since__lte=on,
                                   member__status=MemberStatus.NORMAL)
            .exclude(member__status_proposals__state__in=StatusChangeProposal.OPEN)
            .values_list("pk", "member_id", "member__org_id", "member__name", "since").order_by("since"))
    for absence_id, member_id, org_id, name, since in lost:
        if member_id in seen:
            continue
        seen.add(member_id)
        yield Hit(org_id, Level.YELLOW, f"{name} 自 {since} 起失去联系，请设法联系；失联满 "
                  f"{rulebook.value('lost_contact_suspend_months', since)} 个月仍无法联系的应当停止党籍",
                  {"member_id": member_id, "absence_id": absence_id, "since": since.isoformat()}, member_id)


# -- mobile members (流动党员) -----------------------------------------------------------------------------------


@register("mobile_review_overdue", "流动党员活动证逾期未年审", "mobile_certificate_review_months", Subject.MEMBER,
          parameters=("mobile_certificate_review_months",), levels=(Level.YELLOW,),
          description="活动证每年年审一次，逾期未年审为黄灯")
def _mobile_review(rule, on, shared):
    from dangjian.members.lifecycle_queries import open_mobile_records, review_overdue
    from dangjian.members.models import MobileRecord

    records = open_mobile_records(MobileRecord.objects.all()).select_related("member").order_by("pk")
    for record in review_overdue(records.iterator(chunk_size=2000), on):
        yield Hit(record.home_org_id, Level.YELLOW,
                  f"{record.member.name} 的流动党员活动证应于 {record.review_due_on} 前年审，已逾期，请及时办理",
                  {"member_id": record.member_id, "mobile_record_id": record.pk,
                   "certificate_number": record.certificate_number, "review_due_on": record.review_due_on.isoformat()},
                  record.member_id)


# -- organisational life (组织生活): 三会一课, 主题党日, 组织生活会, 民主评议, study hours ---------------------------------------


def _orglife_gaps(on, shared):
    if "orglife_gaps" not in shared:
        from dangjian.orglife.queries import period_gaps

        shared["orglife_gaps"] = period_gaps(on)
    return shared["orglife_gaps"]


def _orglife_rule(kind):
    def evaluate(rule, on, shared):
        from dangjian.orglife.rules import KIND_LABELS

        label = KIND_LABELS[kind]
        for gap in _orglife_gaps(on, shared):
            if gap.kind != kind:
                continue
            evidence = {"kind": kind, "period": gap.span.key, "period_start": gap.span.start.isoformat(),
                        "period_end": gap.span.end.isoformat()}
            if gap.overdue:
                yield Hit(gap.org_id, Level.RED, f"{gap.span.label}未召开{label}（{rulebook.citation('orglife_frequency')}）",
                          evidence, detail_key=gap.span.key)
            else:
                # The message names the end date, not a countdown: it stays the same night after night, so the
                # finding is not rewritten every day.
                end = gap.span.end
                yield Hit(gap.org_id, Level.YELLOW, f"{gap.span.label}尚未召开{label}，本周期于 {end.month}月{end.day}日"
                          "结束，请及时安排", evidence, detail_key=gap.span.key)
    return evaluate


def _register_orglife_rules():
    from dangjian.orglife.choices import MeetingKind

    names = {MeetingKind.GENERAL_MEETING: "支部党员大会未按季度召开", MeetingKind.COMMITTEE_MEETING: "支委会未按月召开",
             MeetingKind.GROUP_MEETING: "党小组会未按月召开", MeetingKind.PARTY_LECTURE: "党课未按期开展",
             MeetingKind.THEME_DAY: "主题党日未按月开展", MeetingKind.LIFE_MEETING: "本年度未召开组织生活会",
             MeetingKind.DEMOCRATIC_APPRAISAL: "本年度未开展民主评议党员"}
    for kind, name in names.items():
        register(f"orglife.{kind}", name, "orglife_frequency", Subject.ORG,
                 parameters=("orglife_frequency", "orglife_reminder_days"),
                 description="上一周期未召开为红灯；本周期临近结束（提醒天数内）仍未召开为黄灯")(_orglife_rule(kind))


_register_orglife_rules()


@register("orglife.study_hours", "学习培训学时进度落后", "study_hours_per_year", Subject.ORG,
          parameters=("study_hours_per_year", "study_pace_red_share", "study_hour_kinds", "study_hour_minutes"),
          description="支部有党员本年度学时低于按月进度（每满一个月计全年学时的 1/12）为黄灯，有党员低于进度的一半为红灯；"
                      "每个支部一条预警，列出落后的党员")
def _study_hours(rule, on, shared):
    """One finding per branch, naming its members behind the pace: the branch organises the study, and a million
    members behind in spring must not become a million rectification tasks. Each member sees their own hours."""
    from collections import defaultdict

    from dangjian.orglife.queries import study_gaps

    target = rulebook.value("study_hours_per_year", on)
    by_branch = defaultdict(list)
    for gap in study_gaps(on):
        by_branch[gap.org_id].append(gap)
    texts = {}  # Decimal → its text: most members share a handful of values (0.0 above all)
    for org_id, gaps in by_branch.items():
        red = [g.member_id for g in gaps if g.red]
        pace = gaps[0].pace
        hours = {}
        for g in gaps:
            text = texts.get(g.hours)
            if text is None:
                text = texts[g.hours] = str(g.hours)
            hours[str(g.member_id)] = text
        yield Hit(org_id, Level.RED if red else Level.YELLOW,
                  f"{len(gaps)} 名党员本年度学时落后于进度（按进度应达到 {pace} 学时，全年不少于 {target} 学时），"
                  f"其中 {len(red)} 名不足进度的一半，请组织集中学习或补学",
                  {"member_ids": [g.member_id for g in gaps], "hours": hours, "pace": str(pace), "behind_half": red})
# -- recruitment (发展党员): the time limits of RULES.md §1 ------------------------------------------------------------


@register("recruitment_overdue", "发展党员时限逾期或即将到期", "admission_approval_months", Subject.ORG,
          parameters=("application_talk_months", "activist_assessment_months", "meeting_after_prereview_months",
                      "admission_approval_months", "oath_after_approval_months", "conversion_approval_months",
                      "recruitment_due_soon_days"),
          description="谈话、半年考察、预审后提交支部大会、党委审批、入党宣誓、讨论转正、审批转正等时限：逾期为红灯，"
                      "即将到期为黄灯；党委审批超过 6 个月的记在上级党委")
def _recruitment_overdue(rule, on, shared):
    from dangjian.recruitment.actions import approving_org
    from dangjian.recruitment.models import Candidate
    from dangjian.recruitment.queries import COMMITTEE, OVERDUE, deadlines

    for d in deadlines(Candidate.objects.all(), on):
        org_id = d.candidate.org_id
        if d.responsible == COMMITTEE:  # the approval is late at the 党委, not at the branch
            org_id = getattr(approving_org(d.candidate), "pk", org_id)
        yield Hit(org_id, Level.RED if d.state == OVERDUE else Level.YELLOW, d.message,
                  {"candidate_id": d.candidate.pk, "deadline": d.code, "due_on": d.due_on.isoformat()},
                  d.candidate.member_id, detail_key=f"{d.candidate.pk}:{d.code}")
