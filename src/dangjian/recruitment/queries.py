"""Read side of recruitment: where each candidate stands, what is due next, and the time limits running.

Every time limit of RULES.md §1 that runs against an organisation is a `Deadline`: "due soon" within the reminder
days before it, "overdue" after it. The home page and the warning engine read the same list.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass

from django.db.models import Prefetch
from django.urls import reverse

from dangjian.accounts import roles
from dangjian.core import rulebook
from dangjian.members.periods import add_months

from .choices import Stage, StepKind
from .models import Candidate, Step, ThoughtReport
from .rules import History

K = StepKind
ACTIVE_STAGES = (Stage.APPLICANT, Stage.ACTIVIST, Stage.DEVELOPMENT_TARGET, Stage.PROBATIONARY)
SOON, OVERDUE = "soon", "overdue"
THOUGHT_REPORT_STAGES = (Stage.ACTIVIST, Stage.DEVELOPMENT_TARGET, Stage.PROBATIONARY)
BRANCH, COMMITTEE = "branch", "committee"


@dataclass
class Deadline:
    candidate: Candidate
    code: str
    title: str
    due_on: dt.date
    responsible: str  # BRANCH (the secretary) or COMMITTEE (the approving 党委)
    citation: str
    state: str = ""
    hard: bool = False  # past it the regulation is broken, not only late (approval beyond 6 months)

    @property
    def message(self) -> str:
        word = "已逾期" if self.state == OVERDUE else "即将到期"
        return f"{self.candidate.name}：{self.title}，期限 {self.due_on}，{word}（{self.citation}）"


def with_history(candidates):
    return candidates.select_related("org", "member").prefetch_related(
        Prefetch("steps", queryset=Step.objects.order_by("on", "id")),
        Prefetch("thought_reports", queryset=ThoughtReport.objects.defer("content", "summary", "comment")))


def history_of(candidate) -> History:
    return History(candidate, list(candidate.steps.all()))


def candidate_deadlines(candidate, history: History | None = None) -> list[Deadline]:
    """The time limits running for one candidate, whatever their state."""
    h = history or history_of(candidate)
    out: list[Deadline] = []
    cite = rulebook.citation

    def add(code, title, due_on, responsible, key, hard=False):
        out.append(Deadline(candidate, code, title, due_on, responsible, cite(key), hard=hard))

    if candidate.stage == Stage.APPLICANT and not h.has(K.APPLICATION_TALK):
        months = rulebook.value("application_talk_months", candidate.applied_on)
        add("application_talk", "收到入党申请书后派人谈话", add_months(candidate.applied_on, months), BRANCH,
            "application_talk_months")
    if candidate.stage == Stage.ACTIVIST and h.activist_on:
        months = rulebook.value("activist_assessment_months", h.activist_on)
        done = len(h.all(K.ACTIVIST_ASSESSMENT))
        add("activist_assessment", f"入党积极分子第 {done + 1} 次半年考察",
            add_months(h.activist_on, months * (done + 1)), BRANCH, "activist_assessment_months")
    pre = h.last(K.PRE_REVIEW, passed=True)
    if candidate.stage == Stage.DEVELOPMENT_TARGET and pre and not h.admission_meeting:
        months = rulebook.value("meeting_after_prereview_months", pre.on)
        if months:
            add("meeting_after_prereview", "通过预审后提交支部党员大会讨论", add_months(pre.on, months), BRANCH,
                "meeting_after_prereview_months")
    meeting = h.pending_admission_meeting()
    if meeting and candidate.stage == Stage.DEVELOPMENT_TARGET:
        soft, hard = rulebook.value("admission_approval_months", meeting.on)
        add("admission_approval", "上级党委审批预备党员（3 个月内）", add_months(meeting.on, soft), COMMITTEE,
            "admission_approval_months")
        add("admission_approval_limit", "上级党委审批预备党员（最长 6 个月）", add_months(meeting.on, hard), COMMITTEE,
            "admission_approval_months", hard=True)
    approval = h.admission_approval
    if candidate.stage == Stage.PROBATIONARY and approval and not h.has(K.OATH):
        months = rulebook.value("oath_after_approval_months", approval.on)
        if months:
            add("oath", "批准后组织入党宣誓", add_months(approval.on, months), BRANCH, "oath_after_approval_months")
    if candidate.stage in THOUGHT_REPORT_STAGES and (start := h.thought_reports_from()) is not None:
        last = max((r.submitted_on for r in candidate.thought_reports.all()), default=None)
        since = max(last, start) if last else start
        months = rulebook.value("thought_report_months", since)
        add("thought_report", f"递交思想汇报（每 {months} 个月至少一次）", add_months(since, months), BRANCH,
            "thought_report_months")
    if candidate.stage == Stage.PROBATIONARY:
        pending = h.pending_conversion_meeting()
        if pending:
            months = rulebook.value("conversion_approval_months", pending.on)
            add("conversion_approval", "上级党委审批转正", add_months(pending.on, months), COMMITTEE,
                "conversion_approval_months")
        elif (due := h.conversion_due()) is not None:
            latest = h.last(K.CONVERSION_MEETING)
            if latest is None or latest.on < due or not latest.passed:
                add("conversion_meeting", "预备期满讨论转正", due, BRANCH, "probation_start")
    return out


def deadlines(candidates, today: dt.date | None = None, *, include_later: bool = False) -> list[Deadline]:
    """Deadlines of `candidates` that are overdue or due within the reminder days (all, with `include_later`)."""
    today = today or dt.date.today()
    soon_days = rulebook.value("recruitment_due_soon_days", today)
    out = []
    for candidate in with_history(candidates.filter(stage__in=ACTIVE_STAGES)).order_by("org__path", "id"):
        for d in candidate_deadlines(candidate):
            if today > d.due_on:
                d.state = OVERDUE
            elif today >= d.due_on - dt.timedelta(days=soon_days):
                d.state = SOON
            if d.state or include_later:
                out.append(d)
    # Past the 6-month limit, the 3-month one says nothing new.
    late = {d.candidate.pk for d in out if d.hard and d.state == OVERDUE}
    return [d for d in out if not (d.code == "admission_approval" and d.candidate.pk in late)]


def next_step(candidate, history: History | None = None) -> str:
    """What the branch does next, in words (the pipeline board's last column)."""
    h = history or history_of(candidate)
    if candidate.stage in (Stage.CANCELLED, Stage.CLOSED, Stage.NOT_RECOGNISED):
        return ""
    if candidate.stage == Stage.DEVELOPMENT_TARGET and h.admission_refused():
        return "上级党委不批准：重新召开支部党员大会讨论（需要时重新预审），或终止发展"
    if candidate.stage == Stage.PROBATIONARY and h.conversion_refused():
        return "上级党委不批准转正决议：重新召开支部党员大会讨论转正"
    for kind in _ORDER:
        if kind in _SKIPPABLE or h.has(kind):
            continue
        if candidate.stage == Stage.FULL and kind != K.ARCHIVING:
            continue
        if candidate.transferred_in and _ORDER.index(kind) < _ORDER.index(K.OATH):
            continue  # admitted elsewhere
        if kind in (K.TARGET_CONSENT, K.PUBLIC_NOTICE) and (
                h.target_on or not rulebook.value("public_notice_working_days")):
            continue
        if kind == K.TARGET_FILING and h.target_on and rulebook.value("target_higher_action", h.target_on) != "filing":
            continue
        return StepKind(kind).label
    return ""


_ORDER = [K.APPLICATION_TALK, K.ACTIVIST_DETERMINATION, K.CONTACT_PERSONS, K.TARGET_CONSENT, K.PUBLIC_NOTICE,
          K.TARGET_DETERMINATION, K.TARGET_FILING, K.INTRODUCERS, K.POLITICAL_REVIEW, K.TRAINING,
          K.COMMITTEE_REVIEW, K.PRE_REVIEW, K.APPLICATION_FORM, K.ADMISSION_MEETING, K.COMMITTEE_TALK,
          K.ADMISSION_APPROVAL, K.OATH, K.CONVERSION_APPLICATION, K.CONVERSION_MEETING, K.CONVERSION_APPROVAL,
          K.ARCHIVING]
_SKIPPABLE = {K.ACTIVIST_FILING, K.ACTIVIST_ASSESSMENT, K.GENERAL_BRANCH_REVIEW, K.APPROVAL_FILING,
              K.GROUP_ASSIGNMENT, K.PROBATION_ASSESSMENT, K.CONVERSION_POSTPONEMENT, K.CLOSURE, K.NOT_RECOGNISED,
              K.FILE_MOVED}


def attention_items(user, today: dt.date | None = None) -> list:
    """Home-page items: the branch's own time limits for its secretary, the approvals for the 党委 above."""
    from dangjian.members.queries import AttentionItem

    items = []
    groups: Counter = Counter()
    names: dict = {}
    sources = []
    if user.has_perm_anywhere(roles.RECRUITMENT_MANAGE):
        sources.append((BRANCH, Candidate.objects.restrict(user, roles.RECRUITMENT_MANAGE)))
    if user.has_perm_anywhere(roles.RECRUITMENT_APPROVE):
        sources.append((COMMITTEE, Candidate.objects.restrict(user, roles.RECRUITMENT_APPROVE)))
    seen = set()
    for responsible, candidates in sources:
        for d in deadlines(candidates, today):
            key = (d.candidate.pk, d.code)
            if d.responsible != responsible or key in seen:
                continue
            seen.add(key)
            group = (d.state, d.title, d.citation)
            groups[group] += 1
            names.setdefault(group, []).append(d.candidate.name)
    url = reverse("recruitment:board")
    for (state, title, citation), count in sorted(groups.items(), key=lambda g: g[0][0] != OVERDUE):
        shown = "、".join(names[(state, title, citation)][:5]) + ("等" if count > 5 else "")
        word = "已逾期" if state == OVERDUE else "即将到期"
        items.append(AttentionItem(f"发展党员：{title}{word}", count, f"{shown}（{citation}）", url=url,
                                   level="red" if state == OVERDUE else "yellow"))
    return items
