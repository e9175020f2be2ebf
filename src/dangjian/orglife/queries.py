"""Reads of organisational life: compliance per organisation and period (required vs held, the missing ones
named), roll-ups up the tree, each member's attendance rate and study hours, and 谈心谈话 coverage.

A period is owed when the obligation stood on its first and its last day: a branch founded, a committee formed or a
党小组 given members in the middle of a quarter first owes the next full period (a committee created on 15 March
owes April's 支委会, not March's). A period still running is "in progress", never missing."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import NamedTuple

from django.db.models import Count, Q, Sum
from django.utils import timezone

from dangjian.core import rulebook
from dangjian.orgs.choices import BRANCH_TYPES, OrgStatus, OrgType
from dangjian.orgs.election_rules import committee_size_limits
from dangjian.orgs.models import GroupMembership, Organization

from . import participants, rules
from .choices import HELD_STATES, MeetingKind, Presence, TalkCategory
from .models import Appraisal, Attendance, HeartTalk, Meeting

ALL_KINDS = [k for k in MeetingKind.values]


@dataclass
class KindStatus:
    kind: str
    label: str
    unit: str
    required: list = field(default_factory=list)  # Spans owed and ended
    held: list = field(default_factory=list)  # keys of owed spans with a meeting
    missing: list = field(default_factory=list)  # Spans owed, ended, without a meeting
    current: rules.Span | None = None  # the span running on `on`, if owed
    current_held: bool = False
    days_left: int | None = None

    @property
    def required_count(self) -> int:
        return len(self.required) + (1 if self.current and self.current_held else 0)

    @property
    def held_count(self) -> int:
        return len(self.held) + (1 if self.current and self.current_held else 0)

    @property
    def missing_labels(self) -> str:
        return "、".join(s.label for s in self.missing)


@dataclass
class OrgCompliance:
    org: Organization
    kinds: list[KindStatus]

    @property
    def missing_count(self) -> int:
        return sum(len(k.missing) for k in self.kinds)


def _holds(windows, day: dt.date) -> bool:
    for start, end in windows:  # a plain loop: called millions of times in an evaluation of every branch
        if (start is None or start <= day) and (end is None or end > day):
            return True
    return False


def _owed(windows, span: rules.Span, last: dt.date) -> bool:
    return _holds(windows, span.start) and _holds(windows, last)


def _org_window(org) -> tuple:
    end = org.dissolved_on if org.status == OrgStatus.DISSOLVED else None
    return (org.founded_on, end)


def compliance(orgs, year: int, on: dt.date | None = None, only: dict | None = None) -> list[OrgCompliance]:
    """Required vs held per kind for each branch and 党小组 among `orgs` (a queryset), over `year` up to `on`.
    `only` (period unit → span keys) limits the work to those periods (the warning rules need two per kind)."""
    on = on or timezone.localdate()
    last_day = min(on, dt.date(year, 12, 31))
    first_day = dt.date(year, 1, 1)
    scope = orgs.filter(Q(org_type__in=BRANCH_TYPES) | Q(org_type=OrgType.GROUP))
    nodes = [o for o in scope.order_by("path") if participants.kinds_for(o)]
    if first_day > on:
        return [OrgCompliance(o, []) for o in nodes]
    ids = scope.order_by().values("pk")  # a subquery: the statements stay small for any number of organisations
    held = defaultdict(set)  # (org_id, kind) -> {span keys}
    frequencies = rulebook.value("orglife_frequency", last_day)
    for org_id, kind, extra, starts_at in (Meeting.objects.filter(org_id__in=ids, state__in=HELD_STATES,
                                                                   starts_at__date__gte=first_day,
                                                                   starts_at__date__lte=last_day)
                                           .values_list("org_id", "kind", "also_counts_as", "starts_at")):
        day = timezone.localdate(starts_at)
        for k in {kind, *extra}:
            if k in frequencies:
                held[(org_id, k)].add(rules.span_of(day, frequencies[k]).key)
    for org_id, decided_on in Appraisal.objects.filter(org_id__in=ids, state=Appraisal.State.DECIDED,
                                                       year=year).values_list("org_id", "decided_on"):
        held[(org_id, MeetingKind.DEMOCRATIC_APPRAISAL)].add(str(year))
    committees = participants.committee_days(ids)
    groups = defaultdict(list)
    for group_id, start, end in GroupMembership.objects.filter(group_id__in=ids).values_list(
            "group_id", "started_on", "ended_on"):
        groups[group_id].append((start, end))
    wanted = {unit: [s for s in rules.spans_between(first_day, last_day, unit)
                     if only is None or s.key in only.get(unit, ())] for unit in set(frequencies.values())}
    minimum_by_type = {}  # committee size limits per organisation type (the rulebook is read once, not per org)
    out = []
    for org in nodes:
        base = [_org_window(org)]
        base_owed = {}  # span → owed by the organisation's own existence (the same for every kind of that unit)
        statuses = []
        for kind in participants.kinds_for(org):
            unit = frequencies[kind]
            if kind == MeetingKind.COMMITTEE_MEETING:
                if org.org_type not in minimum_by_type:
                    minimum_by_type[org.org_type] = (committee_size_limits(org.org_type, last_day) or (1,))[0]
                windows = _committee_windows(committees.get(org.pk, []), minimum_by_type[org.org_type])
            elif kind == MeetingKind.GROUP_MEETING:
                windows = groups.get(org.pk, [])
            else:
                windows = None  # the organisation's own window: base_owed says it
            status = KindStatus(kind, rules.KIND_LABELS[kind], unit)
            held_here = held.get((org.pk, kind), ())
            for span in wanted[unit]:
                last = span.end if span.end < on else on
                if span not in base_owed:
                    base_owed[span] = _owed(base, span, last)
                owed = base_owed[span] and (windows is None or _owed(windows, span, last))
                if span.end < on:
                    if not owed:
                        continue
                    status.required.append(span)
                    if span.key in held_here:
                        status.held.append(span.key)
                    else:
                        status.missing.append(span)
                elif owed:
                    status.current = span
                    status.current_held = span.key in held_here
                    status.days_left = (span.end - on).days
            if status.required or status.current:
                statuses.append(status)
        out.append(OrgCompliance(org, statuses))
    return out


def _committee_windows(holdings, minimum: int) -> list[tuple]:
    """The spans of days on which at least `minimum` committee members were in office."""
    days = sorted({d for start, end in holdings for d in (start, end) if d is not None})
    windows, open_from = [], None
    for day in days:
        enough = participants.committee_size_on(holdings, day) >= minimum
        if enough and open_from is None:
            open_from = day
        elif not enough and open_from is not None:
            windows.append((open_from, day))
            open_from = None
    if open_from is not None:
        windows.append((open_from, None))
    return windows


@dataclass
class Rollup:
    org: Organization
    orgs: int = 0
    required: dict = field(default_factory=lambda: defaultdict(int))
    held: dict = field(default_factory=lambda: defaultdict(int))
    missing: dict = field(default_factory=lambda: defaultdict(int))

    @property
    def rows(self):
        return [(k, rules.KIND_LABELS[k], self.required[k], self.held[k], self.missing[k]) for k in ALL_KINDS
                if self.required[k] or self.held[k]]

    @property
    def missing_total(self) -> int:
        return sum(self.missing.values())


def rollup(top: Organization, rows: list[OrgCompliance], visible) -> list[Rollup]:
    """Sum the compliance of the organisations below each direct child of `top` (and `top` itself)."""
    children = list(visible.filter(path__startswith=top.path, depth=top.depth + 1).order_by("path"))
    buckets = [Rollup(top)] + [Rollup(c) for c in children]
    for row in rows:
        bucket = next((b for b in buckets[1:] if row.org.path.startswith(b.org.path)), buckets[0])
        for target in (bucket, buckets[0]) if bucket is not buckets[0] else (bucket,):
            target.orgs += 1
            for k in row.kinds:
                target.required[k.kind] += k.required_count
                target.held[k.kind] += k.held_count
                target.missing[k.kind] += len(k.missing)
    return buckets


# -- members: attendance and study hours --------------------------------------------------------------------------

@dataclass
class MemberYear:
    due: int
    present: int
    leave: int
    study_hours: Decimal
    target: int

    @property
    def rate(self) -> float | None:
        """出勤率: present / (due − approved leave); None without meetings."""
        base = self.due - self.leave
        return None if base <= 0 else self.present / base

    @property
    def rate_percent(self) -> str:
        return "—" if self.rate is None else f"{self.rate * 100:.0f}%"

    @property
    def hours_short(self) -> Decimal:
        return max(Decimal(self.target) - self.study_hours, Decimal("0"))


def _attended(member_ids, year: int) -> dict[int, MemberYear]:
    """The year of each member who was due at any held meeting of `year` (`member_ids`: ids, or a queryset of ids,
    which stays a subquery however many members there are); members due at none are absent from the result."""
    rows = (Attendance.objects.filter(member_id__in=member_ids, meeting__state__in=HELD_STATES,
                                      meeting__starts_at__year=year)
            .values("member_id").annotate(
                due=Count("id"), present=Count("id", filter=Q(presence=Presence.PRESENT)),
                leave=Count("id", filter=Q(presence=Presence.LEAVE_APPROVED)),
                hours=Sum("meeting__study_hours", filter=Q(presence=Presence.PRESENT))).order_by())
    target = rulebook.value("study_hours_per_year", dt.date(year, 12, 31))
    return {r["member_id"]: MemberYear(r["due"], r["present"], r["leave"],
                                       Decimal(r["hours"] or 0).quantize(Decimal("0.1")), target) for r in rows}


def member_years(member_ids, year: int) -> dict[int, MemberYear]:
    """Attendance and study hours of each member over the held meetings of `year`."""
    member_ids = list(member_ids)
    found = _attended(member_ids, year)
    target = rulebook.value("study_hours_per_year", dt.date(year, 12, 31))
    return {m: found.get(m, MemberYear(0, 0, 0, Decimal("0.0"), target)) for m in member_ids}


def member_year(member, year: int) -> MemberYear:
    return member_years([member.pk], year)[member.pk]


# -- 谈心谈话 coverage -----------------------------------------------------------------------------------------

@dataclass
class TalkCoverage:
    category: str
    label: str
    talks: int
    covered: int
    total: int

    @property
    def percent(self) -> str:
        return "—" if not self.total else f"{self.covered * 100 // self.total}%"


def talk_coverage(org, year: int, on: dt.date | None = None) -> list[TalkCoverage]:
    """Per pair category: the talks of the year, and how many of the pairs (支委之间) or members (支委与党员,
    党员之间) they reached, against the committee and the roll on `on` (or the year's last day)."""
    on = min(on or timezone.localdate(), dt.date(year, 12, 31))
    committee = set(participants.committee_ids_on(org, on))
    roll = set(participants.member_ids_on(org, on))
    others = roll - committee
    talks = list(HeartTalk.objects.filter(org=org, held_on__year=year).values_list("category", "initiator_id",
                                                                                   "counterpart_id"))
    out = []
    for category, label in TalkCategory.choices:
        mine = [(a, b) for c, a, b in talks if c == category]
        if category == TalkCategory.COMMITTEE_COMMITTEE:
            pairs = {frozenset(p) for p in mine if set(p) <= committee}
            total = len(committee) * (len(committee) - 1) // 2
            covered = len(pairs)
        elif category == TalkCategory.COMMITTEE_MEMBER:
            covered = len({x for p in mine for x in p} & others)
            total = len(others) if committee else 0
        else:
            covered = len({x for p in mine for x in p} & roll)
            total = len(roll)
        out.append(TalkCoverage(category, label, len(mine), min(covered, total), total))
    return out


def upcoming_for(member, now: dt.datetime | None = None, days: int = 60):
    now = now or timezone.now()
    return (Meeting.objects.filter(attendances__member=member, ends_at__gte=now - dt.timedelta(hours=2),
                                   starts_at__lte=now + dt.timedelta(days=days))
            .exclude(state="cancelled").select_related("org").order_by("starts_at"))


# -- what the warning engine reads ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class PeriodGap:
    org_id: int
    kind: str
    span: rules.Span
    overdue: bool  # True: the period has ended without the meeting; False: it ends within the reminder days
    days_left: int | None = None


def period_gaps(on: dt.date, orgs=None) -> list[PeriodGap]:
    """For every branch and 党小组: each kind whose last ended period passed without it (overdue), and each kind not
    yet held in a period ending within the reminder days (due soon)."""
    orgs = orgs if orgs is not None else Organization.objects.filter(status=OrgStatus.ACTIVE)
    # Only what deciding the periods needs is read: tens of thousands of organisations, twice.
    orgs = orgs.only("id", "path", "org_type", "status", "founded_on", "dissolved_on")
    reminders = rulebook.value("orglife_reminder_days", on)
    frequencies = rulebook.value("orglife_frequency", on)
    # Only two periods per unit matter: the one running on `on` and the last one ended.
    now_year, then_year = defaultdict(set), defaultdict(set)
    for unit in set(frequencies.values()):
        current = rules.span_of(on, unit)
        last = rules.span_of(current.start - dt.timedelta(days=1), unit)
        now_year[unit].add(current.key)
        (now_year if last.start.year == on.year else then_year)[unit].add(last.key)
    this_year = {r.org.pk: r for r in compliance(orgs, on.year, on, only=now_year)}
    last_year = {r.org.pk: r for r in compliance(orgs, on.year - 1, on, only=then_year)} if then_year else {}
    gaps = []
    for org_id, row in this_year.items():
        statuses = {k.kind: k for k in row.kinds}
        previous = {k.kind: k for k in last_year[org_id].kinds} if org_id in last_year else {}
        for kind in participants.kinds_for(row.org):
            unit = frequencies[kind]
            last_span = rules.span_of(rules.span_of(on, unit).start - dt.timedelta(days=1), unit)
            source = statuses if last_span.start.year == on.year else previous
            status = source.get(kind)
            if status and any(s.key == last_span.key for s in status.missing):
                gaps.append(PeriodGap(org_id, kind, last_span, True))
            now = statuses.get(kind)
            if now and now.current and not now.current_held and now.days_left is not None and \
                    now.days_left < reminders[unit]:
                gaps.append(PeriodGap(org_id, kind, now.current, False, now.days_left))
    return gaps


class StudyGap(NamedTuple):  # a tuple: a million of them are made in spring, when most members are behind
    member_id: int
    org_id: int
    hours: Decimal
    pace: Decimal
    red: bool


def study_gaps(on: dt.date, members=None) -> list[StudyGap]:
    """Members whose study hours this year are behind the even pace (red below the red share of it)."""
    from dangjian.members.choices import MemberStatus
    from dangjian.members.models import Member

    pace = rules.study_pace(on)
    if pace <= 0:
        return []
    num, den = rulebook.value("study_pace_red_share", on)
    red_below = pace * num / den
    members = members if members is not None else Member.objects.all()
    due = members.filter(status=MemberStatus.NORMAL, joined_on__lte=on, org__org_type__in=BRANCH_TYPES)
    # Only the members due at some meeting this year are read back (one grouped query); everyone else has none.
    earned = _attended(due.order_by().values("pk"), on.year)
    zero = Decimal("0.0")
    zero_red = zero < red_below  # members with no hours at all (most of them early in the year): one verdict
    hours_of = {member_id: year.study_hours for member_id, year in earned.items()}
    out = []
    append = out.append
    for member_id, org_id in due.values_list("pk", "org_id").order_by("pk").iterator(chunk_size=20000):
        hours = hours_of.get(member_id)
        if hours is None:  # pace > 0: behind
            append(StudyGap(member_id, org_id, zero, pace, zero_red))
        elif hours < pace:
            append(StudyGap(member_id, org_id, hours, pace, hours < red_below))
    return out


def attention_items(user, today: dt.date | None = None) -> list:
    """For the home page: kinds still owed in a period about to end, records sent back to correct, and (for the
    organisation above) records waiting for review — all within the user's scope."""
    from django.urls import reverse

    from dangjian.accounts import roles
    from dangjian.members.queries import AttentionItem
    from dangjian.orgs.queries import top_visible

    today = today or timezone.localdate()
    items = []
    tops = top_visible(user, roles.ORGLIFE_MANAGE)
    if tops:
        visible = Organization.objects.restrict(user, roles.ORGLIFE_MANAGE).filter(status=OrgStatus.ACTIVE)
        gaps = [g for g in period_gaps(today, visible) if not g.overdue]
        if gaps:
            names = "、".join(sorted({rules.KIND_LABELS[g.kind] for g in gaps}))
            items.append(AttentionItem("本周期即将结束尚未开展的组织生活", len(gaps), f"{names}：请及时安排",
                                       url=reverse("orglife:compliance", args=[tops[0].pk]), level="yellow"))
        returned = Meeting.objects.restrict(user, roles.ORGLIFE_MANAGE).filter(state="returned").count()
        if returned:
            items.append(AttentionItem("被上级退回的会议记录", returned, "请按审核意见修改后重新报送",
                                       url=reverse("orglife:calendar", args=[tops[0].pk]), level="red"))
    if user.has_perm_anywhere(roles.ORGLIFE_REVIEW):
        waiting = Meeting.objects.restrict(user, roles.ORGLIFE_REVIEW).filter(state="submitted").count()
        if waiting:
            items.append(AttentionItem("待审核的会议记录", waiting, "下级党组织报送的会议记录，请审核通过或退回",
                                       url=reverse("orglife:reviews"), level="yellow"))
    return items
