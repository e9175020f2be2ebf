"""The organisation tree as a state machine (battery T5e): random sequences of create, move, dissolve, add member
and member exit. After every step the tree is sound (no cycle, every node reaches a root, treebeard finds no
problem), every action succeeded exactly when an independent oracle says it should, no dissolved organisation
holds active members or active children, and the grouped subtree counts add up."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from hypothesis import HealthCheck, settings, strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from dangjian.accounts import actions as account_actions
from dangjian.members import actions as member_actions
from dangjian.members.models import Member
from dangjian.orgs import actions
from dangjian.orgs.choices import ALLOWED_CHILDREN, BRANCH_TYPES, OrgType
from dangjian.orgs.models import Organization
from dangjian.orgs.queries import subtree_member_counts
from factories import PASSWORD, member_data

TYPES = [t.value for t in OrgType]


class TreeMachine(RuleBasedStateMachine):
    actor = None
    counter = 0

    def __init__(self):
        super().__init__()
        self.sid = transaction.savepoint()
        TreeMachine.counter += 1
        self.root = actions.do_create_organization(
            parent=None, data={"code": f"ROOT{TreeMachine.counter}", "name": "根", "org_type": "committee"},
            actor=self.actor)
        self.codes = 0

    def teardown(self):
        transaction.savepoint_rollback(self.sid)

    # -- helpers -------------------------------------------------------------------------------------------------
    def nodes(self):
        return list(Organization.objects.filter(path__startswith=self.root.path).order_by("path"))

    def pick(self, data, label):
        return data.draw(st.sampled_from(self.nodes()), label=label)

    def new_code(self):
        self.codes += 1
        return f"N{TreeMachine.counter}x{self.codes}"

    # -- rules ---------------------------------------------------------------------------------------------------
    @rule(data=st.data(), any_type=st.booleans())
    def create(self, data, any_type):
        parent = self.pick(data, "parent")
        fitting = sorted(ALLOWED_CHILDREN[parent.org_type])
        org_type = data.draw(st.sampled_from(TYPES if any_type or not fitting else fitting), label="org_type")
        expected = parent.is_active and org_type in ALLOWED_CHILDREN[parent.org_type]
        try:
            child = actions.do_create_organization(parent=parent, data={"code": self.new_code(), "name": "组织",
                                                                         "org_type": org_type}, actor=self.actor)
        except ValidationError as exc:
            assert not expected, exc
            return
        assert expected
        assert child.path.startswith(Organization.objects.get(pk=parent.pk).path) and child.depth == parent.depth + 1

    @rule(data=st.data(), any_target=st.booleans())
    def move(self, data, any_target):
        movable = [n for n in self.nodes() if n.depth > 1]  # the root of this machine stays put
        if not movable:
            return
        node = data.draw(st.sampled_from(movable), label="node")
        fitting = [n for n in self.nodes() if node.org_type in ALLOWED_CHILDREN[n.org_type] and n.is_active
                   and not n.path.startswith(node.path) and n.path != node.path[:-Organization.steplen]]
        target = data.draw(st.sampled_from(self.nodes() if any_target or not fitting else fitting), label="target")
        current_parent = node.path[:-Organization.steplen]
        expected = (not target.path.startswith(node.path) and target.path != current_parent
                    and target.is_active and node.org_type in ALLOWED_CHILDREN[target.org_type])
        members_before = Member.objects.filter(org__path__startswith=node.path).count()
        try:
            moved = actions.do_move_organization(node, new_parent=target, actor=self.actor)
        except ValidationError as exc:
            assert not expected, exc
            return
        assert expected
        target = Organization.objects.get(pk=target.pk)
        assert moved.path.startswith(target.path) and moved.depth == target.depth + 1
        assert Member.objects.filter(org__path__startswith=moved.path).count() == members_before

    @rule(data=st.data())
    def dissolve(self, data):
        node = self.pick(data, "node")
        if node.depth == 1:
            return
        busy_children = Organization.objects.filter(path__startswith=node.path, status="active").exclude(pk=node.pk)
        busy_members = Member.objects.filter(org__path__startswith=node.path, status="normal")
        expected = node.is_active and not busy_children.exists() and not busy_members.exists()
        try:
            actions.do_dissolve_organization(node, on=dt.date.today(), reason="调整", actor=self.actor)
        except ValidationError as exc:
            assert not expected, exc
            return
        assert expected

    @rule(data=st.data())
    def add_member(self, data):
        org = self.pick(data, "org")
        expected = org.is_active and org.org_type != OrgType.GROUP
        try:
            member_actions.do_create_member(data=member_data(), org=org, actor=self.actor)
        except ValidationError as exc:
            assert not expected, exc
            return
        assert expected

    @rule(data=st.data())
    def member_leaves(self, data):
        members = list(Member.objects.filter(org__path__startswith=self.root.path, status="normal"))
        if not members:
            return
        member = data.draw(st.sampled_from(members), label="member")
        member_actions.do_change_member_status(member, status="transferred_out", on=dt.date(2025, 6, 1),
                                               reason="转出", actor=self.actor)

    # -- invariants ----------------------------------------------------------------------------------------------
    @invariant()
    def tree_is_sound(self):
        assert Organization.objects.find_problems() == ([], [], [], [], [])
        nodes = self.nodes()
        paths = {n.path for n in nodes}
        for n in nodes:
            assert len(n.path) == n.depth * Organization.steplen
            if n.depth > 1:
                assert n.path[:-Organization.steplen] in paths, "a node lost its parent"

    @invariant()
    def dissolved_organisations_are_empty(self):
        for n in self.nodes():
            if not n.is_active:
                assert not Organization.objects.filter(path__startswith=n.path, status="active").exclude(pk=n.pk).exists()
                assert not Member.objects.filter(org__path__startswith=n.path, status="normal").exists()

    @invariant()
    def members_sit_in_organisations_that_may_hold_them(self):
        for m in Member.objects.filter(org__path__startswith=self.root.path).select_related("org"):
            assert m.org.org_type != OrgType.GROUP

    @invariant()
    def grouped_counts_add_up(self):
        counts = subtree_member_counts(Organization.objects.get(pk=self.root.pk))
        direct = Member.objects.filter(org=self.root, status="normal").count()
        total = Member.objects.filter(org__path__startswith=self.root.path, status="normal").count()
        assert sum(counts.values()) + direct == total


def test_random_sequences_of_tree_operations_keep_every_invariant(db):
    actor = account_actions.do_create_account(username="national", password=PASSWORD)
    # An all-scope organisation department may create roots; it is granted at a root of its own.
    anchor = Organization.objects.add_root(instance=Organization(code="ANCHOR", name="锚", org_type="committee"))
    account_actions.do_assign_role(actor, role="org_department", org=anchor, scope="all")
    actor.forget_assignments()
    TreeMachine.actor = actor
    run_state_machine_as_test(TreeMachine, settings=settings(
        max_examples=40, stateful_step_count=30, deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much]))


def test_branch_types_are_the_ones_that_take_groups():
    assert {t for t, children in ALLOWED_CHILDREN.items() if OrgType.GROUP in children} == set(BRANCH_TYPES)

