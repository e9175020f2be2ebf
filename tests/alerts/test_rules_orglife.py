"""The warning rules of organisational life: each kind not held in its period (red once the period has ended,
yellow within the reminder days before its end), 组织生活会 / 民主评议 not held this year, study hours behind pace."""

from __future__ import annotations

import datetime as dt

import pytest

from dangjian.alerts.rules import REGISTRY
from orglife.helpers import committee, hold, place_in_group

from .helpers import hits, levels_by_member, levels_by_org

pytestmark = pytest.mark.django_db
D = dt.date


def test_every_kind_of_organisational_life_and_study_hours_is_a_rule_with_a_citation():
    codes = {c for c in REGISTRY if c.startswith("orglife.")}
    assert codes == {"orglife.general_meeting", "orglife.committee_meeting", "orglife.group_meeting",
                     "orglife.party_lecture", "orglife.theme_day", "orglife.life_meeting",
                     "orglife.democratic_appraisal", "orglife.study_hours"}
    assert all(REGISTRY[c].citation for c in codes)


def test_general_meeting_missing_last_quarter_is_red_and_held_is_not(world):
    hold(world, world.br1, "general_meeting", D(2026, 6, 30))  # the last day of Q2
    found = levels_by_org("orglife.general_meeting", on=D(2026, 7, 1))
    assert found[world.br2.pk] == "red" and world.br1.pk not in found


def test_general_meeting_due_within_fifteen_days_of_the_quarter_end_is_yellow(world):
    hold(world, world.br1, "general_meeting", D(2026, 3, 2))
    assert world.br1.pk not in levels_by_org("orglife.general_meeting", on=D(2026, 6, 15))  # 15 days left
    assert levels_by_org("orglife.general_meeting", on=D(2026, 6, 16))[world.br1.pk] == "yellow"  # 14 days left


def test_the_first_quarter_looks_back_to_last_years_fourth_quarter(world):
    hold(world, world.br1, "general_meeting", D(2025, 12, 31))
    found = levels_by_org("orglife.general_meeting", on=D(2026, 1, 1))
    assert world.br1.pk not in found and found[world.br2.pk] == "red"


def test_committee_meeting_is_owed_only_once_the_committee_stood_a_whole_month(world):
    committee(world.br1, world.members["BR1"], since=D(2026, 5, 15))
    assert world.br1.pk not in levels_by_org("orglife.committee_meeting", on=D(2026, 6, 1))
    assert levels_by_org("orglife.committee_meeting", on=D(2026, 7, 1))[world.br1.pk] == "red"


def test_group_meeting_missing_last_month_is_red_for_the_group(world):
    place_in_group(world.br1g1, world.members["BR1"][:2], since=D(2026, 1, 1))
    hold(world, world.br1g1, "group_meeting", D(2026, 4, 30))
    assert world.br1g1.pk not in levels_by_org("orglife.group_meeting", on=D(2026, 5, 1))
    assert levels_by_org("orglife.group_meeting", on=D(2026, 6, 1))[world.br1g1.pk] == "red"


def test_party_lecture_missing_last_quarter_is_red(world):
    hold(world, world.br1, "party_lecture", D(2026, 1, 1))
    found = levels_by_org("orglife.party_lecture", on=D(2026, 4, 1))
    assert world.br1.pk not in found and found[world.br3.pk] == "red"


def test_theme_day_missing_last_month_is_red_and_the_finding_names_the_month(world):
    hold(world, world.br1, "theme_day", D(2026, 5, 31))
    found = {h.org_id: h for h in hits("orglife.theme_day", on=D(2026, 6, 1))}
    assert world.br1.pk not in found
    assert found[world.br2.pk].level == "red" and "2026年5月" in found[world.br2.pk].message


def test_life_meeting_not_held_last_year_is_red_and_in_the_last_quarter_yellow(world):
    hold(world, world.br1, "life_meeting", D(2025, 12, 20))
    red = levels_by_org("orglife.life_meeting", on=D(2026, 1, 5))
    assert world.br1.pk not in red and red[world.br2.pk] == "red"
    assert world.br1.pk not in levels_by_org("orglife.life_meeting", on=D(2026, 9, 30))  # 92 days left
    assert levels_by_org("orglife.life_meeting", on=D(2026, 10, 1))[world.br1.pk] == "yellow"  # 91 days left


def test_democratic_appraisal_decided_last_year_clears_the_warning(world):
    from dangjian.orglife import appraisals

    appraisal = appraisals.do_open_appraisal(world.br1, year=2025, actor=world.secretary)
    appraisals.do_decide_appraisal(appraisal, grades={m.pk: "qualified" for m in world.members["BR1"]},
                                   decided_on=D(2025, 12, 28), actor=world.secretary)
    found = levels_by_org("orglife.democratic_appraisal", on=D(2026, 1, 5))
    assert world.br1.pk not in found and found[world.br2.pk] == "red"


def test_study_hours_at_pace_are_fine_below_it_yellow_and_below_half_of_it_red(world):
    m1, m2, m3 = world.members["BR1"]
    # By 2026-04-01 three months are complete: the pace is 32 × 3/12 = 8 学时; red below 4.
    hold(world, world.br1, "party_lecture", D(2026, 1, 10), present=[m1], hours=6)  # 8 学时
    hold(world, world.br1, "party_lecture", D(2026, 2, 10), present=[m2], hours=3)  # 4 学时
    hold(world, world.br1, "party_lecture", D(2026, 3, 10), present=[m3], hours=2.9)  # 3.9 学时
    (found,) = [h for h in hits("orglife.study_hours", on=D(2026, 4, 1)) if h.org_id == world.br1.pk]
    assert found.level == "red" and found.member_id is None
    assert set(found.evidence["member_ids"]) == {m2.pk, m3.pk} and found.evidence["behind_half"] == [m3.pk]
    assert found.evidence["hours"] == {str(m2.pk): "4.0", str(m3.pk): "3.9"}
    hold(world, world.br1, "party_lecture", D(2026, 3, 20), present=[m3], hours=0.1)  # m3 reaches 4.0: yellow
    (found,) = [h for h in hits("orglife.study_hours", on=D(2026, 4, 1)) if h.org_id == world.br1.pk]
    assert found.level == "yellow" and found.evidence["behind_half"] == []


def test_a_branch_where_everyone_is_at_pace_has_no_study_hours_warning(world):
    for i, m in enumerate(world.members["BR2"]):
        hold(world, world.br2, "party_lecture", D(2026, 1, 10 + i), present=[m], hours=6, actor=world.secretary2)
    assert world.br2.pk not in levels_by_org("orglife.study_hours", on=D(2026, 4, 1))
    assert world.br1.pk in levels_by_org("orglife.study_hours", on=D(2026, 4, 1))


def test_no_study_hours_warning_in_january(world):
    assert levels_by_org("orglife.study_hours", on=D(2026, 1, 31)) == {}
