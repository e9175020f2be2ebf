"""Organisation setup checks (组织设置): each rule fires just past its boundary and not at it, names the rule it
breaks with the regulation, and is read through the scope (page and API)."""
from __future__ import annotations

import datetime as dt

import pytest

from dangjian.orgs import setup_checks
from dangjian.orgs.models import CommitteeMember, GroupMembership, JointBranchUnit, Organization
from dangjian.orgs.setup_checks import Rule, setup_findings
from governance import add_member, fill, months_before

ON = dt.date(2026, 1, 1)


def new_org(parent, code, org_type="branch"):
    node = Organization.objects.add_child(Organization.objects.get(pk=parent.pk),
                                          instance=Organization(code=code, name=f"{code}支部", org_type=org_type))
    return Organization.objects.get(pk=node.pk)


def codes(org, on=ON):
    return {f.code for f in setup_findings(Organization.objects.filter(pk=org.pk), on=on)}


def seat(org, members, first_secretary=True):
    for i, member in enumerate(members):
        CommitteeMember.objects.create(org=org, member=member, started_on=dt.date(2024, 1, 1), source="recorded",
                                       position="secretary" if (i == 0 and first_secretary) else "member")


def test_a_branch_with_fewer_than_three_full_members_is_reported_and_three_is_enough(world):
    small, enough = new_org(world.sta, "SMALL"), new_org(world.sta, "ENOUGH")
    fill(small, 2)
    add_member(small, category="probationary", joined_on=months_before(ON, 3), converted_on=None)
    fill(enough, 3)
    finding = next(f for f in setup_findings(small, on=ON) if f.code == Rule.BRANCH_FEW_FULL_MEMBERS)
    assert (finding.level, finding.value, finding.limit) == ("red", 2, 3)
    assert "不足 3 人" in finding.message and "支部工作条例" in finding.citation
    assert Rule.BRANCH_FEW_FULL_MEMBERS not in codes(enough)


def test_a_branch_of_more_than_fifty_members_is_reported_and_fifty_is_not(world):
    big, limit = new_org(world.sta, "BIG"), new_org(world.sta, "LIMIT")
    fill(big, 51)
    fill(limit, 50)
    assert Rule.BRANCH_TOO_LARGE in codes(big)
    assert Rule.BRANCH_TOO_LARGE not in codes(limit)


def test_seven_full_members_need_a_committee_and_six_do_not(world):
    seven, six = new_org(world.sta, "SEVEN"), new_org(world.sta, "SIX")
    people = fill(seven, 7)
    seat(seven, people[:1])
    seat(six, fill(six, 6)[:1])
    assert Rule.COMMITTEE_REQUIRED in codes(seven)
    assert Rule.COMMITTEE_REQUIRED not in codes(six)
    seat(seven, people[1:3], first_secretary=False)  # now secretary + 2 members = a committee of 3
    assert Rule.COMMITTEE_REQUIRED not in codes(seven)


def test_a_committee_of_eight_is_reported_and_seven_is_not(world):
    eight, seven = new_org(world.sta, "EIGHT"), new_org(world.sta, "SEVENC")
    seat(eight, fill(eight, 8))
    seat(seven, fill(seven, 7))
    finding = next(f for f in setup_findings(eight, on=ON) if f.code == Rule.COMMITTEE_SIZE)
    assert (finding.value, finding.limit, finding.level) == (8, 7, "yellow")
    assert Rule.COMMITTEE_SIZE not in codes(seven)


def test_a_general_branch_committee_below_five_is_reported(world):
    general = new_org(world.sta, "GEN", "general_branch")
    seat(general, fill(general, 4))
    assert Rule.COMMITTEE_SIZE in codes(general)
    CommitteeMember.objects.create(org=general, member=add_member(general), started_on=dt.date(2024, 1, 1),
                                   source="recorded", position="member")
    assert Rule.COMMITTEE_SIZE not in codes(general)


def test_a_joint_branch_covering_six_units_is_reported_and_five_is_not(world):
    joint = new_org(world.sta, "JOINT", "joint_branch")
    for i in range(5):
        JointBranchUnit.objects.create(org=joint, name=f"单位{i}", added_on=dt.date(2024, 1, 1))
    assert Rule.JOINT_BRANCH_TOO_MANY_UNITS not in codes(joint)
    sixth = JointBranchUnit.objects.create(org=joint, name="单位5", added_on=dt.date(2024, 1, 1))
    assert Rule.JOINT_BRANCH_TOO_MANY_UNITS in codes(joint)
    sixth.removed_on = dt.date(2025, 1, 1)
    sixth.save()
    assert Rule.JOINT_BRANCH_TOO_MANY_UNITS not in codes(joint)  # a unit that left is not counted


def test_an_organisation_without_a_secretary_in_office_is_reported(world):
    assert Rule.NO_SECRETARY in codes(world.br1)
    holder = CommitteeMember.objects.create(org=world.br1, member=world.members["BR1"][0], position="secretary",
                                            started_on=dt.date(2024, 1, 1), source="recorded")
    assert Rule.NO_SECRETARY not in codes(world.br1)
    holder.ended_on = dt.date(2025, 6, 1)
    holder.save()
    assert Rule.NO_SECRETARY in codes(world.br1)
    assert Rule.NO_SECRETARY not in codes(world.br1, on=dt.date(2025, 5, 31))  # as it stood that day


def test_an_empty_group_is_reported_until_a_member_is_placed_in_it(world):
    assert codes(world.br1g1) == {Rule.EMPTY_GROUP}
    GroupMembership.objects.create(group=world.br1g1, member=world.members["BR1"][0], started_on=dt.date(2024, 1, 1))
    assert codes(world.br1g1) == set()


def test_a_member_recorded_as_full_before_probation_ends_is_reported_and_not_counted_as_full(world):
    branch = new_org(world.sta, "PROB")
    fill(branch, 2)
    early = add_member(branch, category="full", joined_on=months_before(ON, 11), converted_on=None)
    finding = next(f for f in setup_findings(branch, on=ON) if f.code == Rule.PROBATIONARY_AS_FULL)
    assert finding.members == (early.pk,) and early.name in finding.message and finding.level == "red"
    few = next(f for f in setup_findings(branch, on=ON) if f.code == Rule.BRANCH_FEW_FULL_MEMBERS)
    assert few.value == 2  # the wrongly recorded member does not make up the three
    add_member(new_org(world.sta, "PROB2"), category="full", joined_on=months_before(ON, 12), converted_on=None)
    assert Rule.PROBATIONARY_AS_FULL not in codes(Organization.objects.get(code="PROB2"))


def test_findings_cover_the_subtree_of_an_organisation_and_name_the_rule(world):
    findings = setup_findings(world.sta, on=ON)
    assert {f.org.code for f in findings} == {"STA", "BR1", "BR1G1", "BR2"}
    assert all(f.label == setup_checks.RULE_LABELS[f.code] and f.citation for f in findings)


def test_the_findings_page_and_api_answer_by_scope(world, client):
    client.force_login(world.secretary)
    page = client.get(f"/orgs/{world.br1.pk}/setup/")
    assert page.status_code == 200 and "党小组没有党员" in page.content.decode()
    assert client.get(f"/orgs/{world.br2.pk}/setup/").status_code == 404
    data = client.get(f"/api/v1/setup-findings/?org={world.br1.pk}&on=2026-01-01").json()
    assert {row["code"] for row in data} == {Rule.NO_SECRETARY, Rule.EMPTY_GROUP}
    assert all(row["citation"] and row["message"] for row in data)
    assert client.get(f"/api/v1/setup-findings/?org={world.br2.pk}").status_code == 404
    assert client.get("/api/v1/setup-findings/").status_code == 400
    client.force_login(world.member_user)
    assert client.get(f"/orgs/{world.br1.pk}/setup/").status_code == 404


def test_group_members_and_joint_branch_units_are_recorded_through_the_actions(world):
    from django.core.exceptions import ValidationError

    from dangjian.orgs import setup_records

    member = world.members["BR1"][0]
    placed = setup_records.do_add_group_member(world.br1g1, member=member, started_on=dt.date(2024, 1, 1),
                                               is_leader=True, actor=world.secretary)
    with pytest.raises(ValidationError, match="已编入党小组"):
        setup_records.do_add_group_member(world.br1g1, member=member, started_on=dt.date(2024, 1, 1),
                                          actor=world.secretary)
    with pytest.raises(ValidationError, match="不是本党小组所在支部"):
        setup_records.do_add_group_member(world.br1g1, member=world.members["BR2"][0], started_on=dt.date(2024, 1, 1),
                                          actor=world.organizer)
    with pytest.raises(ValidationError, match="不能早于编入日期"):
        setup_records.do_end_group_membership(placed, on=dt.date(2023, 1, 1), actor=world.secretary)
    setup_records.do_end_group_membership(placed, on=dt.date(2025, 1, 1), actor=world.secretary)
    assert Rule.EMPTY_GROUP in codes(world.br1g1)
    joint = new_org(world.sta, "JNT", "joint_branch")
    with pytest.raises(ValidationError, match="只有联合党支部"):
        setup_records.do_add_joint_branch_unit(world.br1, name="某公司", added_on=dt.date(2024, 1, 1),
                                               actor=world.secretary)
    unit = setup_records.do_add_joint_branch_unit(joint, name="某公司", added_on=dt.date(2024, 1, 1),
                                                  actor=world.committee_organizer)
    setup_records.do_remove_joint_branch_unit(unit, on=dt.date(2025, 1, 1), actor=world.committee_organizer)
    with pytest.raises(ValidationError, match="已移出"):
        setup_records.do_remove_joint_branch_unit(unit, on=dt.date(2025, 2, 1), actor=world.committee_organizer)
