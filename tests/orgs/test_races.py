"""Concurrent structural changes (battery T6e, K4): separate connections, real transactions.

On PostgreSQL the tree is serialised by an advisory lock and row locks; on SQLite every write transaction is
IMMEDIATE, so writers queue. Either way: no cycle, no lost node, no member left in a dissolved organisation,
and no deadlock surfacing as an error.
"""

from __future__ import annotations

import datetime as dt
import threading
import time

import pytest
from django.core.exceptions import ValidationError
from django.db import connections

from dangjian.members import actions as member_actions
from dangjian.members.choices import MemberStatus
from dangjian.members.models import Member
from dangjian.orgs import actions
from dangjian.orgs.models import Organization
from factories import member_data

pytestmark = pytest.mark.django_db(transaction=True)


def run_together(*calls, stagger: float = 0.0):
    """Run each call in its own thread and connection; return what each returned or raised."""
    outcomes: list = [None] * len(calls)
    barrier = threading.Barrier(len(calls))

    def runner(i, call):
        try:
            barrier.wait()
            time.sleep(stagger * i)
            outcomes[i] = ("ok", call())
        except ValidationError as exc:
            outcomes[i] = ("refused", exc)
        except Exception as exc:  # noqa: BLE001 - any other error is a failure the test reports
            outcomes[i] = ("error", exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=runner, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return outcomes


def assert_tree_sound():
    assert Organization.objects.find_problems() == ([], [], [], [], [])
    paths = list(Organization.objects.values_list("path", "depth"))
    assert all(len(path) == depth * Organization.steplen for path, depth in paths)
    known = {path for path, _ in paths}
    assert all(path[:-Organization.steplen] in known for path, depth in paths if depth > 1), "orphaned node"


def create(world, parent, code, org_type):
    return actions.do_create_organization(parent=parent, data={"code": code, "name": f"测试{code}", "org_type": org_type},
                                          actor=world.organizer)


def test_crossing_moves_repeated_never_make_a_cycle(world):
    for round_ in range(5):
        ga = create(world, world.sta, f"GA{round_}", "committee")
        gb = create(world, world.sta, f"GB{round_}", "committee")
        outcomes = run_together(
            lambda: actions.do_move_organization(ga, new_parent=gb, actor=world.organizer),
            lambda: actions.do_move_organization(gb, new_parent=ga, actor=world.organizer),
        )
        kinds = sorted(kind for kind, _ in outcomes)
        assert kinds == ["ok", "refused"], outcomes
        refused = next(value for kind, value in outcomes if kind == "refused")
        assert "下级组织" in refused.message_dict["parent"][0]
        ga, gb = Organization.objects.get(pk=ga.pk), Organization.objects.get(pk=gb.pk)
        assert ga.path.startswith(gb.path) != gb.path.startswith(ga.path)
        assert_tree_sound()


def test_adding_a_child_while_its_parent_moves_neither_deadlocks_nor_misplaces_the_child(world, monkeypatch):
    """The create locks the parent, the move locks the tree and rewrites the parent's path: taken in opposite
    orders these two deadlock on PostgreSQL. Both must succeed and the child must land under the moved parent."""
    from dangjian.orgs import actions as module

    original = module.check_parent_type

    def slow_check(org_type, parent):  # widen the window between the create's two locks
        original(org_type, parent)
        if org_type == "group":
            time.sleep(0.5)

    monkeypatch.setattr(module, "check_parent_type", slow_check)
    outcomes = run_together(
        lambda: create(world, world.br1, "BR1G2", "group"),
        lambda: actions.do_move_organization(world.sta, new_parent=world.stb, actor=world.organizer),
        stagger=0.15,
    )
    assert [kind for kind, _ in outcomes] == ["ok", "ok"], outcomes
    br1 = Organization.objects.get(code="BR1")
    group = Organization.objects.get(code="BR1G2")
    assert br1.path.startswith(Organization.objects.get(code="STB").path)
    assert group.path.startswith(br1.path) and group.depth == br1.depth + 1
    assert_tree_sound()


def test_a_member_cannot_be_added_to_an_organisation_being_dissolved(world, monkeypatch):
    """Dissolution checks that no member is left; a member added at the same moment must either come first
    (and stop the dissolution) or be refused (the organisation is gone) — never both succeed."""
    for member in world.members["BR2"]:
        member_actions.do_change_member_status(member, status="transferred_out", on=dt.date(2025, 1, 1),
                                               reason="转出", actor=world.secretary2)
    from dangjian.members.actions import archive as module

    original = module.check_member

    def slow_check(member):  # the member's checks pass, then time passes before the insert
        original(member)
        time.sleep(0.5)

    monkeypatch.setattr(module, "check_member", slow_check)
    br2 = Organization.objects.get(code="BR2")
    outcomes = run_together(
        lambda: member_actions.do_create_member(data=member_data(), org=br2, actor=world.secretary2),
        lambda: actions.do_dissolve_organization(br2, on=dt.date(2025, 2, 1), reason="撤销", actor=world.organizer),
        stagger=0.15,
    )
    assert "error" not in [kind for kind, _ in outcomes], outcomes
    assert sorted(kind for kind, _ in outcomes) == ["ok", "refused"], outcomes
    br2 = Organization.objects.get(code="BR2")
    active_members = Member.objects.filter(org=br2, status=MemberStatus.NORMAL).count()
    assert (br2.status == "dissolved") == (active_members == 0)


def test_two_organisations_renamed_to_the_same_code_at_once_get_a_chinese_refusal_not_an_error(world, monkeypatch):
    from dangjian.orgs import actions as module

    original = module._validate

    def slow_validate(org, exclude=None):  # both pass the uniqueness check before either writes
        original(org, exclude)
        time.sleep(0.4)

    monkeypatch.setattr(module, "_validate", slow_validate)
    outcomes = run_together(
        lambda: actions.do_update_organization(world.br1, data={"code": "SAME"}, actor=world.organizer),
        lambda: actions.do_update_organization(world.br2, data={"code": "SAME"}, actor=world.organizer),
    )
    assert sorted(kind for kind, _ in outcomes) == ["ok", "refused"], outcomes
    refused = next(value for kind, value in outcomes if kind == "refused")
    assert "code" in refused.message_dict
    assert Organization.objects.filter(code="SAME").count() == 1
