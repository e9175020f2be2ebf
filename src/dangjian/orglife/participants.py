"""Who belongs to a meeting on its date, from the members' history: the branch's members, a 党小组's members, a
committee's holders; and whether a branch had a 支部委员会 (a committee, not a lone secretary) on a day."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from django.db.models import Q

from dangjian.members.choices import MemberStatus
from dangjian.members.history import periods_on
from dangjian.members.models import Member
from dangjian.orgs.choices import BRANCH_TYPES, OrgType
from dangjian.orgs.election_rules import committee_size_limits
from dangjian.orgs.models import CommitteeMember, GroupMembership

from .choices import MeetingKind

BRANCH_KINDS = (MeetingKind.GENERAL_MEETING, MeetingKind.COMMITTEE_MEETING, MeetingKind.PARTY_LECTURE,
                MeetingKind.THEME_DAY, MeetingKind.LIFE_MEETING, MeetingKind.DEMOCRATIC_APPRAISAL)


def in_office(day: dt.date, start: str = "started_on", end: str = "ended_on") -> Q:
    return Q(**{f"{start}__lte": day}) & (Q(**{f"{end}__isnull": True}) | Q(**{f"{end}__gt": day}))


def kinds_for(org) -> tuple[str, ...]:
    """The kinds an organisation holds: a branch its own meetings, a 党小组 its 党小组会."""
    if org.org_type == OrgType.GROUP:
        return (MeetingKind.GROUP_MEETING,)
    if org.org_type in BRANCH_TYPES:
        return BRANCH_KINDS
    return ()


def member_ids_on(org, day: dt.date) -> list[int]:
    """Members of the branch on `day` (admitted by then, 党籍 normal): its members are recorded in the branch."""
    if org.org_type == OrgType.GROUP:
        return list(GroupMembership.objects.filter(in_office(day), group=org,
                                                   member__status=MemberStatus.NORMAL)
                    .order_by("member_id").values_list("member_id", flat=True))
    return list(periods_on(day).filter(org=org, status=MemberStatus.NORMAL, member__joined_on__lte=day)
                .order_by("member_id").values_list("member_id", flat=True))


def committee_ids_on(org, day: dt.date) -> list[int]:
    return sorted(set(CommitteeMember.objects.filter(in_office(day), org=org).values_list("member_id", flat=True)))


def has_committee(org, day: dt.date) -> bool:
    """A 支部委员会 exists when at least the smallest committee (3 for a branch) is in office; below that the
    branch has a secretary only and holds no 支委会."""
    limits = committee_size_limits(org.org_type, day)
    return bool(limits) and len(committee_ids_on(org, day)) >= limits[0]


def due_ids(org, kind: str, day: dt.date) -> list[int]:
    """The participants due at a meeting of `kind` held by `org` on `day`."""
    if kind == MeetingKind.COMMITTEE_MEETING:
        return committee_ids_on(org, day)
    return member_ids_on(org, day)


def committee_days(org_ids) -> dict[int, list[tuple[dt.date, dt.date | None]]]:
    """Every holding of the committees of `org_ids`, for deciding on many days at once."""
    out = defaultdict(list)
    from django.db.models import QuerySet

    org_ids = org_ids if isinstance(org_ids, QuerySet) else list(org_ids)  # a queryset stays a subquery
    for org_id, start, end in CommitteeMember.objects.filter(org_id__in=org_ids).values_list(
            "org_id", "started_on", "ended_on"):
        out[org_id].append((start, end))
    return out


def committee_size_on(holdings, day: dt.date) -> int:
    return sum(1 for start, end in holdings if start <= day and (end is None or end > day))


def member_of_user(user) -> Member | None:
    if user is None or not user.is_authenticated:
        return None
    return Member.objects.filter(user=user).first()
