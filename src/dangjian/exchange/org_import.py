"""Importing organisations: upsert on the organisation code, parents before children, tree rules enforced."""

from __future__ import annotations

import copy
import json

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models.functions import Lower
from django.db.models import F
from django.http import Http404

from dangjian.accounts import roles
from dangjian.core import audit
from dangjian.core.actions import require
from dangjian.orgs import actions as org_actions
from dangjian.orgs.models import Organization
from dangjian.orgs.rules import check_parent_type

from . import cells
from .columns import ORG_COLUMNS
from .importing import (
    ImportFailed, Table, date_fields, error_pairs, from_json, next_chunk, provided, stage, staged_row, unique_pairs,
)
from .member_import import OrgResolver
from .models import ImportJob, ImportRow

DATES = date_fields(Organization)
MOVE_ELSEWHERE = "调整上级党组织请使用“调整隶属关系”功能，导入不改变已有组织的位置"


class OrgImport:
    columns = ORG_COLUMNS

    def __init__(self, job: ImportJob):
        self.job = job
        self.actor = job.actor

    def _require(self, perm) -> None:
        try:
            require(self.actor, perm, self.job.root_org)
        except (PermissionDenied, Http404):
            raise ImportFailed("您没有在该党组织下导入党组织的权限，或该党组织不在您的管理范围内") from None

    def validate(self, table: Table) -> None:
        self._require(roles.ORG_ADD)
        root = self.job.root_org
        resolver = OrgResolver(root, self.actor, roles.ORG_ADD)
        changeable = {o.code.lower(): o for o in
                      Organization.objects.restrict(self.actor, roles.ORG_CHANGE).filter(path__startswith=root.path)}
        headers = table.headers
        entries = []  # (row, clean, errors)
        in_file: dict[str, int] = {}
        for row in table.rows:
            clean, errors = {}, []
            for column in self.columns:
                if column.key in row.cells:
                    try:
                        clean[column.key] = column.parse(row.cells[column.key])
                    except cells.CellError as exc:
                        errors.append([headers[column.key], str(exc)])
            code = (clean.get("code") or "").lower()
            if code and code in in_file:
                errors.append([headers["code"], f"与第 {in_file[code]} 行的组织代码重复"])
            elif code:
                in_file[code] = row.number
            entries.append((row, clean, errors))
        file_orgs = {(c.get("code") or "").lower(): (row, c) for row, c, e in entries if not e and c.get("code")}
        codes = {(c.get("code") or "").lower() for _, c, _ in entries if c.get("code")}
        known = {o.lc: o for o in Organization.objects.annotate(lc=Lower("code")).filter(lc__in=codes)}

        def parent_of(clean):
            """The parent as an Organization (existing) or the code of a row in this file."""
            text = clean.get("parent") or ""
            if text and text.lower() in file_orgs and text.lower() not in resolver.by_code:
                return text.lower()
            named = [c for c, (_, other) in file_orgs.items() if other.get("name") == text]
            if text and text not in resolver.by_name and len(named) == 1:
                return named[0]
            return resolver.resolve(text)

        staged, ranks = [], {}
        for row, clean, errors in entries:
            code = (clean.get("code") or "").lower()
            parent = None
            if clean.get("code") is not None and not errors:
                try:
                    parent = parent_of(clean)
                except cells.CellError as exc:
                    errors.append([headers.get("parent", "上级党组织"), str(exc)])
            existing = known.get(code) if code else None
            if existing is not None and code not in changeable:
                errors.append([headers["code"], "该组织代码已被管理范围以外的党组织使用"])
            if not errors:
                errors += self._check(row, clean, parent, existing, file_orgs, headers)
            if errors:
                staged.append(staged_row(self.job, row, ImportRow.Outcome.ERROR, errors=unique_pairs(errors)))
                continue
            fields = provided({k: v for k, v in clean.items() if k != "parent"})
            extra = {"parent_id": parent.pk} if isinstance(parent, Organization) else {"parent_code": parent}
            if existing is not None:
                changed = any(getattr(existing, k) != v for k, v in fields.items())
                outcome = ImportRow.Outcome.UPDATE if changed else ImportRow.Outcome.UNCHANGED
                staged.append(staged_row(self.job, row, outcome, clean=fields, target_id=existing.pk))
            else:
                item = staged_row(self.job, row, ImportRow.Outcome.NEW, clean=fields, extra=extra)
                item.position = self._rank(code, file_orgs, resolver, ranks) * 1_000_000 + row.number
                staged.append(item)
        stage(self.job, staged, len(entries))  # organisations are few: one batch, in this process

    def _rank(self, code, file_orgs, resolver, ranks, trail=()) -> int:
        """How many new organisations of this file stand above this one (0: its parent exists already)."""
        if code in ranks:
            return ranks[code]
        if code in trail:
            raise ImportFailed("文件中的上级党组织关系形成了循环：" + " → ".join(trail + (code,)))
        _, clean = file_orgs[code]
        text = (clean.get("parent") or "").lower()
        rank = 0
        if text in file_orgs and text not in resolver.by_code:
            rank = self._rank(text, file_orgs, resolver, ranks, trail + (code,)) + 1
        ranks[code] = rank
        return rank

    def _check(self, row, clean, parent, existing, file_orgs, headers) -> list:
        if existing is not None:
            if clean.get("parent") and isinstance(parent, Organization) and not existing.path.startswith(parent.path):
                return [[headers.get("parent", "上级党组织"), MOVE_ELSEWHERE]]
            if clean.get("parent") and not isinstance(parent, Organization):
                return [[headers.get("parent", "上级党组织"), MOVE_ELSEWHERE]]
            org = copy.copy(existing)
            for key, value in provided({k: v for k, v in clean.items() if k != "parent"}).items():
                setattr(org, key, value)
        else:
            org = Organization(**provided({k: v for k, v in clean.items() if k != "parent"}))
        errors = []
        if isinstance(parent, str):
            parent_row, parent_clean = file_orgs[parent]
            parent_obj = Organization(org_type=parent_clean.get("org_type") or "committee")
        else:
            parent_obj = parent
        try:
            if existing is None and org.org_type:
                check_parent_type(org.org_type, parent_obj)
        except ValidationError as exc:
            errors += error_pairs(exc, headers, self.columns)
        try:
            org.full_clean(exclude=["path", "depth", "numchild"], validate_unique=existing is None)
        except ValidationError as exc:
            errors += error_pairs(exc, headers, self.columns)
        return [[headers.get("parent", "上级党组织") if e[0] == "整行" else e[0], e[1]] for e in errors]

    def apply_next(self, size: int) -> bool:
        """Apply the next chunk of staged rows in one transaction; False when none is left."""
        with transaction.atomic():
            taken = next_chunk(self.job, size)
            if taken is None:
                return False
            job, chunk = taken
            created, updated = [], []
            for row in chunk:
                payload = json.loads(row.payload)
                data = from_json(payload["clean"], DATES)
                try:
                    if row.outcome == ImportRow.Outcome.NEW:
                        if "parent_id" in payload:
                            parent = Organization.objects.get(pk=payload["parent_id"])
                        else:
                            parent = Organization.objects.get(code__iexact=payload["parent_code"])
                        org = org_actions.do_create_organization(parent=parent, data=data, actor=self.actor)
                        created.append(org.code)
                    else:
                        org = Organization.objects.get(pk=row.target_id)
                        org_actions.do_update_organization(org, data=data, actor=self.actor)
                        updated.append(org.code)
                except (ValidationError, PermissionDenied, Http404, Organization.DoesNotExist) as exc:
                    reason = "；".join(exc.messages) if isinstance(exc, ValidationError) else "上级党组织不存在或不在管理范围内"
                    raise ImportFailed(f"第 {row.row_number} 行在校验后发生了变化，不能导入：{reason}。请重新导入") from None
            ImportRow.objects.filter(pk__in=[r.pk for r in chunk]).update(applied=True)
            ImportJob.objects.filter(pk=job.pk).update(applied_rows=F("applied_rows") + len(chunk))
            audit.record("org.import", actor=self.actor, object_type="exchange.importjob", object_id=job.pk,
                         object_repr=str(job), after={"created": created, "updated": updated},
                         detail=f"{job}：新增 {len(created)}，更新 {len(updated)}")
        return True
