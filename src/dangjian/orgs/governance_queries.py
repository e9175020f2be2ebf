"""Reads for committees and terms: which terms end soon or are overdue, and what needs the user's attention."""

from __future__ import annotations

import datetime as dt

from django.db.models import F
from django.urls import reverse

from dangjian.accounts import roles
from dangjian.core import rulebook

from dangjian.members.periods import add_months
from .models import CommitteeMember, Election, LEADER_POSITIONS, Term

OVERDUE = "overdue"


def reminder_stage(term: Term, today: dt.date) -> str | int | None:
    """'overdue' once the term has ended without a new election; otherwise the smallest reminder (in months,
    6 then 2 by default) whose date has come; None before the first reminder."""
    if term.ends_on < today:
        return OVERDUE
    stages = sorted(rulebook.value("term_reminder_months", today))
    for months in stages:
        if add_months(term.ends_on, -months) <= today:
            return months
    return None


def terms_needing_election(terms, today: dt.date | None = None) -> list[Term]:
    """Current terms (not yet followed by a new one) that are overdue or within the first reminder, each with
    `.stage` (see `reminder_stage`) and `.days_left` (negative when overdue); the most urgent first."""
    today = today or dt.date.today()
    first = max(rulebook.value("term_reminder_months", today))
    found = list(terms.filter(ended_on__isnull=True, ends_on__lte=add_months(today, first),
                              org__status="active").select_related("org").order_by("ends_on", "org__path"))
    for term in found:
        term.stage = reminder_stage(term, today)
        term.days_left = (term.ends_on - today).days
        term.overdue_days = max(-term.days_left, 0)
    return [t for t in found if t.stage is not None]


def attention_items(user, today: dt.date | None = None) -> list:
    """Terms ending within the reminders, or overdue, in the user's scope: the organisation's own secretary and
    every higher committee above it see them. Elections below the user that wait for its approval too."""
    from dangjian.members.queries import AttentionItem

    from .queries import top_visible

    today = today or dt.date.today()
    tops = top_visible(user, roles.COMMITTEE_VIEW)
    if not tops:
        return []
    url = reverse("orgs:terms", args=[tops[0].pk])
    due = terms_needing_election(Term.objects.restrict(user, roles.COMMITTEE_VIEW), today)
    items = []
    overdue = [t for t in due if t.stage == OVERDUE]
    cite = rulebook.citation("term_reminder_months")
    if overdue:
        items.append(AttentionItem("任期已届满未换届", len(overdue),
                                   f"{_names(overdue)}：请尽快换届，延期换届须报上级党组织批准"
                                   f"（{rulebook.citation('term_max_shift_years')}）", url=url, level="red"))
    for months in sorted(rulebook.value("term_reminder_months", today)):
        soon = [t for t in due if t.stage == months]
        if soon:
            items.append(AttentionItem(
                f"任期将在 {months} 个月内届满", len(soon), f"{_names(soon)}：请做好换届准备，按时提出换届请示（{cite}）",
                url=url, level="yellow"))
    waiting = 0
    if user.has_perm_anywhere(roles.COMMITTEE_APPROVE):
        elections = Election.objects.restrict(user, roles.COMMITTEE_APPROVE).filter(
            state=Election.State.ELECTED, approved_on__isnull=True)
        waiting = (CommitteeMember.objects.filter(election__in=elections, position__in=LEADER_POSITIONS,
                                                  approved_on__isnull=True, ended_on__isnull=True)
                   .values("election").distinct().count())
    if waiting:
        items.append(AttentionItem("待批准的书记、副书记", waiting, "下级党组织选举产生的书记、副书记，请上级党组织审批",
                                   url=url, level="yellow"))
    return items


def _names(terms: list[Term], most: int = 3) -> str:
    names = "、".join(t.org.short_name or t.org.name for t in terms[:most])
    return names + ("等" if len(terms) > most else "")


def committee_history(org):
    """Every holding of the organisation's committee, current ones first, then by date."""
    return (CommitteeMember.objects.filter(org=org).select_related("member", "term")
            .order_by(F("ended_on").asc(nulls_first=True), "-started_on", "id"))
