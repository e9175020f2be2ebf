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
