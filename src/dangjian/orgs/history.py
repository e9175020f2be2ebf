"""The organisation tree as it stood on any day (effective-dated versions of each organisation).

Every structural or identifying change of an organisation (creation, renaming, change of type, move, merger,
dissolution) closes the organisation's current version on the day the change takes effect and opens a new one.
Past days keep the tree they had: a count "as of 2025-12-31" after a restructuring in 2026 still sees the 2025
tree. Actions call `record_versions` inside their transaction; reads go through `versions_on` / `subtree_on`.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import Q

from .models import Organization, OrgVersion

STATE_FIELDS = ("parent_id", "path", "depth", "name", "short_name", "org_type", "status")


def in_force(day: dt.date, prefix: str = "") -> Q:
    """The condition "in force on `day`" for a [valid_from, valid_to) table."""
    return (Q(**{f"{prefix}valid_from__isnull": True}) | Q(**{f"{prefix}valid_from__lte": day})) & (
        Q(**{f"{prefix}valid_to__isnull": True}) | Q(**{f"{prefix}valid_to__gt": day}))


def _parent_ids(orgs) -> dict[str, int]:
    steplen = Organization.steplen
    wanted = {org.path[:-steplen] for org in orgs if org.depth > 1}
    return dict(Organization.objects.filter(path__in=wanted).values_list("path", "id"))


def _state(org: Organization, parents: dict[str, int]) -> dict:
    return {"parent_id": parents.get(org.path[:-Organization.steplen]) if org.depth > 1 else None,
            "path": org.path, "depth": org.depth, "name": org.name, "short_name": org.short_name,
            "org_type": org.org_type, "status": org.status}


def change_refusal(current_from: dt.date | None, on: dt.date, what: str) -> str | None:
    if current_from is not None and on < current_from:
        return f"生效日期不能早于{what}上一次变更的生效日期（{current_from:%Y年%m月%d日}），历史记录只能向后续写"
    return None


def record_versions(orgs, on: dt.date | None) -> None:
    """Write the present state of `orgs` (freshly read) as their version from `on`.

    An organisation without a version gets its first one (from `on`, which may be None: since the record began).
    An unchanged organisation keeps its version. A change on the day its current version began replaces that
    version; a change dated before it is refused, since history is only written forwards.
    """
    orgs = list(orgs)
    if not orgs:
        return
    parents = _parent_ids(orgs)
    current = {v.org_id: v for v in OrgVersion.objects.select_for_update().filter(
        org__in=[o.pk for o in orgs], valid_to__isnull=True)}
    new = []
    for org in orgs:
        state = _state(org, parents)
        version = current.get(org.pk)
        if version is None:
            new.append(OrgVersion(org_id=org.pk, valid_from=on, **state))
            continue
        if all(getattr(version, key) == value for key, value in state.items()):
            continue
        if on is None:
            raise ValueError("a change of an existing organisation needs the date it takes effect")
        refusal = change_refusal(version.valid_from, on, f"“{org}”")
        if refusal:
            raise ValidationError({"effective_on": refusal})
        if version.valid_from == on:
            for key, value in state.items():
                setattr(version, key, value)
            version.save()
            continue
        version.valid_to = on
        version.save(update_fields=["valid_to"])
        new.append(OrgVersion(org_id=org.pk, valid_from=on, **state))
    OrgVersion.objects.bulk_create(new, batch_size=1000)


def record_subtree(root: Organization, on: dt.date) -> None:
    """After a move every node below `root` has a new path: each gets a version from `on`."""
    record_versions(Organization.objects.filter(path__startswith=root.path), on)


def open_missing_versions() -> int:
    """Give every organisation without history its versions from the record: since its founding date (or since
    the record began), and, for one dissolved, a second version from its dissolution.

    Used for organisations written in bulk (the demo) and for the records that existed before history was kept.
    Set-based: two statements however large the tree."""
    table, org_table = OrgVersion._meta.db_table, Organization._meta.db_table
    columns = "org_id, valid_from, valid_to, parent_id, path, depth, name, short_name, org_type, status"
    parent = (f"LEFT JOIN {org_table} p ON o.depth > 1 "
              f"AND p.path = substr(o.path, 1, length(o.path) - {Organization.steplen})")
    dissolved = "o.status = 'dissolved' AND o.dissolved_on IS NOT NULL"
    with connection.cursor() as cursor:
        cursor.execute(
            f"""INSERT INTO {table} ({columns})
                SELECT o.id, o.founded_on, CASE WHEN {dissolved} THEN o.dissolved_on END, p.id, o.path, o.depth,
                       o.name, o.short_name, o.org_type, CASE WHEN {dissolved} THEN 'active' ELSE o.status END
                FROM {org_table} o {parent}
                WHERE NOT EXISTS (SELECT 1 FROM {table} v WHERE v.org_id = o.id)""")
        written = cursor.rowcount
        cursor.execute(
            f"""INSERT INTO {table} ({columns})
                SELECT o.id, o.dissolved_on, NULL, p.id, o.path, o.depth, o.name, o.short_name, o.org_type, o.status
                FROM {org_table} o {parent}
                WHERE {dissolved}
                  AND NOT EXISTS (SELECT 1 FROM {table} v WHERE v.org_id = o.id AND v.valid_to IS NULL)""")
        return written + cursor.rowcount


def versions_on(day: dt.date):
    """Every organisation's version in force on `day`: the tree as it stood that day."""
    return OrgVersion.objects.filter(in_force(day))


def subtree_on(org: Organization, day: dt.date):
    """The versions of `org` and of everything below it in the tree as it stood on `day` (empty if it did not
    exist then)."""
    root = versions_on(day).filter(org=org).first()
    if root is None:
        return OrgVersion.objects.none()
    return versions_on(day).filter(path__startswith=root.path)
