"""Committees and terms (换届): term length by organisation type, early and late elections, holders and their
history, by-elections, appointment from above, and the reminders 6 and 2 months before a term ends."""
from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.http import Http404

from dangjian.orgs import committees as actions
from dangjian.orgs import election_rules as rules
from dangjian.orgs.governance_queries import OVERDUE, attention_items, reminder_stage, terms_needing_election
from dangjian.orgs.models import CommitteeMember, Election, Term
from governance import add_member, fill, months_before

START = dt.date(2023, 3, 15)


@pytest.mark.parametrize("org_type,village,years", [
    ("committee", False, 5), ("working_committee", False, 5), ("general_branch", False, 3), ("branch", False, 3),
    ("joint_branch", False, 3), ("branch", True, 5), ("general_branch", True, 5),
])
def test_term_end_follows_the_organisation_type_and_village_or_community(org_type, village, years):
    assert rules.term_end(org_type, village, START) == START.replace(year=START.year + years)


def test_a_group_has_no_term():
    assert rules.term_end("group", False, START) is None


def test_term_lengths_come_from_the_rulebook_and_may_be_overridden(monkeypatch):
    monkeypatch.setenv("DANGJIAN_RULE_OVERRIDES", '{"term_years_village_community": 4}')
    assert rules.term_end("branch", True, START) == dt.date(2027, 3, 15)


def test_recording_a_term_computes_its_end_and_ends_the_previous_one(world):
    first = actions.do_record_term(world.br1, started_on=dt.date(2019, 3, 1), actor=world.secretary)
    assert first.ends_on == dt.date(2022, 3, 1) and first.number == 1
    second = actions.do_record_term(world.sta, started_on=dt.date(2021, 1, 10), seats=5, actor=world.committee_organizer)
    assert second.ends_on == dt.date(2026, 1, 10)
    village = actions.do_record_term(world.br2, started_on=dt.date(2021, 1, 10), village_or_community=True,
                                     actor=world.secretary2)
    assert village.ends_on == dt.date(2026, 1, 10)
    again = actions.do_record_term(world.br1, started_on=dt.date(2022, 3, 1), actor=world.secretary)
    first.refresh_from_db()
    assert first.ended_on == dt.date(2022, 3, 1) and again.number == 2


def test_committee_seats_outside_the_range_are_refused(world):
    with pytest.raises(ValidationError, match="3—7"):
        actions.do_record_term(world.br1, started_on=START, seats=8, actor=world.secretary)
    with pytest.raises(ValidationError, match="5—9"):
        actions.do_record_term(world.sta, started_on=START, seats=4, actor=world.committee_organizer)


def test_a_secretary_of_another_branch_cannot_touch_this_branch(world):
    with pytest.raises(Http404):
        actions.do_record_term(world.br1, started_on=START, actor=world.secretary2)
    with pytest.raises(Http404):
        actions.do_create_election(world.br1, kind="general", held_on=START, seats=3, actor=world.secretary2)


# -- early and late elections ----------------------------------------------------------------------------------------

def test_an_early_or_late_election_needs_the_higher_approval_and_early_by_more_than_a_year_is_refused(world):
    fill(world.br1, 7)
    actions.do_record_term(world.br1, started_on=dt.date(2022, 6, 1), seats=3, actor=world.secretary)  # ends 2025-06-01
    on_time = dict(kind="general", seats=3, actor=world.secretary)
    with pytest.raises(ValidationError, match="提前换届须经上级党组织批准"):
        actions.do_create_election(world.br1, held_on=dt.date(2025, 1, 1), **on_time)
    with pytest.raises(ValidationError, match="延期换届须经上级党组织批准"):
        actions.do_create_election(world.br1, held_on=dt.date(2025, 8, 1), **on_time)
    with pytest.raises(ValidationError, match="不超过 1 年"):
        actions.do_create_election(world.br1, held_on=dt.date(2024, 5, 1), schedule_note="批复", **on_time)
    assert actions.do_create_election(world.br1, held_on=dt.date(2025, 4, 1), **on_time).pk
    assert actions.do_create_election(world.br1, held_on=dt.date(2025, 8, 1), schedule_note="东华党工〔2025〕3号",
                                      **on_time).schedule_note == "东华党工〔2025〕3号"


# -- holders -----------------------------------------------------------------------------------------------------

def test_holders_are_ended_never_deleted_and_a_second_secretary_is_refused(world):
    people = world.members["BR1"]
    actions.do_record_term(world.br1, started_on=START, actor=world.secretary)
    holder = actions.do_add_committee_member(world.br1, member=people[0], position="secretary", started_on=START,
                                             actor=world.secretary)
    with pytest.raises(ValidationError, match="已有现任书记"):
        actions.do_add_committee_member(world.br1, member=people[1], position="secretary", started_on=START,
                                        actor=world.secretary)
    with pytest.raises(ValidationError, match="离任原因"):
        actions.do_end_committee_member(holder, on=dt.date(2024, 1, 1), reason="", actor=world.secretary)
    actions.do_end_committee_member(holder, on=dt.date(2024, 1, 1), reason="工作调动", actor=world.secretary)
    assert CommitteeMember.objects.filter(pk=holder.pk, ended_on=dt.date(2024, 1, 1)).exists()
    assert actions.do_add_committee_member(world.br1, member=people[1], position="secretary",
                                           started_on=dt.date(2024, 1, 2), actor=world.secretary).pk


def test_a_holder_must_be_a_member_of_the_organisation_with_voting_rights(world):
    outsider = world.members["BR3"][0]
    with pytest.raises(ValidationError, match="不是本组织"):
        actions.do_add_committee_member(world.br1, member=outsider, position="member", started_on=START,
                                        actor=world.organizer)
    probationary = add_member(world.br1, category="probationary", joined_on=dt.date(2025, 1, 1), converted_on=None)
    with pytest.raises(ValidationError, match="预备党员"):
        actions.do_add_committee_member(world.br1, member=probationary, position="member", started_on=dt.date(2025, 2, 1),
                                        actor=world.secretary)


def test_only_the_higher_organisation_appoints(world):
    member = world.members["BR1"][0]
    with pytest.raises(Http404):
        actions.do_add_committee_member(world.br1, member=member, position="secretary", started_on=START,
                                        source="appointed", actor=world.secretary)
    holder = actions.do_add_committee_member(world.br1, member=member, position="secretary", started_on=START,
                                             source="appointed", actor=world.committee_organizer)
    assert holder.approved_on == START and not holder.awaiting_approval


# -- by-elections --------------------------------------------------------------------------------------------------

def test_a_by_election_fills_a_vacancy_in_the_current_term_and_no_more(world):
    people = fill(world.br1, 7)
    actions.do_record_term(world.br1, started_on=dt.date(2024, 3, 1), seats=3, actor=world.secretary)
    for person, position in zip(people[:2], ("secretary", "organization_officer")):
        actions.do_add_committee_member(world.br1, member=person, position=position, started_on=dt.date(2024, 3, 1),
                                        actor=world.secretary)
    with pytest.raises(ValidationError, match="缺额（1 名）"):
        actions.do_create_election(world.br1, kind="by_election", held_on=dt.date(2025, 6, 1), seats=2,
                                   elect_secretary=False, actor=world.secretary)
    e = actions.do_create_election(world.br1, kind="by_election", held_on=dt.date(2025, 6, 1), seats=1,
                                   elect_secretary=False, actor=world.secretary)
    actions.do_set_candidates(e, candidates=[{"member": people[2], "position": "member", "duty": "publicity_officer"}],
                              actor=world.secretary)
    cand = e.candidates.get()
    actions.do_record_result(e, present_count=9, votes={cand.pk: 8}, actor=world.secretary)
    term = Term.objects.get(org=world.br1)
    assert term.number == 1 and term.ended_on is None  # a by-election opens no new term
    added = CommitteeMember.objects.get(member=people[2])
    assert (added.position, added.source, added.term_id) == ("publicity_officer", "by_election", term.pk)
    assert Election.objects.get(pk=e.pk).state == Election.State.ELECTED


def test_a_committee_cannot_approve_an_election_of_its_own_level(world):
    fill(world.sta, 6)
    from dangjian.members.models import Member

    people = list(Member.objects.filter(org=world.sta).order_by("id"))
    e = actions.do_create_election(world.sta, kind="general", held_on=dt.date(2025, 6, 1), seats=5,
                                   actor=world.committee_organizer)
    rows = [{"member": p, "position": "member"} for p in people] + [{"member": people[0], "position": "secretary"}]
    actions.do_set_candidates(e, candidates=rows, actor=world.committee_organizer)
    votes = {c.pk: (11 if c.position == "member" else 5) for c in e.candidates.all()}
    votes[e.candidates.get(member=people[5], position="member").pk] = 1
    assert e.due_count == 12  # the 党员大会 of a 党工委 is every member of its subtree
    e = actions.do_record_result(e, present_count=12, votes=votes, committee_present=5,
                                 actor=world.committee_organizer)
    with pytest.raises(Http404):
        actions.do_approve_election(e, on=dt.date(2025, 6, 2), actor=world.committee_organizer)
    actions.do_approve_election(e, on=dt.date(2025, 6, 2), actor=world.organizer)


# -- reminders -------------------------------------------------------------------------------------------------------

def test_reminders_come_six_and_two_months_before_the_end_and_overdue_after_it():
    term = Term(ends_on=dt.date(2026, 9, 30))
    assert reminder_stage(term, dt.date(2026, 3, 29)) is None
    assert reminder_stage(term, months_before(term.ends_on, 6)) == 6
    assert reminder_stage(term, dt.date(2026, 7, 29)) == 6
    assert reminder_stage(term, months_before(term.ends_on, 2)) == 2
    assert reminder_stage(term, term.ends_on) == 2
    assert reminder_stage(term, dt.date(2026, 10, 1)) == OVERDUE


def test_the_reminder_reaches_the_branch_secretary_and_the_higher_committee_but_not_a_sibling(world):
    today = dt.date.today()
    actions.do_record_term(world.br1, started_on=months_before(today, 36 - 1), actor=world.secretary)  # ends in ~1 month
    actions.do_record_term(world.br2, started_on=months_before(today, 36 + 2), actor=world.secretary2)  # overdue
    for user, titles in ((world.secretary, {"任期将在 2 个月内届满"}),
                         (world.committee_organizer, {"任期将在 2 个月内届满", "任期已届满未换届"}),
                         (world.organizer, {"任期将在 2 个月内届满", "任期已届满未换届"}),
                         (world.secretary2, {"任期已届满未换届"})):
        assert {i.title for i in attention_items(user, today)} == titles, user
    assert attention_items(world.member_user, today) == []


def test_the_overdue_list_covers_the_subtree_most_urgent_first(world):
    today = dt.date(2026, 1, 1)
    for org, actor, months in ((world.br1, world.secretary, 32), (world.br2, world.secretary2, 40),
                               (world.br3, world.organizer, 10)):
        actions.do_record_term(org, started_on=months_before(today, months), actor=actor)
    due = terms_needing_election(Term.objects.restrict(world.committee_organizer, "committee.view"), today)
    assert [(t.org.code, t.stage) for t in due] == [("BR2", OVERDUE), ("BR1", 6)]


def test_the_demo_organisation_has_a_term_ending_within_six_months_and_an_overdue_one(db):
    from django.core.management import call_command

    from dangjian.accounts.models import User

    call_command("seed", members=300)
    organizer = User.objects.get(username="demo_organizer")
    due = terms_needing_election(Term.objects.restrict(organizer, "committee.view"))
    assert {t.stage for t in due} >= {OVERDUE, 6}
    branch = User.objects.get(username="demo_secretary").role_assignments.get().org
    assert CommitteeMember.objects.filter(org=branch, position="secretary", ended_on__isnull=True,
                                          approved_on__isnull=False).exists()
    titles = {i.title for i in attention_items(organizer)}
    assert {"任期已届满未换届", "任期将在 6 个月内届满"} <= titles


def test_the_committee_page_shows_the_term_and_its_reminder(world, client):
    today = dt.date.today()
    actions.do_record_term(world.br1, started_on=months_before(today, 36 - 1), seats=3, actor=world.secretary)
    client.force_login(world.secretary)
    page = client.get(f"/orgs/{world.br1.pk}/committee/").content.decode()
    assert "第1届" in page and "任期将在 2 个月内届满" in page
    client.force_login(world.member_user)
    assert client.get(f"/orgs/{world.br1.pk}/committee/").status_code == 404
