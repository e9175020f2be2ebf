"""The organisation tree: allowed types, moves without cycles, dissolution only when empty."""

import datetime as dt
import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections

from dangjian.orgs import actions
from dangjian.orgs.models import Organization
from dangjian.orgs.queries import children_with_counts, subtree_member_counts


def create(world, parent, code, org_type, actor=None):
    return actions.do_create_organization(parent=parent, data={"code": code, "name": f"测试{code}", "org_type": org_type},
                                          actor=actor or world.organizer)


@pytest.mark.parametrize("parent_code, org_type, message", [
    ("BR1G1", "group", "党小组之下不能再设党组织"),
    ("BR1G1", "branch", "党小组之下不能再设党组织"),
    ("STA", "group", "不能设立党小组"),
    ("BR1", "branch", "党支部之下不能设立党支部"),
])
def test_disallowed_parent_child_combinations_are_refused_in_chinese(world, parent_code, org_type, message):
    parent = Organization.objects.get(code=parent_code)
    count = Organization.objects.count()
    with pytest.raises(ValidationError) as exc:
        create(world, parent, "NEW1", org_type)
    assert message in exc.value.message_dict["parent"][0]
    assert Organization.objects.count() == count


def test_a_group_may_stand_under_a_branch(world):
    group = create(world, world.br2, "BR2G1", "group")
    assert group.path.startswith(world.br2.path) and group.depth == world.br2.depth + 1


def test_root_must_be_a_committee_and_needs_an_all_scope_role(world):
    with pytest.raises(ValidationError):
        actions.do_create_organization(parent=None, data={"code": "ROOT2", "name": "x", "org_type": "committee"},
                                       actor=world.organizer)


def test_duplicate_code_is_refused(world):
    with pytest.raises(ValidationError) as exc:
        create(world, world.sta, "BR1", "branch")
    assert "code" in exc.value.message_dict


def test_moving_a_subtree_carries_its_children_and_members(world):
    actions.do_move_organization(world.sta, new_parent=world.stb, actor=world.organizer)
    stb = Organization.objects.get(code="STB")
    for code in ("STA", "BR1", "BR1G1", "BR2"):
        assert Organization.objects.get(code=code).path.startswith(stb.path)
    assert subtree_member_counts(Organization.objects.get(code="STB"))[Organization.objects.get(code="STA").path] == 6
    assert Organization.objects.find_problems() == ([], [], [], [], [])


def test_moving_under_its_own_descendant_is_refused(world):
    with pytest.raises(ValidationError) as exc:
        actions.do_move_organization(world.sta, new_parent=world.br1, actor=world.organizer)
    assert "下级组织" in exc.value.message_dict["parent"][0]
    with pytest.raises(ValidationError):
        actions.do_move_organization(world.sta, new_parent=world.sta, actor=world.organizer)


def test_moving_outside_ones_scope_is_not_found(world):
    from django.http import Http404

    with pytest.raises(Http404):
        actions.do_move_organization(world.br1, new_parent=world.stb, actor=world.committee_organizer)


@pytest.mark.django_db(transaction=True)
def test_concurrent_crossing_moves_never_make_a_cycle(world):
    a, b = Organization.objects.get(code="BR1"), Organization.objects.get(code="BR2")
    # Two sibling committees, each of which may stand under the other.
    ga = create(world, world.sta, "GA", "committee")
    gb = create(world, world.sta, "GB", "committee")
    outcomes = []
    barrier = threading.Barrier(2)

    def move(node, target):
        try:
            barrier.wait()
            actions.do_move_organization(node, new_parent=target, actor=world.organizer)
            outcomes.append("ok")
        except ValidationError:
            outcomes.append("refused")
        except Exception as exc:  # SQLite may report a busy database instead of waiting
            outcomes.append(type(exc).__name__)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=move, args=(ga, gb)), threading.Thread(target=move, args=(gb, ga))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["ok", "refused"], outcomes
    assert Organization.objects.find_problems() == ([], [], [], [], [])
    ga, gb = Organization.objects.get(code="GA"), Organization.objects.get(code="GB")
    assert not (ga.path.startswith(gb.path) and gb.path.startswith(ga.path))
    assert a.pk != b.pk and connection.vendor in ("sqlite", "postgresql")


def test_only_an_empty_organisation_can_be_dissolved(world):
    with pytest.raises(ValidationError) as exc:
        actions.do_dissolve_organization(world.br1, on=dt.date(2025, 1, 1), reason="合并", actor=world.organizer)
    assert "下级组织" in exc.value.messages[0]
    with pytest.raises(ValidationError) as exc:
        actions.do_dissolve_organization(world.br2, on=dt.date(2025, 1, 1), reason="合并", actor=world.organizer)
    assert "还有党员" in exc.value.messages[0]
    actions.do_dissolve_organization(world.br1g1, on=dt.date(2025, 1, 1), reason="合并", actor=world.organizer)
    g = Organization.objects.get(code="BR1G1")
    assert g.status == "dissolved" and g.dissolved_on == dt.date(2025, 1, 1) and g.dissolved_reason == "合并"


def test_dissolution_needs_a_reason(world):
    with pytest.raises(ValidationError) as exc:
        actions.do_dissolve_organization(world.br1g1, on=dt.date(2025, 1, 1), reason=" ", actor=world.organizer)
    assert "撤销原因" in exc.value.message_dict["dissolved_reason"][0]


def test_subtree_member_counts_come_from_one_query(world, django_assert_num_queries):
    dist = Organization.objects.get(code="DIST")
    with django_assert_num_queries(1):
        counts = subtree_member_counts(dist)
    assert counts == {world.sta.path: 6, world.stb.path: 3}


def test_children_with_counts_lists_one_level(world):
    children = children_with_counts(world.sta, Organization.objects.all())
    assert [(c.code, c.member_count) for c in children] == [("BR1", 3), ("BR2", 3)]


def test_stale_version_is_refused(world):
    actions.do_update_organization(world.br1, data={"contact_name": "甲"}, actor=world.organizer,
                                   expected_version=world.br1.version)
    with pytest.raises(ValidationError, match="已被他人修改"):
        actions.do_update_organization(world.br1, data={"contact_name": "乙"}, actor=world.organizer,
                                       expected_version=world.br1.version)


def all_scope_org_department(world):
    from dangjian.accounts import actions as account_actions

    user = account_actions.do_create_account(username="national", password=world.password)
    account_actions.do_assign_role(user, role="org_department", org=world.city, scope="all")
    user.forget_assignments()
    return user


@pytest.mark.parametrize("org_type", ["general_branch", "branch", "joint_branch", "temporary_branch", "group"])
def test_a_root_must_be_a_committee_or_working_committee(world, org_type):
    actor = all_scope_org_department(world)
    with pytest.raises(ValidationError) as exc:
        actions.do_create_organization(parent=None, data={"code": "R1", "name": "x", "org_type": org_type}, actor=actor)
    assert "必须设在上级党组织之下" in exc.value.message_dict["parent"][0]


@pytest.mark.parametrize("org_type", ["committee", "working_committee"])
def test_committees_may_stand_at_the_root(world, org_type):
    actor = all_scope_org_department(world)
    root = actions.do_create_organization(parent=None, data={"code": "R1", "name": "x", "org_type": org_type},
                                          actor=actor)
    assert root.depth == 1


@pytest.mark.parametrize("parent_type, child_type, allowed", [
    ("general_branch", "branch", True), ("general_branch", "joint_branch", True),
    ("general_branch", "temporary_branch", True), ("general_branch", "group", False),
    ("general_branch", "general_branch", False), ("general_branch", "committee", False),
    ("branch", "group", True), ("joint_branch", "group", True), ("temporary_branch", "group", True),
    ("temporary_branch", "branch", False), ("working_committee", "committee", True),
    ("committee", "general_branch", True),
])
def test_the_parent_child_table(world, parent_type, child_type, allowed):
    parent = create(world, world.stb, "P1", parent_type)  # STB is a 党工委: every parent type may stand under it
    if allowed:
        assert create(world, parent, "C1", child_type).depth == parent.depth + 1
    else:
        with pytest.raises(ValidationError) as exc:
            create(world, parent, "C1", child_type)
        assert "之下不能" in exc.value.message_dict["parent"][0]


def test_nothing_may_be_placed_under_a_dissolved_organisation(world):
    actions.do_dissolve_organization(world.br1g1, on=dt.date(2025, 1, 1), reason="合并", actor=world.organizer)
    with pytest.raises(ValidationError):
        create(world, Organization.objects.get(code="BR1G1"), "X1", "group")
    dissolved_branch = create(world, world.stb, "BRX", "branch")
    actions.do_dissolve_organization(dissolved_branch, on=dt.date(2025, 1, 1), reason="撤并", actor=world.organizer)
    with pytest.raises(ValidationError) as exc:
        actions.do_move_organization(world.br1g1, new_parent=Organization.objects.get(code="BRX"), actor=world.organizer)
    assert "已撤销" in exc.value.message_dict["parent"][0]


def test_a_move_obeys_the_type_table(world):
    with pytest.raises(ValidationError) as exc:
        actions.do_move_organization(world.br2, new_parent=world.br1, actor=world.organizer)
    assert "党支部之下不能设立党支部" in exc.value.message_dict["parent"][0]
    with pytest.raises(ValidationError) as exc:
        actions.do_move_organization(world.br1g1, new_parent=world.stb, actor=world.organizer)
    assert "不能设立党小组" in exc.value.message_dict["parent"][0]


def test_a_moved_branch_is_seen_by_its_new_superiors_and_not_its_old_ones(world):
    from dangjian.accounts import actions as account_actions
    from dangjian.members.models import Member

    stb_organizer = account_actions.do_create_account(username="stb_organizer", password=world.password)
    account_actions.do_assign_role(stb_organizer, role="committee_organizer", org=world.stb)
    stb_organizer.forget_assignments()
    assert Member.objects.restrict(stb_organizer, "member.view").count() == 3
    actions.do_move_organization(world.br2, new_parent=world.stb, actor=world.organizer)
    world.committee_organizer.forget_assignments()
    assert Member.objects.restrict(stb_organizer, "member.view").count() == 6
    assert Member.objects.restrict(world.committee_organizer, "member.view").count() == 3
    assert Member.objects.restrict(world.secretary2, "member.view").count() == 3  # the branch's own secretary


def test_a_move_is_audited_with_old_and_new_parent(world):
    from dangjian.core.models import AuditRecord

    old_path = world.br2.path
    moved = actions.do_move_organization(world.br2, new_parent=world.stb, actor=world.organizer)
    rec = AuditRecord.objects.get(action="org.move")
    assert rec.before == {"parent": world.sta.pk, "path": old_path}
    assert rec.after == {"parent": world.stb.pk, "path": moved.path}


def test_an_organisation_whose_members_have_all_left_may_be_dissolved(world):
    from dangjian.members import actions as member_actions

    for member in world.members["BR2"]:
        member_actions.do_change_member_status(member, status="transferred_out", on=dt.date(2025, 1, 1),
                                               reason="整建制转出", actor=world.secretary2)
    org = actions.do_dissolve_organization(world.br2, on=dt.date(2025, 2, 1), reason="单位撤销", actor=world.organizer)
    assert (org.status, org.dissolved_on, org.dissolved_reason) == ("dissolved", dt.date(2025, 2, 1), "单位撤销")
    assert Organization.objects.filter(pk=world.br2.pk).exists()  # kept, with its history


def test_a_parent_with_only_dissolved_children_and_no_members_may_be_dissolved(world):
    for code in ("BR3",):
        org = Organization.objects.get(code=code)
        from dangjian.members import actions as member_actions

        for member in world.members[code]:
            member_actions.do_change_member_status(member, status="transferred_out", on=dt.date(2025, 1, 1),
                                                   reason="转出", actor=world.organizer)
        actions.do_dissolve_organization(org, on=dt.date(2025, 1, 2), reason="撤销", actor=world.organizer)
    stb = actions.do_dissolve_organization(world.stb, on=dt.date(2025, 1, 3), reason="撤销", actor=world.organizer)
    assert stb.status == "dissolved"


def test_dissolving_twice_is_refused(world):
    actions.do_dissolve_organization(world.br1g1, on=dt.date(2025, 1, 1), reason="合并", actor=world.organizer)
    with pytest.raises(ValidationError) as exc:
        actions.do_dissolve_organization(Organization.objects.get(code="BR1G1"), on=dt.date(2025, 1, 1), reason="再次",
                                         actor=world.organizer)
    assert exc.value.message_dict["status"] == ["该组织已撤销"]


def test_a_branch_secretary_cannot_dissolve_or_move(world):
    from django.http import Http404

    with pytest.raises(Http404):
        actions.do_dissolve_organization(world.br1g1, on=dt.date(2025, 1, 1), reason="x", actor=world.secretary)
    with pytest.raises(Http404):
        actions.do_move_organization(world.br1g1, new_parent=world.br2, actor=world.secretary)


def test_subtree_counts_skip_members_who_left_and_count_every_level(world):
    from dangjian.members import actions as member_actions

    member_actions.do_change_member_status(world.members["BR2"][0], status="deceased", on=dt.date(2025, 1, 1),
                                           reason="病故", actor=world.secretary2)
    city = Organization.objects.get(code="CITY")
    assert subtree_member_counts(city) == {world.dist.path: 8}
    assert subtree_member_counts(Organization.objects.get(code="STA")) == {world.br1.path: 3, world.br2.path: 2}
    assert subtree_member_counts(Organization.objects.get(code="BR1")) == {}
