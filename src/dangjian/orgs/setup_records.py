"""Writes for the records the setup checks read: members placed in a 党小组, and the units a 联合党支部 covers.

Same house rules as `orgs.committees`: one transaction, scope (404 outside), a Chinese reason, an audit record.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from dangjian.accounts import roles
from dangjian.core import audit
from dangjian.members.choices import MemberStatus
from dangjian.members.models import Member

from .choices import OrgType
from .committees import _check_date, _end_errors, _locked, _locked_org
from .models import GroupMembership, JointBranchUnit, Organization

# -- 党小组 members and the units of a joint branch --------------------------------------------------------------

@transaction.atomic
def do_add_group_member(group, *, member, started_on: dt.date, is_leader: bool = False, actor) -> GroupMembership:
    """Place a member of the branch in one of its 党小组 (支部工作条例 第十三条); a member is in one group at a time."""
    group = _locked_org(group, actor, roles.COMMITTEE_MANAGE)
    errors: dict = {}
    _check_date(started_on, "started_on", errors)
    if group.org_type != OrgType.GROUP:
        errors["__all__"] = "只能向党小组编入党员"
    branch = Organization.objects.get_parent(group)
    member = Member.objects.filter(pk=getattr(member, "pk", None)).first()
    if member is None:
        errors["member"] = "请选择党员"
    elif branch is None or member.org_id != branch.pk or member.status != MemberStatus.NORMAL:
        errors["member"] = f"{member.name}不是本党小组所在支部的党员"
    elif GroupMembership.objects.filter(member=member, ended_on__isnull=True).exists():
        errors["member"] = f"{member.name}已编入党小组，请先调出"
    if not errors and is_leader and GroupMembership.objects.filter(group=group, ended_on__isnull=True,
                                                                   is_leader=True).exists():
        errors["is_leader"] = "本党小组已有党小组长"
    if errors:
        raise ValidationError(errors)
    try:
        with transaction.atomic():
            placed = GroupMembership.objects.create(group=group, member=member, started_on=started_on,
                                                    is_leader=is_leader)
    except IntegrityError:
        raise ValidationError({"member": f"{member.name}已编入党小组，请先调出"}) from None
    audit.record("group.add", actor=actor, obj=group, after={"member": member.pk, "leader": is_leader},
                 detail=f"{group}：编入{member.name}" + ("（党小组长）" if is_leader else ""))
    return placed


@transaction.atomic
def do_end_group_membership(placed, *, on: dt.date, actor) -> GroupMembership:
    placed = _locked(GroupMembership, placed, actor, roles.COMMITTEE_MANAGE)
    errors = _end_errors(placed, on, start="started_on", end="ended_on", done="该党员已调出",
                         too_early="调出日期不能早于编入日期")
    if errors:
        raise ValidationError(errors)
    placed.ended_on = on
    placed.version += 1
    placed.save()
    audit.record("group.end", actor=actor, obj=placed.group, after={"member": placed.member_id, "ended_on": on.isoformat()},
                 detail=f"{placed.group}：调出{placed.member.name}")
    return placed


@transaction.atomic
def do_add_joint_branch_unit(org, *, name: str, added_on: dt.date, actor) -> JointBranchUnit:
    """Record a unit covered by a 联合党支部 (the setup check counts them)."""
    org = _locked_org(org, actor, roles.COMMITTEE_MANAGE)
    errors: dict = {}
    _check_date(added_on, "added_on", errors)
    name = (name or "").strip()
    if org.org_type != OrgType.JOINT_BRANCH:
        errors["__all__"] = "只有联合党支部需要登记覆盖的单位"
    if len(name) < 2:
        errors["name"] = "请填写单位名称"
    elif JointBranchUnit.objects.filter(org=org, name=name, removed_on__isnull=True).exists():
        errors["name"] = "该单位已经登记"
    if errors:
        raise ValidationError(errors)
    unit = JointBranchUnit.objects.create(org=org, name=name[:100], added_on=added_on)
    audit.record("joint_unit.add", actor=actor, obj=org, after={"unit": unit.pk, "name": unit.name},
                 detail=f"{org}：覆盖单位增加“{unit.name}”")
    return unit


@transaction.atomic
def do_remove_joint_branch_unit(unit, *, on: dt.date, actor) -> JointBranchUnit:
    unit = _locked(JointBranchUnit, unit, actor, roles.COMMITTEE_MANAGE)
    errors = _end_errors(unit, on, start="added_on", end="removed_on", done="该单位已移出",
                         too_early="移出日期不能早于纳入日期")
    if errors:
        raise ValidationError(errors)
    unit.removed_on = on
    unit.version += 1
    unit.save()
    audit.record("joint_unit.remove", actor=actor, obj=unit.org, after={"unit": unit.pk, "removed_on": on.isoformat()},
                 detail=f"{unit.org}：覆盖单位移出“{unit.name}”")
    return unit
