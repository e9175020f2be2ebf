"""The recruitment time-limit rule: data just inside and just outside each threshold."""

from __future__ import annotations

import datetime as dt

import pytest

from dangjian.alerts.rules import REGISTRY
from dangjian.recruitment.choices import StepKind as K
from recruiting import apply, candidate_2014

pytestmark = pytest.mark.django_db
D = dt.date


def levels(on):
    return {(h.evidence["candidate_id"], h.evidence["deadline"]): (h.level, h.org_id)
            for h in REGISTRY["recruitment_overdue"].evaluate(on)}


def test_application_talk_is_yellow_within_the_reminder_and_red_after_one_month(world):
    candidate = apply(world, D(2023, 1, 31))  # talk due by 28 February 2023
    assert (candidate.pk, "application_talk") not in levels(D(2023, 2, 13))
    assert levels(D(2023, 2, 14))[(candidate.pk, "application_talk")] == ("yellow", world.br1.pk)
    assert levels(D(2023, 2, 28))[(candidate.pk, "application_talk")][0] == "yellow"
    assert levels(D(2023, 3, 1))[(candidate.pk, "application_talk")][0] == "red"


def test_admission_approval_is_red_at_the_committee_after_three_months(world):
    candidate = candidate_2014(world, until=K.COMMITTEE_TALK)  # branch meeting 1 July 2024
    assert levels(D(2024, 10, 1))[(candidate.pk, "admission_approval")] == ("yellow", world.sta.pk)
    assert levels(D(2024, 10, 2))[(candidate.pk, "admission_approval")] == ("red", world.sta.pk)
    past_six = levels(D(2025, 1, 2))
    assert past_six[(candidate.pk, "admission_approval_limit")] == ("red", world.sta.pk)
    assert (candidate.pk, "admission_approval") not in past_six


def test_conversion_discussion_is_red_the_day_after_probation_ends(world):
    candidate = candidate_2014(world, until=K.CONVERSION_MEETING)  # probation ends 1 July 2025
    assert levels(D(2025, 7, 1))[(candidate.pk, "conversion_meeting")][0] == "yellow"
    assert levels(D(2025, 7, 2))[(candidate.pk, "conversion_meeting")][0] == "red"


def test_recorded_step_clears_its_time_limit(world):
    candidate = candidate_2014(world, until=K.ACTIVIST_DETERMINATION)
    assert (candidate.pk, "application_talk") not in levels(D(2023, 3, 10))


def test_a_probationer_with_a_recruitment_file_is_followed_by_the_recruitment_rule_only(world):
    """One problem, one finding: the conversion deadline of a 预备党员 admitted here (with any postponement) is
    the recruitment rule's; `probation_overdue` covers only those without a file (imported records)."""
    candidate = candidate_2014(world, until=K.CONVERSION_MEETING)  # probation ends 1 July 2025
    candidate.refresh_from_db()
    member = candidate.member
    assert (member.category, member.joined_on) == ("probationary", D(2024, 7, 1))  # would be found without the file
    imported = world.members["BR2"][0]
    imported.category, imported.joined_on, imported.converted_on = "probationary", D(2024, 7, 1), None
    imported.save()
    probation = {h.member_id for h in REGISTRY["probation_overdue"].evaluate(D(2025, 7, 2))}
    assert imported.pk in probation and candidate.member_id not in probation
    assert levels(D(2025, 7, 2))[(candidate.pk, "conversion_meeting")][0] == "red"
