"""民主评议 (优秀 ≤ ⅓, 预备党员 without a grade, 不合格 opens a follow-up), 谈心谈话 coverage, attendance and study hours."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from dangjian.orglife import appraisals
from dangjian.orglife.models import FollowUpItem
from dangjian.orglife.queries import member_year, talk_coverage

from .helpers import add_members, committee, hold

pytestmark = pytest.mark.django_db
D = dt.date


@pytest.fixture
def six(world):
    """BR1 with 6 full members and a 预备党员."""
    full = world.members["BR1"] + add_members(world.br1, 3)
    probationary = add_members(world.br1, 1, category="probationary", joined_on=D(2025, 9, 1), converted_on=None)[0]
    return full, probationary


def grades_for(full, excellent: int, rest="qualified"):
    return {m.pk: ("excellent" if i < excellent else rest) for i, m in enumerate(full)}


def test_at_most_a_third_of_the_members_graded_may_be_excellent(world, six):
    full, probationary = six
    appraisal = appraisals.do_open_appraisal(world.br1, year=2025, actor=world.secretary)
    with pytest.raises(ValidationError) as exc:
        appraisals.do_decide_appraisal(appraisal, grades=grades_for(full, 3), decided_on=D(2026, 1, 10),
                                       actor=world.secretary)
    assert "评定为优秀的 3 人，超过参评党员 6 人的三分之一（最多 2 人）" in str(exc.value)
    decided = appraisals.do_decide_appraisal(appraisal, grades=grades_for(full, 2), decided_on=D(2026, 1, 10),
                                             actor=world.secretary)
    assert decided.state == "decided"


def test_the_probationary_member_takes_part_without_a_grade_and_is_not_counted_in_the_third(world, six):
    full, probationary = six
    appraisal = appraisals.do_open_appraisal(world.br1, year=2025, actor=world.secretary)
    entry = appraisal.entries.get(member=probationary)
    assert entry.probationary
    with pytest.raises(ValidationError) as exc:
        appraisals.do_decide_appraisal(appraisal, grades={**grades_for(full, 2), probationary.pk: "qualified"},
                                       decided_on=D(2026, 1, 10), actor=world.secretary)
    assert "预备党员参加评议但不评定等次" in str(exc.value)


def test_every_full_member_needs_a_grade(world, six):
    full, _ = six
    appraisal = appraisals.do_open_appraisal(world.br1, year=2025, actor=world.secretary)
    with pytest.raises(ValidationError) as exc:
        appraisals.do_decide_appraisal(appraisal, grades=grades_for(full[:-1], 1), decided_on=D(2026, 1, 10),
                                       actor=world.secretary)
    assert f"尚未评定等次：{full[-1].name}" in str(exc.value)


def test_an_unqualified_grade_opens_a_follow_up_item(world, six):
    full, _ = six
    appraisal = appraisals.do_open_appraisal(world.br1, year=2025, actor=world.secretary)
    grades = {**grades_for(full, 1), full[-1].pk: "unqualified"}
    appraisals.do_decide_appraisal(appraisal, grades=grades, decided_on=D(2026, 1, 10), actor=world.secretary)
    item = FollowUpItem.objects.get()
    assert item.member == full[-1] and item.closed_on is None and "不合格" in item.title
    appraisals.do_close_follow_up(item, on=D(2026, 3, 1), note="经教育帮助，已改正", actor=world.secretary)
    item.refresh_from_db()
    assert item.closed_on == D(2026, 3, 1)


def test_one_appraisal_per_branch_and_year(world, six):
    appraisals.do_open_appraisal(world.br1, year=2025, actor=world.secretary)
    with pytest.raises(ValidationError) as exc:
        appraisals.do_open_appraisal(world.br1, year=2025, actor=world.secretary)
    assert "已经开启" in str(exc.value)


def test_the_talk_category_follows_from_the_committee_and_coverage_counts_pairs_and_members(world, six):
    full, _ = six
    committee(world.br1, full[:3], since=D(2025, 1, 1))
    day = D(2025, 6, 1)
    a = appraisals.do_record_talk(world.br1, held_on=day, initiator=full[0], counterpart=full[1], topic="工作交流",
                                  actor=world.secretary)
    b = appraisals.do_record_talk(world.br1, held_on=day, initiator=full[0], counterpart=full[3], topic="思想交流",
                                  actor=world.secretary)
    c = appraisals.do_record_talk(world.br1, held_on=day, initiator=full[4], counterpart=full[5], topic="互帮互学",
                                  actor=world.secretary)
    assert (a.category, b.category, c.category) == ("committee_committee", "committee_member", "member_member")
    cov = {row.category: (row.talks, row.covered, row.total) for row in talk_coverage(world.br1, 2025, D(2025, 12, 31))}
    assert cov["committee_committee"] == (1, 1, 3)  # 1 of the 3 pairs among 3 committee members
    assert cov["committee_member"] == (1, 1, 4)  # 1 of the 4 members outside the committee
    assert cov["member_member"] == (1, 2, 7)


def test_a_talk_with_someone_outside_the_branch_or_with_oneself_is_refused(world):
    m = world.members["BR1"][0]
    with pytest.raises(ValidationError) as exc:
        appraisals.do_record_talk(world.br1, held_on=D(2025, 6, 1), initiator=m, counterpart=m, topic="谈话",
                                  actor=world.secretary)
    assert "不能是同一人" in str(exc.value)
    with pytest.raises(ValidationError) as exc:
        appraisals.do_record_talk(world.br1, held_on=D(2025, 6, 1), initiator=m, counterpart=world.members["BR2"][0],
                                  topic="谈话", actor=world.secretary)
    assert "不是本支部党员" in str(exc.value)


def test_study_hours_count_the_meetings_attended_and_attendance_excludes_approved_leave(world):
    from dangjian.orglife import actions
    from .helpers import schedule

    m1, m2, _ = world.members["BR1"]
    hold(world, world.br1, "party_lecture", D(2025, 3, 1), hours=3)  # 4 学时 (180 / 45)
    hold(world, world.br1, "theme_day", D(2025, 4, 1), present=[m2], hours=1.5)  # 2 学时, m1 absent
    leave = schedule(world, world.br1, "general_meeting", D(2025, 5, 1))
    actions.do_record_leave(leave, member=m1, approved=True, reason="住院", actor=world.secretary)
    from dangjian.orglife import checkin
    checkin.do_check_in_on_behalf(leave, member=m2, actor=world.secretary)
    actions.do_record_meeting(leave, topic="党员大会", minutes="会议讨论了支部年度工作计划。", actor=world.secretary)
    y1, y2 = member_year(m1, 2025), member_year(m2, 2025)
    assert (y1.due, y1.present, y1.leave, y1.study_hours) == (3, 1, 1, Decimal("4.0"))
    assert y1.rate == 0.5  # 1 present of 2 (the approved leave does not count against)
    assert y2.study_hours == Decimal("6.0") + Decimal("2.7")  # 2 h general meeting = 2.7 学时
    assert y1.hours_short == Decimal("28.0")


def test_a_member_writes_their_own_self_assessment_and_nobody_elses(world, six):
    appraisal = appraisals.do_open_appraisal(world.br1, year=2025, actor=world.secretary)
    mine = appraisal.entries.get(member=world.own_member)
    other = appraisal.entries.exclude(member=world.own_member).first()
    appraisals.do_submit_self_assessment(mine, text="本年度按时参加组织生活，认真学习。", actor=world.member_user)
    mine.refresh_from_db()
    assert mine.self_assessment == "本年度按时参加组织生活，认真学习。"
    with pytest.raises(ValidationError) as exc:
        appraisals.do_submit_self_assessment(other, text="替别人写的个人自评内容。", actor=world.member_user)
    assert "只能填写本人的个人自评" in str(exc.value)
