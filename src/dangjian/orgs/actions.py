"""Writes to the organisation tree. Each runs in one transaction with its audit record."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Q

from dangjian.accounts import roles
from dangjian.core import audit
from dangjian.core.actions import check_version, require, snapshot, changed
from dangjian.core.masking import mask_phone

from .choices import OrgStatus, OrgType
from .history import record_subtree, record_versions
from .models import Organization
from .rules import check_parent_type

EDITABLE_FIELDS = [
    "name", "short_name", "code", "org_type", "unit_relation", "founded_on", "contact_name",
    "contact_phone", "sort_order",
]
AUDIT_FIELDS = EDITABLE_FIELDS + ["status", "dissolved_on", "dissolved_reason", "path"]
AUDIT_MASKS = {"contact_phone": mask_phone}  # a contact's phone is personal data: masked in the log
TREE_LOCK_KEY = 0x64_6A_74_72  # "djtr": serialises structural changes of the tree


def _lock_tree() -> None:
    """Serialise moves: two crossing moves must not both pass the cycle check."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [TREE_LOCK_KEY])
    # SQLite: transactions are IMMEDIATE, so writers are already serialised.


def _effective(on: dt.date | None) -> dt.date:
    """The day a change takes effect: today unless given; never in the future (history records what happened)."""
    today = dt.date.today()
    if on is not None and on > today:
        raise ValidationError({"effective_on": "生效日期不能晚于今天"})
    return on or today


CODE_TAKEN = "该组织代码已被其他党组织使用"


def _saving(write):
    """Run a write; a concurrent writer that took the same code first is a Chinese refusal, not a 500."""
    try:
        with transaction.atomic():
            return write()
    except IntegrityError:
        raise ValidationError({"code": [CODE_TAKEN]}) from None


def _validate(org: Organization, exclude=None) -> None:
    try:
        org.full_clean(exclude=["path", "depth", "numchild", *(exclude or [])])
    except ValidationError as exc:
        raise ValidationError(exc.message_dict) from None


@transaction.atomic
def do_create_organization(*, parent: Organization | None, data: dict, actor) -> Organization:
    # The tree lock first, as every structural change takes it: a move holding it rewrites the parent's path,
    # so locking the parent row before it would deadlock against that move.
    _lock_tree()
    if parent is None:
        require(actor, roles.ORG_ADD)
        if not any(a.scope == roles.Scope.ALL for a in actor.assignments_for(roles.ORG_ADD)):
            raise ValidationError({"parent": "请选择上级党组织"})
    else:
        require(actor, roles.ORG_ADD, parent)
        parent = Organization.objects.select_for_update().get(pk=parent.pk)
    org = Organization(**{k: v for k, v in data.items() if k in EDITABLE_FIELDS})
    check_parent_type(org.org_type, parent)
    _validate(org)
    org = _saving(lambda: Organization.objects.add_root(instance=org) if parent is None
                  else Organization.objects.add_child(parent, instance=org))
    record_versions([org], org.founded_on)
    audit.record("org.create", actor=actor, obj=org, after=snapshot(org, AUDIT_FIELDS, AUDIT_MASKS))
    return org


@transaction.atomic
def do_update_organization(org: Organization, *, data: dict, actor, expected_version=None,
                           effective_on: dt.date | None = None) -> Organization:
    """Edit an organisation; a new name or type takes effect on `effective_on` (today by default) in its history."""
    require(actor, roles.ORG_CHANGE, org)
    org = Organization.objects.select_for_update().get(pk=org.pk)
    check_version(org, expected_version)
    before = snapshot(org, AUDIT_FIELDS, AUDIT_MASKS)
    for key, value in data.items():
        if key in EDITABLE_FIELDS:
            setattr(org, key, value)
    if "org_type" in data:
        check_parent_type(org.org_type, Organization.objects.get_parent(org))
        children = {c.org_type for c in Organization.objects.get_children(org)}
        from .choices import ALLOWED_CHILDREN

        if children - ALLOWED_CHILDREN[org.org_type]:
            raise ValidationError({"org_type": f"现有下级组织不能设在{OrgType(org.org_type).label}之下"})
    _validate(org)
    org.version += 1
    _saving(org.save)
    record_versions([org], _effective(effective_on))
    old, new = changed(before, snapshot(org, AUDIT_FIELDS, AUDIT_MASKS))
    audit.record("org.update", actor=actor, obj=org, before=old, after=new)
    return org


@transaction.atomic
def do_move_organization(org: Organization, *, new_parent: Organization, actor,
                         on: dt.date | None = None) -> Organization:
    """Move an organisation with everything below it; the tree of earlier days keeps the old place."""
    _lock_tree()
    org = Organization.objects.select_for_update().get(pk=org.pk)
    new_parent = Organization.objects.select_for_update().get(pk=new_parent.pk)
    require(actor, roles.ORG_MOVE, org)
    require(actor, roles.ORG_MOVE, new_parent)
    if new_parent.path.startswith(org.path):
        raise ValidationError({"parent": "不能把党组织移动到它自己或它的下级组织之下"})
    old_parent = Organization.objects.get_parent(org)
    if old_parent is not None and old_parent.pk == new_parent.pk:
        raise ValidationError({"parent": "该组织已在所选上级党组织之下"})
    check_parent_type(org.org_type, new_parent)
    before = {"parent": old_parent.pk if old_parent else None, "path": org.path}
    Organization.objects.move(org, new_parent, pos="last-child")
    org = Organization.objects.get(pk=org.pk)
    org.version += 1
    org.save(update_fields=["version"])
    record_subtree(org, _effective(on))
    audit.record(
        "org.move", actor=actor, obj=org, before=before, after={"parent": new_parent.pk, "path": org.path}
    )
    return org


@transaction.atomic
def do_dissolve_organization(org: Organization, *, on: dt.date, reason: str, actor) -> Organization:
    """Only an empty organisation may be dissolved; it stays in the tree with its history."""
    require(actor, roles.ORG_DISSOLVE, org)
    org = Organization.objects.select_for_update().get(pk=org.pk)
    errors = {}
    if not org.is_active:
        errors["status"] = "该组织已撤销"
    if not reason or not reason.strip():
        errors["dissolved_reason"] = "请填写撤销原因"
    if on is None:
        errors["dissolved_on"] = "请填写撤销日期"
    from dangjian.members.choices import MemberStatus
    from dangjian.members.models import Member

    if Organization.objects.filter(path__startswith=org.path, status=OrgStatus.ACTIVE).exclude(pk=org.pk).exists():
        errors["__all__"] = "该组织下还有未撤销的下级组织，不能撤销"
    elif Member.objects.filter(org__path__startswith=org.path, status=MemberStatus.NORMAL).exists():
        errors["__all__"] = "该组织还有党员，请先转出党员组织关系后再撤销"
    if errors:
        raise ValidationError(errors)
    before = snapshot(org, AUDIT_FIELDS, AUDIT_MASKS)
    org.status = OrgStatus.DISSOLVED
    org.dissolved_on = on
    org.dissolved_reason = reason.strip()
    org.version += 1
    org.save()
    try:
        record_versions([org], on)
    except ValidationError as exc:  # dated before the organisation's last change: say so beside the date
        raise ValidationError({"dissolved_on": exc.messages}) from None
    old, new = changed(before, snapshot(org, AUDIT_FIELDS, AUDIT_MASKS))
    audit.record("org.dissolve", actor=actor, obj=org, before=old, after=new)
    return org


@transaction.atomic
def do_merge_organizations(source: Organization, *, into: Organization, on: dt.date, reason: str,
                           actor) -> Organization:
    """Merge `source` into `into` from `on`: its members and its lower organisations go to `into`, and `source`
    is dissolved. The tree and the memberships of earlier days stay as they were."""
    from dangjian.members.actions import do_move_members, org_refusal
    from dangjian.members.models import Member, Transfer

    _lock_tree()
    require(actor, roles.ORG_DISSOLVE, source)
    require(actor, roles.ORG_MOVE, into)
    source = Organization.objects.select_for_update().get(pk=source.pk)
    into = Organization.objects.select_for_update().get(pk=into.pk)
    errors = {}
    if not source.is_active:
        errors["source"] = "被合并的组织已撤销"
    if into.path.startswith(source.path):
        errors["into"] = "不能并入该组织自己或它的下级组织"
    elif org_refusal(into) and Member.objects.filter(org=source).exists():
        errors["into"] = f"合并后的组织不能接收党员：{org_refusal(into)}"
    if on is None or on > dt.date.today():
        errors["effective_on"] = "请填写合并生效日期（不能晚于今天）"
    if len((reason or "").strip()) < 2:
        errors["reason"] = "请填写合并原因"
    if Transfer.objects.filter(Q(from_org=source) | Q(to_org=source), state__in=Transfer.OPEN).exists():
        errors["source"] = "被合并的组织还有正在办理的组织关系转接，请先办结"
    children = list(Organization.objects.get_children(source))
    for child in children:
        try:
            check_parent_type(child.org_type, into)
        except ValidationError as exc:
            errors["into"] = f"下级组织“{child}”不能设在合并后的组织之下：{'；'.join(exc.messages)}"
    if errors:
        raise ValidationError(errors)
    members = list(Member.objects.filter(org=source).values_list("pk", flat=True))
    moved = do_move_members(members, to_org=into, on=on, reason=f"{source}并入{into}", actor=actor) if members else 0
    for child in children:
        do_move_organization(child, new_parent=into, actor=actor, on=on)
    source = Organization.objects.select_for_update().get(pk=source.pk)
    before = snapshot(source, AUDIT_FIELDS, AUDIT_MASKS)
    source.status, source.dissolved_on = OrgStatus.DISSOLVED, on
    source.dissolved_reason = f"并入{into.name}：{reason.strip()}"[:200]
    source.version += 1
    source.save()
    record_versions([source], on)
    old, new = changed(before, snapshot(source, AUDIT_FIELDS, AUDIT_MASKS))
    audit.record("org.merge", actor=actor, obj=source, before=old, after={**new, "into": into.code, "members": moved},
                 detail=f"{source.name}并入{into.name}（{on:%Y-%m-%d}），调整党员 {moved} 名")
    return into
