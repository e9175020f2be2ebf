"""Required vs held per kind and period: quarter ends, committees formed mid-period, 党小组, combined meetings."""

from __future__ import annotations

import datetime as dt

import pytest

from dangjian.orglife.queries import compliance, rollup
from dangjian.orgs.models import Organization

from .helpers import committee, hold, place_in_group, schedule

pytestmark = pytest.mark.django_db
D = dt.date


def status(world, org, kind, on, year=None):
    rows = compliance(Organization.objects.filter(pk=org.pk), year or on.year, on)
    return next((k for k in rows[0].kinds if k.kind == kind), None)


def test_a_general_meeting_on_the_last_day_of_a_quarter_counts_for_that_quarter_not_the_next(world):
    hold(world, world.br1, "general_meeting", D(2025, 3, 31))
    s = status(world, world.br1, "general_meeting", D(2025, 7, 1))
    assert [span.label for span in s.required] == ["2025年第1季度", "2025年第2季度"]
    assert [span.label for span in s.missing] == ["2025年第2季度"]
    assert s.current.label == "2025年第3季度" and not s.current_held


def test_a_meeting_on_the_first_day_of_a_quarter_counts_for_the_new_quarter(world):
    hold(world, world.br1, "general_meeting", D(2025, 4, 1))
    s = status(world, world.br1, "general_meeting", D(2025, 7, 1))
    assert [span.label for span in s.missing] == ["2025年第1季度"]


def test_a_quarter_is_in_progress_on_its_last_day_and_missing_the_day_after(world):
    on_last_day = status(world, world.br1, "general_meeting", D(2025, 3, 31))
    assert on_last_day.missing == [] and on_last_day.current.label == "2025年第1季度"
    assert on_last_day.days_left == 0
    next_day = status(world, world.br1, "general_meeting", D(2025, 4, 1))
    assert [span.label for span in next_day.missing] == ["2025年第1季度"]


def test_a_branch_without_a_committee_owes_no_committee_meeting(world):
    assert status(world, world.br1, "committee_meeting", D(2025, 7, 1)) is None


def test_a_committee_formed_mid_month_owes_its_first_meeting_the_following_month(world):
    committee(world.br1, world.members["BR1"], since=D(2025, 3, 15))
    s = status(world, world.br1, "committee_meeting", D(2025, 5, 1))
    assert [span.label for span in s.required] == ["2025年4月"]
    assert [span.label for span in s.missing] == ["2025年4月"]
    assert s.current.label == "2025年5月"


def test_a_committee_formed_mid_quarter_owes_the_months_after_but_not_the_quarter_it_began_in(world):
    committee(world.br1, world.members["BR1"], since=D(2025, 2, 10))
    hold(world, world.br1, "committee_meeting", D(2025, 3, 20))
    s = status(world, world.br1, "committee_meeting", D(2025, 4, 1))
    assert [span.label for span in s.required] == ["2025年3月"]
    assert s.missing == []


def test_a_committee_formed_on_the_first_day_of_a_month_owes_that_month(world):
    committee(world.br1, world.members["BR1"], since=D(2025, 3, 1))
    s = status(world, world.br1, "committee_meeting", D(2025, 4, 1))
    assert [span.label for span in s.missing] == ["2025年3月"]


def test_a_committee_below_three_members_is_no_committee(world):
    committee(world.br1, world.members["BR1"][:2], since=D(2025, 1, 1))
    assert status(world, world.br1, "committee_meeting", D(2025, 4, 1)) is None


def test_a_group_with_members_owes_a_monthly_group_meeting_and_an_empty_group_none(world):
    s = compliance(Organization.objects.filter(pk=world.br1g1.pk), 2025, D(2025, 4, 1))[0]
    assert s.kinds == []
    place_in_group(world.br1g1, world.members["BR1"][:2], since=D(2025, 1, 1))
    hold(world, world.br1g1, "group_meeting", D(2025, 2, 5))
    g = status(world, world.br1g1, "group_meeting", D(2025, 4, 1))
    assert [span.label for span in g.missing] == ["2025年1月", "2025年3月"]


def test_a_theme_day_combined_with_a_general_meeting_counts_for_both(world):
    hold(world, world.br1, "theme_day", D(2025, 2, 20), also_counts_as=["general_meeting"])
    on = D(2025, 4, 1)
    assert status(world, world.br1, "general_meeting", on).missing == []
    assert [span.label for span in status(world, world.br1, "theme_day", on).missing] == ["2025年1月", "2025年3月"]


def test_planned_and_cancelled_meetings_do_not_count(world):
    schedule(world, world.br1, "party_lecture", D(2025, 2, 1))
    from dangjian.orglife.actions import do_cancel_meeting

    do_cancel_meeting(schedule(world, world.br1, "party_lecture", D(2025, 3, 1)), reason="天气原因", actor=world.secretary)
    assert [span.label for span in status(world, world.br1, "party_lecture", D(2025, 4, 1)).missing] == ["2025年第1季度"]


def test_the_life_meeting_is_due_by_the_end_of_the_year_and_missing_only_after_it(world):
    s = status(world, world.br1, "life_meeting", D(2025, 12, 31))
    assert s.missing == [] and s.current.label == "2025年"
    after = status(world, world.br1, "life_meeting", D(2026, 1, 1), year=2025)
    assert [span.label for span in after.missing] == ["2025年"]
    hold(world, world.br1, "life_meeting", D(2025, 12, 30))
    assert status(world, world.br1, "life_meeting", D(2026, 1, 1), year=2025).missing == []


def test_a_branch_founded_mid_quarter_first_owes_the_next_quarter(world):
    Organization.objects.filter(pk=world.br2.pk).update(founded_on=D(2025, 2, 1))
    s = status(world, Organization.objects.get(pk=world.br2.pk), "general_meeting", D(2025, 7, 1))
    assert [span.label for span in s.required] == ["2025年第2季度"]


def test_the_roll_up_sums_the_branches_below_each_organisation(world):
    hold(world, world.br1, "general_meeting", D(2025, 2, 1))
    on = D(2025, 4, 1)
    rows = compliance(Organization.objects.filter(path__startswith=world.dist.path), 2025, on)
    buckets = {b.org.pk: b for b in rollup(world.dist, rows, Organization.objects.all())}
    sta, stb, top = buckets[world.sta.pk], buckets[world.stb.pk], buckets[world.dist.pk]
    assert (sta.required["general_meeting"], sta.held["general_meeting"], sta.missing["general_meeting"]) == (2, 1, 1)
    assert (stb.required["general_meeting"], stb.missing["general_meeting"]) == (1, 1)
    assert top.missing["general_meeting"] == 2 and top.orgs == 4  # BR1, its group, BR2, BR3
