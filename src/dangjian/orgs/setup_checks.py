"""Organisation setup checks (组织设置): which organisations break a rule of how party organisations are set up.

`setup_findings(orgs, on=date)` is the one entry point (pages, the API and the warning engine read it). It takes
an organisation (its whole active subtree is checked) or a queryset of organisations (already scoped by the caller),
and returns a list of `Finding`s, each naming the organisation, the rule (`code`), the level (`red` for what the
regulations require, `yellow` for what they "normally" expect), a Chinese message with the figures and a citation.
The numbers come from the rulebook for the date `on`. A fixed number of queries, however large the subtree.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Count, Q

from dangjian.core import rulebook
from dangjian.members.choices import Category, MemberStatus
from dangjian.members.history import periods_on
from dangjian.members.rules import add_years

from .choices import BRANCH_TYPES, OrgStatus, OrgType
from .election_rules import committee_size_limits
from .models import CommitteeMember, GroupMembership, JointBranchUnit, Organization, Position


class Rule:
    """The codes of the setup rules (stable: the warning engine and API clients key on them)."""

    BRANCH_FEW_FULL_MEMBERS = "branch_few_full_members"
    BRANCH_TOO_LARGE = "branch_too_large"
    COMMITTEE_REQUIRED = "committee_required"
    COMMITTEE_SIZE = "committee_size"
    JOINT_BRANCH_TOO_MANY_UNITS = "joint_branch_too_many_units"
    NO_SECRETARY = "no_secretary"
    EMPTY_GROUP = "empty_group"
    PROBATIONARY_AS_FULL = "probationary_as_full"


RULE_LABELS = {
    Rule.BRANCH_FEW_FULL_MEMBERS: "正式党员不足",
    Rule.BRANCH_TOO_LARGE: "党员人数过多",
    Rule.COMMITTEE_REQUIRED: "应设未设支部委员会",
    Rule.COMMITTEE_SIZE: "委员会人数不符合规定",
    Rule.JOINT_BRANCH_TOO_MANY_UNITS: "联合党支部覆盖单位过多",
    Rule.NO_SECRETARY: "未配备书记",
    Rule.EMPTY_GROUP: "党小组没有党员",
    Rule.PROBATIONARY_AS_FULL: "预备党员登记为正式党员",
}

RED, YELLOW = "red", "yellow"


@dataclass(frozen=True)
class Finding:
    org: Organization
    code: str  # one of `Rule`
    level: str  # "red" (required by the regulations) or "yellow" (what they normally expect)
    message: str  # Chinese, with the figures
    citation: str  # the regulation broken
    value: int | None = None  # what was measured (members, committee size, units …)
    limit: int | None = None  # the rulebook figure it was measured against
    members: tuple[int, ...] = field(default=())  # member ids concerned, where the rule is about members

    @property
    def label(self) -> str:
        return RULE_LABELS[self.code]


def _orgs(orgs):
    """The active organisations checked, as a list and as a queryset (a subquery keeps the statements small
    however many organisations there are)."""
    if isinstance(orgs, Organization):
        orgs = Organization.objects.filter(path__startswith=orgs.path)
    orgs = orgs.filter(status=OrgStatus.ACTIVE)
    return list(orgs.order_by("path")), orgs.values("pk")


def _in_office(on: dt.date) -> Q:
    return Q(started_on__lte=on) & (Q(ended_on__isnull=True) | Q(ended_on__gt=on))


def setup_findings(orgs, on: dt.date | None = None) -> list[Finding]:
    """Every setup rule broken on `on` by the organisations given (an Organization means its active subtree)."""
    on = on or dt.date.today()
    nodes, ids = _orgs(orgs)
    # 党龄 and full membership begin when probation ends: a "full" member admitted less than a year ago is not one.
    cutoff = add_years(on, -rulebook.value("probation_years", on))
    # Who was in each organisation on `on` (the members' history), so a past day is checked as it stood.
    active = periods_on(on).filter(org_id__in=ids, status=MemberStatus.NORMAL, member__joined_on__lte=on)
    counts = {row["org"]: row for row in active.values("org").annotate(
        total=Count("id"), full=Count("id", filter=Q(member__category=Category.FULL,
                                                     member__joined_on__lte=cutoff))).order_by()}
    wrongly_full = defaultdict(list)
    for org_id, member_id, name in (active.filter(member__category=Category.FULL, member__joined_on__gt=cutoff)
                                    .values_list("org_id", "member_id", "member__name").order_by("org_id", "member_id")):
        wrongly_full[org_id].append((member_id, name))
    holders = defaultdict(lambda: {"size": 0, "secretary": False})
    for org_id, position in CommitteeMember.objects.filter(_in_office(on), org_id__in=ids).values_list("org_id", "position"):
        holders[org_id]["size"] += 1
        holders[org_id]["secretary"] |= position == Position.SECRETARY
    group_sizes = dict(GroupMembership.objects.filter(_in_office(on), group_id__in=ids).values("group")
                       .annotate(n=Count("id")).values_list("group", "n").order_by())
    units = dict(JointBranchUnit.objects.filter(Q(added_on__lte=on) & (Q(removed_on__isnull=True) | Q(removed_on__gt=on)),
                                                org_id__in=ids).values("org").annotate(n=Count("id"))
                 .values_list("org", "n").order_by())
    figures = {name: rulebook.value(name, on) for name in (
        "branch_min_full_members", "branch_max_members", "committee_required_full_members", "joint_branch_max_units")}
    findings: list[Finding] = []
    for org in nodes:
        row = counts.get(org.pk, {"total": 0, "full": 0})
        findings += _org_findings(org, row, holders[org.pk], group_sizes.get(org.pk, 0), units.get(org.pk, 0),
                                  wrongly_full.get(org.pk, []), figures, on)
    return findings


def _org_findings(org, row, held, group_size, unit_count, wrongly_full, figures, on) -> list[Finding]:
    out = []
    cite = rulebook.citation

    def add(code, level, message, citation_key, value=None, limit=None, members=()):
        out.append(Finding(org, code, level, message, cite(citation_key), value, limit, tuple(members)))

    if org.org_type == OrgType.GROUP:
        if group_size == 0:
            add(Rule.EMPTY_GROUP, YELLOW, "党小组没有编入党员，请编入党员或撤销该党小组",
                "group_members", 0, None)
        return out
    total, full = row["total"], row["full"]
    if org.org_type in BRANCH_TYPES:
        low = figures["branch_min_full_members"]
        if full < low:
            add(Rule.BRANCH_FEW_FULL_MEMBERS, RED,
                f"正式党员 {full} 人，不足 {low} 人，不具备单独成立党支部的条件，可与邻近单位联合成立党支部"
                f"（{cite('branch_min_full_members')}）", "branch_min_full_members", full, low)
        high = figures["branch_max_members"]
        if total > high:
            add(Rule.BRANCH_TOO_LARGE, YELLOW,
                f"党员 {total} 人，党支部党员人数一般不超过 {high} 人，可考虑分设党支部或成立党总支"
                f"（{cite('branch_max_members')}）", "branch_max_members", total, high)
        need = figures["committee_required_full_members"]
        limits = committee_size_limits(org.org_type, on)
        if full >= need and held["size"] < limits[0]:
            add(Rule.COMMITTEE_REQUIRED, RED,
                f"正式党员 {full} 人，达到 {need} 人以上应当设立支部委员会，现有委员 {held['size']} 名"
                f"（{cite('committee_required_full_members')}）", "committee_required_full_members", full, need)
    limits = committee_size_limits(org.org_type, on)
    if limits and held["size"]:
        low, _, high = limits
        small = held["size"] < low and org.org_type not in BRANCH_TYPES  # a branch of < 3 has a secretary only
        if small or held["size"] > high:
            add(Rule.COMMITTEE_SIZE, YELLOW,
                f"{OrgType(org.org_type).label}委员会现有委员 {held['size']} 名，一般应为 {low}—{high} 名"
                f"（{cite('committee_size')}）", "committee_size", held["size"], high if not small else low)
    if org.org_type == OrgType.JOINT_BRANCH and unit_count > figures["joint_branch_max_units"]:
        most = figures["joint_branch_max_units"]
        add(Rule.JOINT_BRANCH_TOO_MANY_UNITS, YELLOW,
            f"联合党支部覆盖 {unit_count} 个单位，一般不超过 {most} 个（{cite('joint_branch_max_units')}）",
            "joint_branch_max_units", unit_count, most)
    if not held["secretary"]:
        add(Rule.NO_SECRETARY, RED, f"{OrgType(org.org_type).label}没有在任的书记，请及时选举或由上级党组织任命"
            f"（{cite('secretary_required')}）", "secretary_required")
    if wrongly_full:
        names = "、".join(name for _, name in wrongly_full[:10]) + ("等" if len(wrongly_full) > 10 else "")
        years = rulebook.value("probation_years", on)
        add(Rule.PROBATIONARY_AS_FULL, RED,
            f"{len(wrongly_full)} 名党员登记为正式党员，但入党未满 {years} 年预备期：{names}，"
            f"请核对入党日期、转正日期和党员类别（{cite('probation_years')}）", "probation_years",
            len(wrongly_full), years, [member_id for member_id, _ in wrongly_full])
    return out
