"""Writes to the organisation tree. Each runs in one transaction with its audit record."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction

from dangjian.accounts import roles
from dangjian.core import audit
from dangjian.core.actions import check_version, require, snapshot, changed
from dangjian.core.masking import mask_phone

from .choices import OrgStatus, OrgType
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
    audit.record("org.create", actor=actor, obj=org, after=snapshot(org, AUDIT_FIELDS, AUDIT_MASKS))
    return org


@transaction.atomic
def do_update_organization(org: Organization, *, data: dict, actor, expected_version=None) -> Organization:
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
    old, new = changed(before, snapshot(org, AUDIT_FIELDS, AUDIT_MASKS))
    audit.record("org.update", actor=actor, obj=org, before=old, after=new)
    return org


@transaction.atomic
def do_move_organization(org: Organization, *, new_parent: Organization, actor) -> Organization:
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
    old, new = changed(before, snapshot(org, AUDIT_FIELDS, AUDIT_MASKS))
    audit.record("org.dissolve", actor=actor, obj=org, before=old, after=new)
    return org
