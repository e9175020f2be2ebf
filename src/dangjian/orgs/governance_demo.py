"""Committees and terms in the demo organisation (demo mode only), written through the committee actions: the demo
branch's committee came from an election whose term ends within 6 months; another branch's term is overdue."""

from __future__ import annotations

import datetime as dt

from dangjian.members.choices import MemberStatus
from dangjian.members.models import Member
from dangjian.members.periods import add_months
from dangjian.members.rules import add_years, voting_refusal

from . import committees
from .choices import OrgType
from .election_rules import secretary_refusal
from .models import Organization


def seed_committees(branch: Organization, district: Organization, secretary, organizer) -> None:
    today = dt.date.today()
    held_on = add_months(add_years(today, -3), 4)  # a 3-year term that ends in about 4 months
    members = list(Member.objects.filter(org=branch, status=MemberStatus.NORMAL).order_by("id"))
    eligible = [m for m in members if voting_refusal(m, held_on) is None]
    leader = next((m for m in eligible if secretary_refusal(m, held_on) is None), None)
    full = len(eligible)
    if leader is not None and full >= 5:
        seats = 3 if full >= 7 else 0
        election = committees.do_create_election(branch, kind="general", held_on=held_on, seats=seats,
                                                 actor=secretary)
        others = [m for m in eligible if m.pk != leader.pk]
        rows = [{"member": leader, "position": "secretary"}]
        if seats:
            duties = ["", "organization_officer", "publicity_officer", ""]
            rows += [{"member": m, "position": "member", "duty": d} for m, d in zip([leader, *others[:3]], duties)]
        committees.do_set_candidates(election, candidates=rows, actor=secretary)
        present = election.due_count  # everyone came
        votes = {}
        for cand in election.candidates.all():
            if cand.position == "secretary":
                votes[cand.pk] = seats or present
            else:  # the last member candidate is not elected
                votes[cand.pk] = present - present // 6 if cand.member_id != others[2].pk else present // 6
        committees.do_record_result(election, present_count=present, votes=votes,
                                    committee_present=seats or None, actor=secretary)
        committees.do_file_election(election, on=held_on + dt.timedelta(days=3), actor=secretary)
        committees.do_approve_election(election, on=held_on + dt.timedelta(days=10), document="演示〔批复〕1号",
                                       actor=organizer)
    else:
        committees.do_record_term(branch, started_on=held_on, actor=secretary)
    other = (Organization.objects.filter(path__startswith=district.path, org_type=OrgType.BRANCH, status="active")
             .exclude(pk=branch.pk).order_by("path").first())
    if other is not None:  # elected 3 years and 2 months ago: overdue
        started = add_months(add_years(today, -3), -2)
        committees.do_record_term(other, started_on=started, actor=organizer)
        holder = next((m for m in Member.objects.filter(org=other, status=MemberStatus.NORMAL).order_by("id")
                       if secretary_refusal(m, started) is None and voting_refusal(m, started) is None), None)
        if holder is not None:
            committees.do_add_committee_member(other, member=holder, position="secretary", started_on=started,
                                               actor=organizer)
    committees.do_record_term(district, started_on=add_years(today, -2), seats=7, actor=organizer)
