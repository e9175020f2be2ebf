"""Organisation import: upsert on the code, parents before children, the tree's rules enforced."""
from __future__ import annotations

import pytest

from dangjian.core.models import AuditRecord
from dangjian.exchange import actions
from dangjian.exchange.models import ImportJob
from dangjian.orgs.models import Organization

from .conftest import xlsx

pytestmark = pytest.mark.django_db
HEAD = ["组织代码", "组织名称", "上级组织代码", "组织类别", "成立时间"]


def start(world, rows, *, actor=None, org=None, keep_valid=False):
    return actions.do_start_import(kind="orgs", file_name="组织.xlsx", data=xlsx([HEAD, *rows]),
                                   root_org=org or world.sta, actor=actor or world.committee_organizer,
                                   keep_valid=keep_valid, commit=True, run_now=True)


def errors_of(job):
    return {(r.row_number, c, reason) for r in job.rows.filter(outcome="error") for c, reason in r.errors}


def test_children_listed_before_their_parents_are_created_under_them(world):
    job = start(world, [
        ["GB1G", "第一党小组", "GB1B1", "党小组", "2020-01-01"],
        ["GB1B1", "中共某总支第一支部委员会", "GB1", "党支部", "2020-01-01"],
        ["GB1", "中共某总支部委员会", "", "党总支", "2019-05-04"],
        ["GB1B2", "中共某总支第二支部委员会", "中共某总支部委员会", "支部", None],
    ])
    assert job.state == ImportJob.State.DONE, (job.message, errors_of(job))
    assert job.new_count == 4
    general = Organization.objects.get(code="GB1")
    assert Organization.objects.get_parent(general) == world.sta
    assert Organization.objects.get_parent(Organization.objects.get(code="GB1B1")) == general
    assert Organization.objects.get_parent(Organization.objects.get(code="GB1B2")) == general
    assert Organization.objects.get_parent(Organization.objects.get(code="GB1G")).code == "GB1B1"
    assert AuditRecord.objects.filter(action="org.create").count() == 4


def test_reimporting_organisations_changes_nothing(world):
    rows = [["GB1", "中共某总支部委员会", "", "党总支", "2019-05-04"], ["GB1B1", "第一支部", "GB1", "党支部", None]]
    start(world, rows)
    again = start(world, rows)
    assert (again.state, again.new_count, again.updated_count, again.unchanged_count) == (ImportJob.State.DONE, 0, 0, 2)


def test_tree_rules_are_enforced_with_the_reason(world):
    job = start(world, [["G9", "一个党小组", "", "党小组", None], ["X9", "某党委", "BR1", "党委", None]])
    errors = errors_of(job)
    assert job.state == ImportJob.State.VALIDATED and job.new_count == 0
    assert any(row == 2 and "之下不能设立党小组" in reason for row, _, reason in errors)
    assert any(row == 3 and "党支部之下不能设立党委" in reason for row, _, reason in errors)
    assert not Organization.objects.filter(code__in=["G9", "X9"]).exists()


def test_existing_organisation_is_updated_but_never_moved_by_an_import(world):
    job = start(world, [["BR1", "中共东华街道第一支部委员会（更名）", "", "党支部", None],
                        ["BR2", "中共东华街道第二支部委员会", "BR1", "党支部", None]])
    errors = errors_of(job)
    assert (3, "上级组织代码", "调整上级党组织请使用“调整隶属关系”功能，导入不改变已有组织的位置") in errors
    job = start(world, [["BR1", "中共东华街道第一支部委员会（更名）", "", "党支部", None]])
    assert job.updated_count == 1
    world.br1.refresh_from_db()
    assert world.br1.name.endswith("（更名）")


def test_organisations_outside_scope_cannot_be_named_or_changed(world):
    job = start(world, [["BR3", "改名", "", "党支部", None], ["NEW1", "新支部", "STB", "党支部", None]])
    errors = errors_of(job)
    assert any(row == 2 and "管理范围以外" in reason for row, _, reason in errors)
    assert any(row == 3 and "不在本次导入的范围内" in reason for row, _, reason in errors)


def test_a_cycle_of_parents_in_the_file_fails_with_the_chain(world):
    job = start(world, [["A1", "甲", "B1", "党委", None], ["B1", "乙", "A1", "党委", None]])
    assert job.state == ImportJob.State.FAILED
    assert "循环" in job.message


def test_duplicate_codes_in_the_file_are_reported(world):
    job = start(world, [["D1", "甲支部", "", "党支部", None], ["d1", "乙支部", "", "党支部", None]])
    assert (3, "组织代码", "与第 2 行的组织代码重复") in errors_of(job)
