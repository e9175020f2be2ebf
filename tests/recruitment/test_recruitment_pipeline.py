"""A candidate walked through all the steps under each rule version; the archive follows admission and conversion."""

from __future__ import annotations

import datetime as dt

import pytest

from dangjian.core.models import AuditRecord
from dangjian.members.lifecycle_rules import party_standing_years
from dangjian.recruitment.choices import Stage, StepKind as K
from recruiting import SCHEDULE_2014, SCHEDULE_2026, candidate_2014, candidate_2026

pytestmark = pytest.mark.django_db


def test_candidate_walks_all_25_steps_to_full_member_under_2014_rules(world):
    candidate = candidate_2014(world)
    candidate.refresh_from_db()
    assert candidate.stage == Stage.FULL
    assert candidate.steps.count() == len(SCHEDULE_2014) + 1
    assert {s.rule_version for s in candidate.steps.all()} == {"2014"}
    member = candidate.member
    assert member.category == "full" and member.org_id == world.br1.pk
    assert member.joined_on == dt.date(2024, 7, 1)  # the branch meeting, not the approval
    assert member.converted_on == dt.date(2025, 7, 1)  # the end of probation: one year from the branch meeting
    assert member.activist_on == dt.date(2023, 4, 1) and member.development_target_on == dt.date(2024, 4, 2)
    assert party_standing_years(member, dt.date(2026, 7, 1)) == 1
    assert AuditRecord.objects.filter(action="recruitment.step", object_id=str(candidate.pk)).count() == len(SCHEDULE_2014)


def test_admission_approval_creates_the_member_archive_as_probationary(world):
    candidate = candidate_2014(world, until=K.OATH)
    candidate.refresh_from_db()
    assert candidate.stage == Stage.PROBATIONARY
    assert candidate.member.category == "probationary" and candidate.member.converted_on is None
    assert AuditRecord.objects.filter(action="member.create", object_id=str(candidate.member.pk)).exists()


def test_candidate_reaches_probationary_member_under_2026_rules(world):
    candidate = candidate_2026(world)
    candidate.refresh_from_db()
    assert candidate.stage == Stage.PROBATIONARY
    assert candidate.member.joined_on == dt.date(2026, 10, 28)
    assert candidate.steps.get(kind=K.TARGET_DETERMINATION).rule_version == "2026"


def test_demo_seeds_people_at_every_stage_through_the_rules(world):
    from dangjian.recruitment.demo import seed_recruitment
    from dangjian.recruitment.models import Candidate
    from dangjian.recruitment.queries import OVERDUE, deadlines

    assert seed_recruitment(world.br1, world.secretary, world.organizer) == 10
    stages = set(Candidate.objects.values_list("stage", flat=True))
    assert {Stage.APPLICANT, Stage.ACTIVIST, Stage.DEVELOPMENT_TARGET, Stage.PROBATIONARY, Stage.FULL} <= stages
    assert any(d.state == OVERDUE for d in deadlines(Candidate.objects.all()))


def test_next_step_follows_the_rule_version_and_ends_with_the_procedure(world):
    from dangjian.recruitment.queries import next_step

    assert next_step(candidate_2014(world, until=K.INTRODUCERS)) == K.INTRODUCERS.label
    assert next_step(candidate_2026(world, until=K.TARGET_CONSENT)) == K.TARGET_CONSENT.label
    done = candidate_2014(world)
    done.refresh_from_db()
    assert next_step(done) == ""
