"""Votes at a 支部党员大会 (支部条例 第十一条): present voting > ½ of those due; yes > ½ of those due; 预备党员 and
members under 留党察看 have no vote."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from dangjian.members.models import DisciplinaryAction
from dangjian.orglife.actions import do_record_vote

from .helpers import add_members, hold

pytestmark = pytest.mark.django_db
DAY = dt.date(2026, 3, 10)


@pytest.fixture
def branch(world):
    """BR1 with 8 voting members (3 + 5), a 预备党员 and a member under 留党察看."""
    voters = world.members["BR1"] + add_members(world.br1, 5)
    probationary = add_members(world.br1, 1, category="probationary", joined_on=dt.date(2025, 9, 1),
                               converted_on=None)[0]
    disciplined = add_members(world.br1, 1)[0]
    DisciplinaryAction.objects.create(member=disciplined, kind="probation_within_party", decided_on=dt.date(2025, 6, 1),
                                      deciding_body="区纪委", starts_on=dt.date(2025, 6, 1), ends_on=dt.date(2027, 6, 1),
                                      reason="测试", recorded_by=world.secretary)
    return voters, probationary, disciplined


def meeting_with(world, present):
    return hold(world, world.br1, "general_meeting", DAY, present=present)


def test_four_of_eight_voting_members_present_is_no_quorum_even_with_non_voting_members_there(world, branch):
    voters, probationary, disciplined = branch
    meeting = meeting_with(world, voters[:4] + [probationary, disciplined])
    with pytest.raises(ValidationError) as exc:
        do_record_vote(meeting, motion="接收预备党员", yes=4, no=0, abstain=0, actor=world.secretary)
    assert "应到会有表决权的党员 8 人，实到 4 人，未超过半数" in str(exc.value)
    assert not meeting.votes.exists()


def test_five_of_eight_present_is_a_quorum_and_four_yes_votes_fail_exactly_half(world, branch):
    voters, _, _ = branch
    meeting = meeting_with(world, voters[:5])
    vote = do_record_vote(meeting, motion="接收预备党员", yes=4, no=1, abstain=0, actor=world.secretary)
    assert (vote.due_count, vote.present_voting, vote.passed) == (8, 5, False)


def test_five_yes_votes_of_eight_due_pass(world, branch):
    voters, _, _ = branch
    meeting = meeting_with(world, voters[:5])
    assert do_record_vote(meeting, motion="接收预备党员", yes=5, no=0, abstain=0, actor=world.secretary).passed


def test_probationary_members_and_members_under_probation_within_party_are_excluded_with_their_reason(world, branch):
    voters, probationary, disciplined = branch
    meeting = meeting_with(world, voters + [probationary, disciplined])
    vote = do_record_vote(meeting, motion="推荐优秀党员", yes=8, no=0, abstain=0, actor=world.secretary)
    reasons = {row["id"]: row["reason"] for row in vote.excluded}
    assert set(reasons) == {probationary.pk, disciplined.pk}
    assert "预备党员" in reasons[probationary.pk] and "留党察看" in reasons[disciplined.pk]
    assert vote.due_count == 8


def test_with_seven_voting_members_due_four_present_is_a_quorum(world):
    voters = world.members["BR1"] + add_members(world.br1, 4)
    meeting = meeting_with(world, voters[:4])
    vote = do_record_vote(meeting, motion="表决事项", yes=4, no=0, abstain=0, actor=world.secretary)
    assert vote.passed and vote.due_count == 7


def test_more_ballots_than_voting_members_present_are_refused(world, branch):
    voters, _, _ = branch
    meeting = meeting_with(world, voters[:5])
    with pytest.raises(ValidationError) as exc:
        do_record_vote(meeting, motion="表决事项", yes=5, no=1, abstain=0, actor=world.secretary)
    assert "超过实到会有表决权的 5 人" in str(exc.value)


def test_only_a_general_meeting_votes(world):
    meeting = hold(world, world.br1, "party_lecture", DAY)
    with pytest.raises(ValidationError) as exc:
        do_record_vote(meeting, motion="表决事项", yes=3, no=0, abstain=0, actor=world.secretary)
    assert "只有支部党员大会进行表决" in str(exc.value)
