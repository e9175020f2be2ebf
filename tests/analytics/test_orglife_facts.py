"""Organisational life writes its behaviour facts in the same transaction as the action: one attendance per member
present at a meeting recorded as held, the study hours it credits, one check-in per QR scan; a refused action and an
absent member leave none, and correcting a returned record writes no second set."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from dangjian.analytics.models import Fact
from dangjian.orglife import actions, checkin

from orglife.helpers import at, hold, schedule

pytestmark = pytest.mark.django_db
DAY = dt.date(2026, 3, 10)


def test_a_held_meeting_writes_attendance_and_study_facts_for_those_present_only(world):
    present = world.members["BR1"][:2]
    meeting = hold(world, world.br1, "party_lecture", DAY, present=present)
    attendance = Fact.objects.filter(kind="attendance").order_by("member_id")
    assert [(f.member_id, f.org_id, f.on, f.ref) for f in attendance] == [
        (m.pk, world.br1.pk, DAY, f"orglife.meeting:{meeting.pk}") for m in sorted(present, key=lambda m: m.pk)]
    study = Fact.objects.filter(kind="study")
    assert {f.member_id for f in study} == {m.pk for m in present}
    assert {f.quantity for f in study} == {meeting.study_hours} and meeting.study_hours > 0


def test_a_meeting_crediting_no_study_hours_writes_no_study_fact(world):
    meeting = schedule(world, world.br1, "theme_day", DAY)
    checkin.do_check_in_on_behalf(meeting, member=world.members["BR1"][0], actor=world.secretary)
    meeting = actions.do_record_meeting(meeting, topic=meeting.topic, minutes="会议传达学习了有关精神，并进行了讨论。",
                                        study_hours="0", actor=world.secretary)
    assert meeting.study_hours == 0
    assert Fact.objects.filter(kind="attendance").count() == 1 and not Fact.objects.filter(kind="study").exists()


def test_a_refused_record_leaves_no_fact_and_a_corrected_record_no_second_set(world):
    meeting = schedule(world, world.br1, "theme_day", DAY)
    with pytest.raises(ValidationError):  # nobody checked in
        actions.do_record_meeting(meeting, topic=meeting.topic, minutes="会议传达学习了有关精神，并进行了讨论。",
                                  actor=world.secretary)
    assert not Fact.objects.exists()
    checkin.do_check_in_on_behalf(meeting, member=world.members["BR1"][1], actor=world.secretary)
    meeting = actions.do_record_meeting(meeting, topic=meeting.topic, minutes="会议传达学习了有关精神，并进行了讨论。",
                                        actor=world.secretary)
    meeting = actions.do_record_meeting(meeting, topic="修改后的议题", minutes="会议传达学习了有关精神，并进行了讨论。",
                                        actor=world.secretary)
    assert Fact.objects.filter(kind="attendance").count() == 1


def test_a_qr_check_in_is_a_fact_and_a_refused_one_is_not(world):
    meeting = schedule(world, world.br1, "theme_day", DAY)
    now = at(2026, 3, 10, 9, 5)
    checkin.do_check_in(meeting, token=checkin.make_token(meeting, now), now=now, actor=world.member_user)
    fact = Fact.objects.get(kind="check_in")
    assert (fact.member_id, fact.org_id, fact.on, fact.quantity) == (world.own_member.pk, world.br1.pk, DAY,
                                                                     Decimal(1))
    with pytest.raises(ValidationError):
        checkin.do_check_in(meeting, token=checkin.make_token(meeting, now), now=now, actor=world.member_user)
    assert Fact.objects.filter(kind="check_in").count() == 1
