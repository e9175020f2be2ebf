"""What the lifecycle asks of a secretary and of the higher 党委: members due for a 停止党籍 / 除名 proposal, proposals
waiting for a decision, mobile members whose certificate review is overdue or who have not been reached for months."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Max, Q

from dangjian.accounts import roles
from dangjian.core import rulebook

from .choices import MemberStatus
from .models import Absence, DisciplinaryAction, Member, MemberContact, MobileRecord, StatusChangeProposal
from .periods import add_months
from .queries import AttentionItem


@dataclass
class DueProposal:
    member: Member
    kind: str
    ground: str
    since: dt.date
    due_on: dt.date

    @property
    def kind_label(self):
        return StatusChangeProposal.Kind(self.kind).label

    @property
    def ground_label(self):
        return StatusChangeProposal.Ground(self.ground).label


ABSENCE_GROUNDS = {
    Absence.Kind.LOST_CONTACT: StatusChangeProposal.Ground.LOST_CONTACT,
    Absence.Kind.ABROAD_STUDY: StatusChangeProposal.Ground.ABROAD_STUDY,
    Absence.Kind.ABROAD_SETTLED: StatusChangeProposal.Ground.ABROAD_SETTLED,
}


def due_for_proposal(user, today: dt.date | None = None) -> list[DueProposal]:
    """Lost contact ≥ 6 months, abroad for study > 5 years or settled abroad → 停止党籍; 停止党籍 ≥ 2 years and still
    away → 除名 (自行脱党). Members with a proposal under way are left out."""
    return proposals_due(Member.objects.restrict(user, roles.MEMBER_CHANGE), today or dt.date.today(), limit=1000)


def proposals_due(members, today: dt.date, limit: int | None = None) -> list[DueProposal]:
    """`due_for_proposal` over a member queryset the caller chose (the warning engine passes every member);
    `limit` caps each of the two lists (a page shows the first ones)."""
    from .actions.status import proposal_due_on

    Kind, Ground = StatusChangeProposal.Kind, StatusChangeProposal.Ground
    members = members.exclude(status_proposals__state__in=StatusChangeProposal.OPEN)
    rows: list[DueProposal] = []
    absences = (Absence.objects.filter(ended_on__isnull=True, member__in=members.filter(status=MemberStatus.NORMAL))
                .select_related("member", "member__org").order_by("since")[:limit])
    for absence in absences:
        ground = ABSENCE_GROUNDS[absence.kind]
        due = proposal_due_on(absence.member, Kind.SUSPEND, ground)
        if due and due <= today and all(r.member.pk != absence.member_id for r in rows):
            rows.append(DueProposal(absence.member, Kind.SUSPEND, ground, absence.since, due))
    suspended = (members.filter(status=MemberStatus.SUSPENDED, absences__ended_on__isnull=True)
                 .select_related("org").distinct().order_by("status_changed_on")[:limit])
    for member in suspended:
        due = proposal_due_on(member, Kind.REMOVE, Ground.SELF_WITHDRAWAL)
        if due and due <= today:
            rows.append(DueProposal(member, Kind.REMOVE, Ground.SELF_WITHDRAWAL, member.status_changed_on, due))
    return rows


def awaiting_decision(user) -> list[StatusChangeProposal]:
    """Proposals the user's 党委 must approve or send back."""
    from .actions.status import approving_committees

    if not user.has_perm_anywhere(roles.STATUS_APPROVE):
        return []
    proposals = (StatusChangeProposal.objects.restrict(user, roles.MEMBER_VIEW)
                 .filter(state=StatusChangeProposal.State.PROPOSED).select_related("member", "member__org")[:500])
    decided_by_org: dict[int, bool] = {}
    found = []
    for proposal in proposals:
        org = proposal.member.org
        if org.pk not in decided_by_org:
            decided_by_org[org.pk] = approving_committees(user, org).exists()
        if decided_by_org[org.pk]:
            found.append(proposal)
    return found


def open_mobile_records(queryset):
    return queryset.filter(state__in=[MobileRecord.State.OUT, MobileRecord.State.IN])


def home_mobile_records(user, perm=roles.MEMBER_VIEW):
    """Mobile records of the members of the user's organisations (流出)."""
    from dangjian.accounts.scope import restrict

    return restrict(MobileRecord.objects.all(), user, perm, org_field="home_org",
                    self_q=lambda u: Q(member__user=u))


def inflow_mobile_records(user, perm=roles.MEMBER_VIEW):
    """Mobile members registered into the user's organisations (流入)."""
    from dangjian.accounts.scope import restrict

    return restrict(MobileRecord.objects.filter(inflow_org__isnull=False), user, perm, org_field="inflow_org",
                    self_q=lambda u: Q(pk__in=[]))


def review_overdue(records, today: dt.date) -> list[MobileRecord]:
    """Open records whose 活动证 was not reviewed within a year of its issue or last review."""
    return [r for r in records if r.review_due_on is not None and r.review_due_on < today]


def contact_due(records, today: dt.date) -> list[tuple[MobileRecord, dt.date]]:
    """Open records whose member the home organisation has not reached for 6 months (since leaving, or the last
    successful contact). Returns (record, date of the last contact or of leaving)."""
    records = list(records)
    last = dict(MemberContact.objects.filter(member__in=[r.member_id for r in records], reached=True)
                .values("member").annotate(last=Max("on")).values_list("member", "last"))
    found = []
    for record in records:
        since = max(last.get(record.member_id) or record.out_since, record.out_since)
        months = rulebook.value("mobile_contact_interval_months", since)
        if add_months(since, months) <= today:
            found.append((record, since))
    return found


def lifecycle_items(user, today: dt.date | None = None) -> list[AttentionItem]:
    from django.urls import reverse

    today = today or dt.date.today()
    items = []
    url = reverse("members:lifecycle")
    due = due_for_proposal(user, today)
    if due:
        items.append(AttentionItem(
            "应提出党籍处置的党员", len(due),
            f"失联满 {rulebook.value('lost_contact_suspend_months', today)} 个月、出国（境）学习研究超过 "
            f"{rulebook.value('abroad_study_suspend_years', today)} 年或停止党籍满 "
            f"{rulebook.value('suspended_removal_years', today)} 年仍无法联系（{rulebook.citation('lost_contact_suspend_months')}）",
            url=url))
    waiting = awaiting_decision(user)
    if waiting:
        items.append(AttentionItem("待上级党委审批的党籍处置", len(waiting), "支部已提出，请审批或退回", url=url,
                                   level="red"))
    records = open_mobile_records(home_mobile_records(user, roles.MEMBER_CHANGE)).select_related("member")[:1000]
    overdue = review_overdue(records, today)
    mobile_url = reverse("members:mobile")
    if overdue:
        items.append(AttentionItem("流动党员活动证逾期未年审", len(overdue), "活动证每年年审一次，请及时办理",
                                   url=mobile_url))
    silent = contact_due(records, today)
    if silent:
        items.append(AttentionItem(
            f"超过 {rulebook.value('mobile_contact_interval_months', today)} 个月未联系的流动党员", len(silent),
            f"流出地党组织应与流动党员保持经常联系（{rulebook.citation('mobile_contact_interval_months')}）",
            url=mobile_url))
    return items


def discipline_rows(user):
    return DisciplinaryAction.objects.restrict(user, roles.DISCIPLINE_VIEW).select_related("member", "member__org")
