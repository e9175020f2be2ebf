"""The regulation checks of recruitment (发展党员, RULES.md §1), one function per step.

Each check reads the candidate's recorded steps and the data of the new step and answers with `errors` (field →
Chinese reason citing the article: the step is refused) and `warnings` (a reason the secretary must acknowledge
before the step is recorded). Every number comes from the rulebook, for the version in force on the step's date.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from dangjian.core import rulebook
from dangjian.members import history as member_history
from dangjian.members.choices import MemberStatus
from dangjian.members.lifecycle_rules import introducer_sanction_refusal
from dangjian.members.periods import add_months, add_years

from . import workdays
from .choices import ENDED_STAGES, REPEATABLE, Outcome, PersonRole, Stage, StepKind

K = StepKind


def cite(name: str) -> str:
    return f"（{rulebook.citation(name)}）"


def fmt(day: dt.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


@dataclass
class Verdict:
    errors: dict = field(default_factory=dict)
    warnings: list = field(default_factory=list)
    version: str = ""
    passed: bool | None = None  # a branch meeting's resolution, from the vote counts

    def refuse(self, name: str, message: str) -> None:
        self.errors.setdefault(name, message)

    def warn(self, message: str) -> None:
        self.warnings.append(message)


class History:
    """The steps already recorded for one candidate, oldest first."""

    def __init__(self, candidate, steps):
        self.candidate = candidate
        self.steps = sorted(steps, key=lambda s: (s.on, s.pk or 0))

    def all(self, kind):
        return [s for s in self.steps if s.kind == kind]

    def last(self, kind, passed: bool | None = None):
        found = [s for s in self.all(kind) if passed is None or s.passed is passed]
        return found[-1] if found else None

    def has(self, kind) -> bool:
        return bool(self.all(kind))

    # -- dates the regulations count from ------------------------------------------------------------------------

    @property
    def activist_on(self):
        step = self.last(K.ACTIVIST_DETERMINATION)
        return step.on if step else None

    @property
    def target_on(self):
        step = self.last(K.TARGET_DETERMINATION)
        return step.on if step else None

    @property
    def admission_meeting(self):
        return self.last(K.ADMISSION_MEETING, passed=True)

    @property
    def admission_approval(self):
        return self.last(K.ADMISSION_APPROVAL, passed=True)

    def thought_reports_from(self) -> dt.date | None:
        """Thought reports are due from the activist date (a 预备党员 transferred in: from their admission)."""
        return self.activist_on or self.probation_start()

    def probation_start(self) -> dt.date | None:
        """细则 第三十一条: probation counts from the branch meeting that accepted the person."""
        meeting = self.admission_meeting
        if meeting:
            return meeting.on
        member = self.candidate.member
        return member.joined_on if member else None

    def approved_extensions(self):
        """Extensions decided by a conversion meeting and approved by the 党委."""
        out = []
        for approval in self.all(K.CONVERSION_APPROVAL):
            meeting = self.meeting_for(approval)
            if approval.passed and meeting and meeting.outcome == Outcome.EXTEND:
                out.append(meeting)
        return out

    def meeting_for(self, approval):
        before = [m for m in self.all(K.CONVERSION_MEETING) if m.passed and (m.on, m.pk or 0) <= (approval.on, approval.pk or 0)]
        return before[-1] if before else None

    def probation_end(self) -> dt.date | None:
        start = self.probation_start()
        if start is None:
            return None
        end = add_years(start, rulebook.value("probation_years", start))
        for meeting in self.approved_extensions():
            end = add_months(end, meeting.months)
        return end

    def conversion_due(self) -> dt.date | None:
        """The day the branch must discuss conversion: the end of probation, later by a postponement."""
        end = self.probation_end()
        if end is None:
            return None
        postponed = self.last(K.CONVERSION_POSTPONEMENT)
        return add_months(end, postponed.months) if postponed else end

    def _decided(self, meeting, approval_kind):
        return [a for a in self.all(approval_kind) if (a.on, a.pk or 0) >= (meeting.on, meeting.pk or 0)]

    def pending_admission_meeting(self):
        """The latest branch resolution to admit that the 党委 has not decided on yet."""
        meeting = self.admission_meeting
        if meeting is None or self._decided(meeting, K.ADMISSION_APPROVAL):
            return None
        return meeting

    def admission_refused(self):
        """The 党委's 不批准 of the latest resolution to admit, when that is where the file stands: the branch may
        discuss again at a new 支部党员大会 (after a new 预审 where the time limit requires it) or end the file."""
        meeting = self.admission_meeting
        if meeting is None:
            return None
        decided = self._decided(meeting, K.ADMISSION_APPROVAL)
        return decided[-1] if decided and not decided[-1].passed else None

    def conversion_refused(self):
        """The 党委's 不批准 of the latest conversion resolution: the branch discusses the conversion again."""
        meeting = self.last(K.CONVERSION_MEETING, passed=True)
        if meeting is None:
            return None
        decided = self._decided(meeting, K.CONVERSION_APPROVAL)
        return decided[-1] if decided and not decided[-1].passed else None

    def pending_conversion_meeting(self):
        """The latest passed conversion meeting not yet decided by the 党委."""
        meeting = self.last(K.CONVERSION_MEETING, passed=True)
        if meeting is None:
            return None
        decided = [a for a in self.all(K.CONVERSION_APPROVAL) if (a.on, a.pk or 0) >= (meeting.on, meeting.pk or 0)]
        return None if decided else meeting


# Each step needs these before it (kind, must have passed); its date may not precede theirs.
PREREQUISITES = {
    K.APPLICATION_TALK: [(K.APPLICATION, None)],
    K.ACTIVIST_DETERMINATION: [(K.APPLICATION_TALK, None)],
    K.ACTIVIST_FILING: [(K.ACTIVIST_DETERMINATION, None)],
    K.CONTACT_PERSONS: [(K.ACTIVIST_DETERMINATION, None)],
    K.ACTIVIST_ASSESSMENT: [(K.ACTIVIST_DETERMINATION, None)],
    K.TARGET_CONSENT: [(K.CONTACT_PERSONS, None)],
    K.PUBLIC_NOTICE: [(K.TARGET_CONSENT, None)],
    K.TARGET_DETERMINATION: [(K.CONTACT_PERSONS, None)],
    K.TARGET_FILING: [(K.TARGET_DETERMINATION, None)],
    K.INTRODUCERS: [(K.TARGET_DETERMINATION, None)],
    K.POLITICAL_REVIEW: [(K.TARGET_DETERMINATION, None)],
    K.TRAINING: [(K.TARGET_DETERMINATION, None)],
    K.COMMITTEE_REVIEW: [(K.INTRODUCERS, None), (K.POLITICAL_REVIEW, True), (K.TRAINING, None)],
    K.PRE_REVIEW: [(K.COMMITTEE_REVIEW, None)],
    K.APPLICATION_FORM: [(K.PRE_REVIEW, True)],
    K.ADMISSION_MEETING: [(K.APPLICATION_FORM, None)],
    K.GENERAL_BRANCH_REVIEW: [(K.ADMISSION_MEETING, True)],
    K.COMMITTEE_TALK: [(K.ADMISSION_MEETING, True)],
    K.ADMISSION_APPROVAL: [(K.COMMITTEE_TALK, None)],
    K.APPROVAL_FILING: [(K.ADMISSION_APPROVAL, True)],
    K.GROUP_ASSIGNMENT: [(K.ADMISSION_APPROVAL, True)],
    K.OATH: [(K.ADMISSION_APPROVAL, True)],
    K.PROBATION_ASSESSMENT: [(K.ADMISSION_APPROVAL, True)],
    K.CONVERSION_POSTPONEMENT: [],
    K.CONVERSION_APPLICATION: [],
    K.CONVERSION_MEETING: [],
    K.CONVERSION_APPROVAL: [(K.CONVERSION_MEETING, True)],
    K.ARCHIVING: [(K.CONVERSION_APPROVAL, True)],
    K.CLOSURE: [],
    K.NOT_RECOGNISED: [],
}
# Steps of the probation, open to a 预备党员 admitted here or transferred in.
PROBATION_STEPS = {K.CONVERSION_POSTPONEMENT, K.CONVERSION_APPLICATION, K.CONVERSION_MEETING, K.CONVERSION_APPROVAL,
                   K.PROBATION_ASSESSMENT, K.OATH, K.GROUP_ASSIGNMENT, K.APPROVAL_FILING, K.ARCHIVING}


def _label(kind) -> str:
    return StepKind(kind).label


def check_order(history: History, kind, on: dt.date | None, v: Verdict, today: dt.date) -> None:
    """A real date, not in the future, never before the steps it follows; each step once unless repeatable."""
    candidate = history.candidate
    if on is None:
        v.refuse("on", "请填写日期")
        return
    if on > today:
        v.refuse("on", "日期不能晚于今天（只能登记已经发生的环节）")
        return
    if on < candidate.applied_on:
        v.refuse("on", f"日期不能早于递交入党申请书的日期（{fmt(candidate.applied_on)}）")
    if candidate.stage in ENDED_STAGES and kind != K.ARCHIVING and not (
            kind == K.NOT_RECOGNISED and candidate.stage == Stage.FULL):
        v.refuse("kind", f"该同志已是“{Stage(candidate.stage).label}”，发展程序已经结束")
        return
    if kind == K.CLOSURE and candidate.stage not in (Stage.APPLICANT, Stage.ACTIVIST, Stage.DEVELOPMENT_TARGET):
        v.refuse("kind", "已被批准为预备党员的，不能终止发展：预备期满讨论转正（可延长预备期或取消预备党员资格），"
                         "发展违规的由党委不予承认")
        return
    if kind == K.NOT_RECOGNISED and candidate.member_id is None:
        v.refuse("kind", f"不予承认适用于已被批准入党的同志{cite('not_recognised')}；尚未批准的，可终止发展")
        return
    if kind not in REPEATABLE and kind not in (K.PRE_REVIEW, K.POLITICAL_REVIEW) and history.has(kind):
        v.refuse("kind", f"“{_label(kind)}”已经登记过")
        return
    if kind in PROBATION_STEPS and candidate.stage != Stage.PROBATIONARY and kind != K.ARCHIVING:
        v.refuse("kind", "该环节在预备期内办理，该同志尚未被批准为预备党员")
        return
    for need, passed in PREREQUISITES.get(kind, []):
        if kind in PROBATION_STEPS and candidate.transferred_in and need == K.ADMISSION_APPROVAL:
            continue
        prior = history.last(need, passed=passed)
        if prior is None:
            word = "（且结论为通过）" if passed else ""
            v.refuse("kind", f"请先登记“{_label(need)}”{word}，再登记“{_label(kind)}”")
            return
        if on < prior.on:
            v.refuse("on", f"日期不能早于“{_label(need)}”的日期（{fmt(prior.on)}）")


def check_age(birth_date: dt.date, applied_on: dt.date) -> str | None:
    """党章 第一条; 细则 第五条: at least 18 years old when applying (29 February + 18 years = 28 February)."""
    age = rulebook.value("min_age_join", applied_on)
    if applied_on < add_years(birth_date, age):
        return f"递交入党申请书时须年满 {age} 周岁{cite('min_age_join')}，该同志 {fmt(add_years(birth_date, age))} 才年满 {age} 周岁"
    return None


def full_member_refusal(member, on: dt.date) -> str | None:
    """Whether the member was a full member with a normal 党籍 on `on` (a backfilled step is judged by that day)."""
    status = member_history.status_on(member, on)
    if status is not None and status != MemberStatus.NORMAL:
        return f"{member.name}在{fmt(on)}的党籍状态为“{MemberStatus(status).label}”"
    if status is None and member.status != MemberStatus.NORMAL:
        return f"{member.name}的党籍状态为“{member.get_status_display()}”"
    if member.converted_on is None or member.converted_on > on or not member_history.full_on(member, on):
        return f"{member.name}在{fmt(on)}不是正式党员"
    return None


def voting_roll(org, on: dt.date) -> tuple[int, int]:
    """细则 第十九、二十条: the voting members due to attend the branch meeting held on `on`, and the members of the
    branch that day not counted (预备党员, 留党察看). The roll is the branch's on the meeting date, not today's."""
    roll = member_history.roll_on(org, on)
    due = len(member_history.voting_members_on(org, on, roll))
    return due, len(roll) - due


def vote_counts(v: Verdict, data: dict, due: int, on: dt.date) -> bool | None:
    """细则 第十九、二十条: quorum (present voting members > ½ of those due) and pass (yes > ½ of those due).
    Returns whether the resolution passed, or None when the counts are refused."""
    present, yes = data.get("present_count"), data.get("yes_count")
    no, abstain = data.get("no_count") or 0, data.get("abstain_count") or 0
    if present is None:
        v.refuse("present_count", "请填写实到会有表决权的党员人数")
    if yes is None:
        v.refuse("yes_count", "请填写赞成票数（无记名投票，逐个表决）")
    if present is None or yes is None:
        return None
    if due == 0:
        v.refuse("present_count", "该支部没有有表决权的正式党员，不能召开支部党员大会表决")
        return None
    if present > due:
        v.refuse("present_count", f"实到会人数不能多于应到会有表决权的党员人数（{due} 人，预备党员和留党察看的党员不计入）")
        return None
    if yes + no + abstain > due:
        v.refuse("yes_count", f"赞成、反对、弃权票合计不能多于应到会有表决权的党员人数（{due} 人）")
        return None
    qn, qd = rulebook.value("branch_meeting_quorum", on)
    if present * qd <= due * qn:
        v.refuse("present_count", f"到会有表决权的党员 {present} 人，未超过应到会 {due} 人的半数，不足法定人数，"
                                  f"会议不能作出决议{cite('branch_meeting_quorum')}")
        return None
    pn, pd = rulebook.value("branch_meeting_pass", on)
    return yes * pd > due * pn


def leaving_refusal(candidate, on: dt.date) -> str | None:
    months = rulebook.value("leaving_no_admit_months", on)
    leave = candidate.expected_leave_on
    if leave and on <= leave < add_months(on, months):
        return (f"该同志预计 {fmt(leave)} 离开本单位，{months} 个月内将离开工作、学习单位的，"
                f"一般不办理接收手续{cite('leaving_no_admit_months')}")
    return None


def approver_refusal(org, on: dt.date, kind=None) -> str | None:
    """细则 第二十二条: only a 党委 approves (a 党总支 reviews); a 基层党委 under a 乡镇（街道）党委 reviews too, unless
    the county committee authorised it (`township_*` codes, set by the deployment)."""
    allowed = rulebook.value("admission_approver_org_types", on)
    if org is None or org.org_type not in allowed:
        label = org.get_org_type_display() if org is not None else "该组织"
        return f"{label}不能审批，只有党委有审批权，党总支只能审议{cite('admission_approver_org_types')}"
    if kind in TOWNSHIP_CHECKED and (township := township_above(org, on)) is not None:
        return (f"{org.name}是{township.name}所属的基层党委，只能审议，不能审批预备党员（未经县级党委授权），"
                f"应报{township.name}审批{cite('township_committee_codes')}")
    return None


# The acts of the 党委 with the power to approve admission: the 预审 and the approvals (细则 第十八、二十二条).
TOWNSHIP_CHECKED = {K.PRE_REVIEW, K.ADMISSION_APPROVAL, K.CONVERSION_APPROVAL, K.NOT_RECOGNISED}


def township_above(org, on: dt.date):
    """The 乡镇（街道）党委 above `org` when `org` is a 基层党委 under it without the county committee's
    authorisation to approve; None when `org` may approve."""
    townships = set(rulebook.value("township_committee_codes", on) or [])
    if not townships or org.code in townships or org.code in set(
            rulebook.value("township_authorised_approver_codes", on) or []):
        return None
    from dangjian.orgs.models import Organization

    steplen = Organization.steplen
    prefixes = [org.path[:i] for i in range(steplen, len(org.path), steplen)]
    return Organization.objects.filter(path__in=prefixes, code__in=townships).order_by("-depth").first()


def assessments_missing(history: History, until: dt.date) -> int:
    """细则 第十一条: one assessment every half year as an activist; how many of those due by `until` are missing."""
    start = history.activist_on
    if start is None:
        return 0
    months = rulebook.value("activist_assessment_months", start)
    due, k = 0, 1
    while add_months(start, months * k) <= until:
        due, k = due + 1, k + 1
    return max(0, due - len(history.all(K.ACTIVIST_ASSESSMENT)))


def check_step(history: History, kind, data: dict, people: dict, *, today: dt.date | None = None) -> Verdict:
    """All the rules of recording `kind` on `data["on"]`. `people` maps a PersonRole to a list of members."""
    today = today or dt.date.today()
    v = Verdict()
    on = data.get("on")
    if on and on <= today and kind in (K.TARGET_CONSENT, K.PUBLIC_NOTICE) and not rulebook.value("public_notice_working_days", on):
        # 细则2014: no consent and no 公示; say so before asking for the steps they would follow.
        v.refuse("kind", f"{fmt(on)}适用细则2014：确定发展对象后报上级党委备案即可，未规定上级党委同意和公示，"
                         f"请登记“{_label(K.TARGET_FILING)}”")
        return v
    check_order(history, kind, on, v, today)
    if v.errors:
        return v
    candidate = history.candidate
    value = lambda name: rulebook.value(name, on)  # noqa: E731
    version = rulebook.version_at(on).name

    if kind == K.APPLICATION_TALK:
        if not people.get(PersonRole.TALKER) and not (data.get("opinion") or "").strip():
            v.refuse("talkers", "请填写谈话人")
        months = value("application_talk_months")
        limit = add_months(candidate.applied_on, months)
        if on > limit:
            v.warn(f"党组织应当在收到入党申请书后 {months} 个月内（{fmt(limit)} 前）派人谈话{cite('application_talk_months')}，"
                   f"本次谈话已超过时限")
    elif kind == K.ACTIVIST_DETERMINATION:
        if not data.get("meeting_type"):
            v.refuse("meeting_type", "请选择确定入党积极分子的会议（支部委员会会议，未设支委会的为支部党员大会）")
    elif kind == K.CONTACT_PERSONS:
        contacts = people.get(PersonRole.CONTACT, [])
        low, high = value("contact_persons_range")
        if not low <= len(contacts) <= high:
            v.refuse("contacts", f"培养联系人应为 {low}～{high} 名正式党员{cite('contact_persons_range')}")
        for member in contacts:
            if refusal := full_member_refusal(member, on):
                v.refuse("contacts", f"{refusal}，培养联系人应为正式党员{cite('contact_persons_range')}")
    elif kind in (K.ACTIVIST_ASSESSMENT, K.PROBATION_ASSESSMENT):
        if not (data.get("opinion") or "").strip():
            v.refuse("opinion", "请填写考察意见")
    elif kind == K.PUBLIC_NOTICE:
        _check_notice(v, data, on)
    elif kind == K.TARGET_DETERMINATION:
        _check_target(v, history, on)
    elif kind == K.TARGET_FILING:
        target_on = history.target_on
        if rulebook.value("target_higher_action", target_on) != "filing":
            v.refuse("kind", f"发展对象于 {fmt(target_on)} 确定，适用细则2026，须事先报上级党委同意"
                             f"{cite('target_higher_action')}，无需另行备案")
    elif kind == K.INTRODUCERS:
        _check_introducers(v, people.get(PersonRole.INTRODUCER, []), on)
    elif kind == K.POLITICAL_REVIEW:
        if data.get("passed") is None:
            v.refuse("passed", "请选择政治审查结论")
        if not (data.get("opinion") or "").strip():
            v.refuse("opinion", f"政治审查应当形成结论性材料{cite('political_review')}，请填写审查结论")
    elif kind == K.TRAINING:
        days, hours = data.get("training_days"), data.get("training_hours")
        min_days, min_hours = value("training_min_days"), value("training_min_hours")
        if not ((days is not None and days >= min_days) or (hours is not None and hours >= min_hours)):
            v.refuse("training_days", f"集中培训时间一般不少于 {min_days} 天或不少于 {min_hours} 个学时{cite('training_min_days')}")
    elif kind == K.COMMITTEE_REVIEW:
        review = history.last(K.POLITICAL_REVIEW)
        if review and not review.passed:
            v.refuse("kind", f"政治审查不合格的，不能发展入党{cite('political_review')}")
    elif kind == K.PRE_REVIEW:
        if data.get("passed") is None:
            v.refuse("passed", "请选择预审结果")
        review = history.last(K.POLITICAL_REVIEW)
        if review is None or not review.passed:
            v.refuse("kind", f"未经政治审查或政治审查不合格的，不能预审{cite('political_review')}")
        if data.get("passed") and (refusal := leaving_refusal(candidate, on)):
            v.refuse("kind", refusal)
    elif kind == K.APPLICATION_FORM:
        pass
    elif kind == K.ADMISSION_MEETING:
        if history.pending_admission_meeting() is not None:
            v.refuse("kind", "支部党员大会已经通过接收该同志为预备党员，尚待上级党委审批")
        elif history.admission_meeting is not None and history.admission_refused() is None:
            v.refuse("kind", "支部党员大会已经通过接收该同志为预备党员")
        pre = history.last(K.PRE_REVIEW, passed=True)
        months = rulebook.value("meeting_after_prereview_months", pre.on)
        if months and on > add_months(pre.on, months):
            v.refuse("on", f"通过预审后应在 {months} 个月内（{fmt(add_months(pre.on, months))} 前）提交支部党员大会讨论"
                           f"{cite('meeting_after_prereview_months')}，已超过时限，请重新报上级党委预审")
        if refusal := leaving_refusal(candidate, on):
            v.refuse("kind", refusal)
    elif kind == K.COMMITTEE_TALK:
        if not people.get(PersonRole.TALKER):
            v.refuse("talkers", f"请填写党委派出谈话的党委委员或组织员{cite('committee_talk')}")
    elif kind == K.ADMISSION_APPROVAL:
        meeting = history.pending_admission_meeting()
        soft, hard = value("admission_approval_months")
        if meeting is None:
            v.refuse("kind", "没有待审批的支部党员大会决议（上级党委不批准的，支部可重新召开支部党员大会讨论，或终止发展）")
        elif on < meeting.on:
            v.refuse("on", f"日期不能早于支部党员大会的日期（{fmt(meeting.on)}）")
        elif on > add_months(meeting.on, hard):
            v.refuse("on", f"上级党委审批预备党员最长不得超过 {hard} 个月（支部大会于 {fmt(meeting.on)} 通过，应于 "
                           f"{fmt(add_months(meeting.on, hard))} 前审批）{cite('admission_approval_months')}")
        elif on > add_months(meeting.on, soft):
            v.warn(f"上级党委应当在 {soft} 个月内审批（{fmt(add_months(meeting.on, soft))} 前）"
                   f"{cite('admission_approval_months')}，本次审批已超过 {soft} 个月，属特殊情况延长审批时间")
        if data.get("passed") is None:
            v.refuse("passed", "请选择审批结果")
    elif kind == K.OATH:
        approval = history.admission_approval
        months = value("oath_after_approval_months")
        if approval and months and on > add_months(approval.on, months):
            v.warn(f"入党宣誓一般在党委审批后 {months} 个月内进行（{fmt(add_months(approval.on, months))} 前）"
                   f"{cite('oath_after_approval_months')}")
    elif kind == K.CONVERSION_POSTPONEMENT:
        most = value("transferred_conversion_delay_months")
        if not candidate.transferred_in:
            v.refuse("kind", f"只有转入的预备党员可以推迟讨论转正{cite('transferred_conversion_delay_months')}")
        elif not data.get("months") or not 1 <= data["months"] <= most:
            v.refuse("months", f"转入的预备党员推迟讨论转正不超过 {most} 个月{cite('transferred_conversion_delay_months')}")
    elif kind == K.CONVERSION_MEETING:
        _check_conversion_meeting(v, history, data, on)
    elif kind == K.CONVERSION_APPROVAL:
        meeting = history.pending_conversion_meeting()
        if meeting is None:
            v.refuse("kind", "没有待审批的转正讨论结果")
        else:
            months = value("conversion_approval_months")
            if on > add_months(meeting.on, months):
                v.warn(f"上级党委应当在 {months} 个月内审批转正（{fmt(add_months(meeting.on, months))} 前）"
                       f"{cite('conversion_approval_months')}")
        if data.get("passed") is None:
            v.refuse("passed", "请选择审批结果")
    elif kind == K.ARCHIVING:
        if candidate.stage != Stage.FULL:
            v.refuse("kind", "转为正式党员后，才将入党材料归档")
    elif kind == K.CLOSURE:
        if not (data.get("opinion") or "").strip():
            v.refuse("opinion", "请填写终止发展的原因（如上级党委不批准、本人撤回申请、不再具备条件）")
    elif kind == K.NOT_RECOGNISED:
        if not (data.get("opinion") or "").strip():
            v.refuse("opinion", f"请填写不予承认的原因（违反规定发展、不符合党员条件的情形）{cite('not_recognised')}")
    if kind in (K.ADMISSION_MEETING, K.CONVERSION_MEETING):
        v.passed = vote_counts(v, data, data.get("due_count") or 0, on)
    if kind in (K.ADMISSION_APPROVAL, K.CONVERSION_APPROVAL, K.PRE_REVIEW, K.TARGET_CONSENT, K.NOT_RECOGNISED):
        if refusal := approver_refusal(data.get("org"), on, kind):
            v.refuse("org", refusal)
    v.version = version
    return v


def _check_notice(v: Verdict, data: dict, on: dt.date) -> None:
    needed = rulebook.value("public_notice_working_days", on)
    ends = data.get("ends_on")
    if ends is None or ends < on:
        v.refuse("ends_on", "请填写公示截止日期（不早于开始日期）")
        return
    count = workdays.working_days_between(on, ends)
    if count < needed:
        v.refuse("ends_on", f"公示期不少于 {needed} 个工作日{cite('public_notice_working_days')}，"
                            f"{fmt(on)}至{fmt(ends)}只有 {count} 个工作日（节假日不计），"
                            f"应至少公示至 {fmt(workdays.add_working_days(on, needed))}")
    if data.get("passed") is None:
        v.refuse("passed", "请选择公示结果（有无影响发展的问题）")


def _check_target(v: Verdict, history: History, on: dt.date) -> None:
    activist_on = history.activist_on
    years = rulebook.value("activist_min_years", on)
    if on < add_years(activist_on, years):
        v.refuse("on", f"入党积极分子经过 {years} 年以上培养教育和考察，方可列为发展对象{cite('activist_min_years')}："
                       f"该同志 {fmt(activist_on)} 确定为入党积极分子，{fmt(add_years(activist_on, years))} 起方可确定")
    if rulebook.value("target_higher_action", on) == "consent":
        consent = history.last(K.TARGET_CONSENT)
        if consent is None:
            v.refuse("kind", f"{fmt(on)}适用细则2026：确定发展对象须经上级党委同意{cite('target_higher_action')}，"
                             f"请先登记“{_label(K.TARGET_CONSENT)}”")
            return
        notice = history.last(K.PUBLIC_NOTICE)
        needed = rulebook.value("public_notice_working_days", on)
        if notice is None or notice.ends_on is None:
            v.refuse("kind", f"上级党委同意后应进行不少于 {needed} 个工作日的公示，公示期满方可列为发展对象"
                             f"{cite('public_notice_working_days')}，请先登记公示")
        elif not notice.passed:
            v.refuse("kind", "公示中反映的问题影响发展，不能列为发展对象")
        elif on <= notice.ends_on:
            v.refuse("on", f"公示至 {fmt(notice.ends_on)} 截止，公示期满后方可列为发展对象{cite('public_notice_working_days')}")
    missing = assessments_missing(history, on)
    if missing:
        v.warn(f"入党积极分子应每半年考察一次{cite('activist_assessment_months')}，尚缺 {missing} 次考察记录")


def _check_introducers(v: Verdict, introducers: list, on: dt.date) -> None:
    count = rulebook.value("introducers_count", on)
    if len(introducers) != count:
        v.refuse("introducers", f"入党介绍人应为 {count} 名正式党员{cite('introducers_count')}")
    warn_others = rulebook.value("introducer_sanction_warning", on)
    for member in introducers:
        if refusal := full_member_refusal(member, on):
            v.refuse("introducers", f"{refusal}，入党介绍人应为正式党员{cite('introducers_count')}")
            continue
        found = introducer_sanction_refusal(member, on)
        if found and found[0] == "block":
            v.refuse("introducers", f"{member.name}{found[1]}")
        elif found and warn_others:
            v.warn(f"{member.name}{found[1]}")


def _check_conversion_meeting(v: Verdict, history: History, data: dict, on: dt.date) -> None:
    end = history.probation_end()
    if end is None or on < end:
        v.refuse("on", f"预备期于 {fmt(end)} 期满，期满后方可讨论转正{cite('probation_start')}" if end
                 else "没有预备期起算日期")
        return
    if history.pending_conversion_meeting() is not None:
        v.refuse("kind", "上一次转正讨论结果尚待上级党委审批")
    outcome = data.get("outcome")
    if outcome not in Outcome.values:
        v.refuse("outcome", "请选择讨论结果（按期转正、延长预备期或取消预备党员资格）")
    elif outcome == Outcome.CONVERT and not history.has(K.CONVERSION_APPLICATION):
        v.refuse("kind", f"请先登记“{_label(K.CONVERSION_APPLICATION)}”")
    elif outcome == Outcome.EXTEND:
        low, high = rulebook.value("probation_extension_months", on)
        if history.approved_extensions():
            v.refuse("outcome", f"预备期只能延长一次{cite('probation_extension_months')}")
        elif not data.get("months") or not low <= data["months"] <= high:
            v.refuse("months", f"延长预备期不能少于 {low} 个月，最长不超过 {high} 个月{cite('probation_extension_months')}")
