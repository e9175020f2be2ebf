"""What needs a secretary's attention, computed from the records in their scope."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, Q

from dangjian.accounts import roles
from dangjian.core import rulebook
from dangjian.orgs.choices import BRANCH_TYPES

from .choices import Category, MemberStatus
from .models import Member
from .rules import add_years


@dataclass
class AttentionItem:
    title: str
    count: int
    detail: str
    url_query: str = ""
    orgs: list | None = None
    url: str = ""  # a page of another app (the member list is reached through url_query)
    level: str = ""  # "red" for the items the regulations treat as most urgent


def attention_items(user, today: dt.date | None = None) -> list[AttentionItem]:
    today = today or dt.date.today()
    active = Member.objects.restrict(user, roles.MEMBER_VIEW).filter(status=MemberStatus.NORMAL)
    items: list[AttentionItem] = []
    years = rulebook.value("probation_years", today)
    flags = active.aggregate(
        lost=Count("id", filter=Q(lost_contact=True)),
        mobile=Count("id", filter=Q(is_mobile=True)),
        overdue=Count("id", filter=Q(category=Category.PROBATIONARY, joined_on__lte=add_years(today, -years))),
    )
    if flags["lost"]:
        items.append(AttentionItem("失联党员", flags["lost"], "请尽快联系核实，长期失联按规定处理", "lost_contact=true"))
    if flags["overdue"]:
        items.append(AttentionItem(
            "预备期已满未转正", flags["overdue"],
            f"预备期满 {years} 年应及时讨论转正（{rulebook.citation('probation_years')}）", "category=probationary"))
    if flags["mobile"]:
        items.append(AttentionItem("流动党员", flags["mobile"], "请保持联系，按时参加组织生活", "is_mobile=true"))
    max_members = rulebook.value("branch_max_members", today)
    min_full = rulebook.value("branch_min_full_members", today)
    sizes = (active.filter(org__org_type__in=list(BRANCH_TYPES)).values("org", "org__name")
             .annotate(n=Count("id"), full=Count("id", filter=Q(category=Category.FULL))).order_by())
    large = [row for row in sizes if row["n"] > max_members]
    small = [row for row in sizes if row["full"] < min_full]
    if large:
        items.append(AttentionItem(
            f"党员人数超过 {max_members} 人的党支部", len(large),
            f"党支部党员人数一般不超过 {max_members} 人，可考虑调整设置（{rulebook.citation('branch_max_members')}）",
            orgs=large[:10]))
    if small:
        items.append(AttentionItem(
            f"正式党员不足 {min_full} 人的党支部", len(small),
            f"正式党员 {min_full} 人以上方可成立党支部，请考虑联合设置（{rulebook.citation('branch_min_full_members')}）",
            orgs=small[:10]))
    return items


def transfer_items(user, today: dt.date | None = None) -> list[AttentionItem]:
    """Transfer steps waiting for this user, and letters past their validity without a receipt."""
    from django.urls import reverse

    from dangjian.orgs.models import Organization

    from .models import Transfer, TransferLetter

    today = today or dt.date.today()
    url = reverse("members:transfers")
    items = []
    waiting = list(Transfer.objects.restrict(user, roles.MEMBER_CHANGE).filter(state=Transfer.State.APPLIED)
                   .values_list("from_org__path", flat=True)[:500])
    # The sending 基层党委 is the branch's parent: its path is the branch's path without the last step.
    parents = {path[: -Organization.steplen] or path for path in waiting}
    approvable = set(Organization.objects.restrict(user, roles.TRANSFER_APPROVE).filter(path__in=parents)
                     .values_list("path", flat=True))
    to_approve = sum(1 for path in waiting if (path[: -Organization.steplen] or path) in approvable)
    if to_approve:
        items.append(AttentionItem("待审批的组织关系转出", to_approve, "转出支部已申请，请转出党委审批或退回", url=url))
    receiving = Organization.objects.restrict(user, roles.MEMBER_ADD)
    to_receive = Transfer.objects.filter(
        Q(state=Transfer.State.AGREED) | Q(state=Transfer.State.APPROVED, receiver_approval=False),
        to_org__in=receiving).count()
    if to_receive:
        items.append(AttentionItem("待接收的组织关系转入", to_receive, "转出党委已审批，请及时接收，不得无故拒收", url=url))
    incoming = list(Transfer.objects.filter(state=Transfer.State.APPROVED, receiver_approval=True)
                    .values_list("to_org__path", flat=True)[:500])
    agreeing = set(Organization.objects.restrict(user, roles.TRANSFER_APPROVE)
                   .filter(path__in={p[: -Organization.steplen] or p for p in incoming}).values_list("path", flat=True))
    to_agree = sum(1 for path in incoming if (path[: -Organization.steplen] or path) in agreeing)
    if to_agree:
        items.append(AttentionItem("待同意的组织关系转入", to_agree, "转出党委已审批，请接收党委审核同意或退回", url=url))
    expired = TransferLetter.objects.restrict(user, roles.MEMBER_CHANGE).filter(
        state=TransferLetter.State.ISSUED, valid_until__lt=today).count()
    if expired:
        items.append(AttentionItem("介绍信已过有效期未收到回执", expired,
                                   "请联系党员和接收党组织，核实是否已报到；逾期的需出具证明后重新办理", url=url))
    return items
