"""One test per shipped warning rule, with data just inside and just outside each threshold."""

from __future__ import annotations

import datetime as dt

import pytest

from dangjian.alerts.rules import REGISTRY
from dangjian.members.models import Absence, MobileRecord
from dangjian.members.periods import add_months
from dangjian.members.rules import add_years
from dangjian.orgs.models import Term
from dangjian.orgs.setup_checks import RULE_LABELS

from .helpers import ON, hits, levels_by_member, levels_by_org, secretary_for, unpaid_months

pytestmark = pytest.mark.django_db


def test_every_setup_check_every_kind_of_organisational_life_and_the_recruitment_limits_are_warning_rules():
    from dangjian.orglife.choices import MeetingKind

    assert {f"setup.{code}" for code in RULE_LABELS} <= set(REGISTRY)
    assert {f"orglife.{kind}" for kind in MeetingKind.values if kind != "heart_talk"} <= set(REGISTRY)
    assert {"orglife.study_hours", "recruitment_overdue"} <= set(REGISTRY)
    for rule in REGISTRY.values():
        assert rule.name and rule.citation, rule.code


def test_a_term_overdue_is_red_and_one_ending_within_six_months_is_yellow(world):
    Term.objects.create(org=world.br1, number=1, started_on=dt.date(2023, 6, 14), ends_on=ON - dt.timedelta(days=1))
    Term.objects.create(org=world.br2, number=1, started_on=dt.date(2023, 12, 15), ends_on=add_months(ON, 6))
    Term.objects.create(org=world.br3, number=1, started_on=dt.date(2023, 12, 16),
                        ends_on=add_months(ON, 6) + dt.timedelta(days=1))
    assert levels_by_org("term_due") == {world.br1.pk: "red", world.br2.pk: "yellow"}


def test_a_term_ending_today_is_not_yet_overdue(world):
    Term.objects.create(org=world.br1, number=1, started_on=dt.date(2023, 6, 15), ends_on=ON)
    assert levels_by_org("term_due") == {world.br1.pk: "yellow"}


def test_a_branch_without_a_secretary_is_red_and_one_with_a_secretary_is_not(world):
    secretary_for(world.br1, world.members["BR1"][0])
    found = levels_by_org("setup.no_secretary")
    assert found[world.br2.pk] == "red"
    assert world.br1.pk not in found


def test_a_branch_needs_three_full_members(world):
    probationary = world.members["BR2"][0]
    probationary.category, probationary.joined_on, probationary.converted_on = "probationary", dt.date(2026, 1, 1), None
    probationary.save()
    found = levels_by_org("setup.branch_few_full_members")
    assert found.get(world.br2.pk) == "red"  # 2 full members
    assert world.br1.pk not in found  # exactly 3


def test_dues_unpaid_for_three_months_is_yellow_and_for_six_months_red(world):
    m1, m2, m3 = world.members["BR1"]
    n1, n2, n3 = world.members["BR2"]
    unpaid_months(world, m1, 2)
    unpaid_months(world, m2, 3)
    unpaid_months(world, m3, 5)
    unpaid_months(world, n1, 6)
    found = levels_by_member("dues_arrears")
    assert found == {m2.pk: "yellow", m3.pk: "yellow", n1.pk: "red"}
    evidence = next(h for h in hits("dues_arrears") if h.member_id == n1.pk).evidence
    assert evidence["consecutive"] == 6 and len(evidence["months"]) == 6


def test_probation_ended_without_conversion_is_yellow_then_red_after_the_grace_months(world):
    ended_yesterday, ends_today = world.members["BR1"][:2]
    cutoff = add_years(ON, -1)
    just_in_grace = world.members["BR2"][0]
    long_over = world.members["BR2"][1]
    grace_start = add_years(add_months(ON, -3), -1)
    for member, joined in ((ended_yesterday, cutoff - dt.timedelta(days=1)), (ends_today, cutoff),
                           (just_in_grace, grace_start), (long_over, grace_start - dt.timedelta(days=1))):
        member.category, member.joined_on, member.converted_on = "probationary", joined, None
        member.save()
    assert levels_by_member("probation_overdue") == {
        ended_yesterday.pk: "yellow", just_in_grace.pk: "yellow", long_over.pk: "red"}


def test_lost_contact_is_yellow_and_after_six_months_a_proposal_is_due_red(world):
    six_months, almost = world.members["BR1"][:2]
    for member, since in ((six_months, add_months(ON, -6)), (almost, add_months(ON, -6) + dt.timedelta(days=1))):
        Absence.objects.create(member=member, kind=Absence.Kind.LOST_CONTACT, since=since, recorded_by=world.secretary)
    assert levels_by_member("lost_contact") == {six_months.pk: "red", almost.pk: "yellow"}


def test_a_mobile_certificate_not_reviewed_within_a_year_is_yellow(world):
    late, on_time = world.members["BR1"][:2]
    for member, issued in ((late, add_months(ON, -12) - dt.timedelta(days=1)), (on_time, add_months(ON, -12))):
        MobileRecord.objects.create(member=member, home_org=world.br1, destination="深圳", out_since=issued,
                                    reason="务工", certificate_issued_on=issued, registered_by=world.secretary)
    assert levels_by_member("mobile_review_overdue") == {late.pk: "yellow"}
