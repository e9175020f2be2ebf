"""Importing members: upsert on the 身份证号 blind index, validated by the archive's own rules."""

from __future__ import annotations

import copy
import datetime as dt
import json
from collections import defaultdict

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.http import Http404

from dangjian.accounts import roles
from dangjian.core import audit
from dangjian.core.actions import require
from dangjian.core.bulk import insert_prepared, insert_rows, insert_values
from dangjian.members.actions import EDITABLE_FIELDS, org_refusal, validate_member
from dangjian.members.history import record_periods
from dangjian.members.choices import MemberStatus
from dangjian.members.models import Member, MemberPeriod
from dangjian.members.search import id_number_index, name_initials
from dangjian.orgs.models import Organization

from . import cells
from .columns import MEMBER_COLUMNS
from .importing import (
    ImportFailed, Table, date_fields, error_pairs, from_json, next_chunk, provided, run_batches, staged_row,
    unique_pairs,
)
from .models import ImportJob, ImportRow

DATES = date_fields(Member)
COMPARED = EDITABLE_FIELDS + ["org_id"]
OUT_OF_SCOPE = "该公民身份号码已登记在其他党组织（不在您的管理范围内），如需调入请办理组织关系转接"



class OrgResolver:
    """Organisations a row may name: the import's organisation and its subtree, within the actor's scope."""

    def __init__(self, root: Organization, actor, perm: str):
        self.root = root
        self.by_code: dict[str, Organization] = {}
        self.by_name: dict[str, list[Organization]] = defaultdict(list)
        allowed = Organization.objects.restrict(actor, perm).filter(path__startswith=root.path)
        for org in allowed.only("id", "path", "depth", "code", "name", "short_name", "org_type", "status"):
            self.by_code[org.code.lower()] = org
            self.by_name[org.name].append(org)
            if org.short_name and org.short_name != org.name:
                self.by_name[org.short_name].append(org)

    def resolve(self, value: str) -> Organization:
        if not value:
            return self.root
        found = self.by_code.get(value.lower())
        if found:
            return found
        named = self.by_name.get(value, [])
        if len(named) == 1:
            return named[0]
        if len(named) > 1:
            raise cells.CellError(f"名称“{value}”对应多个党组织，请改填组织代码")
        if Organization.objects.filter(code__iexact=value).exists() or Organization.objects.filter(name=value).exists():
            raise cells.CellError(f"党组织“{value}”不在本次导入的范围内（须为“{self.root.name}”或其下级组织）")
        raise cells.CellError(f"找不到党组织“{value}”，请填写组织代码或组织全称")


class MemberImport:
    columns = MEMBER_COLUMNS

    def __init__(self, job: ImportJob):
        self.job = job
        self.actor = job.actor

    def _require(self, perm: str) -> None:
        try:
            require(self.actor, perm, self.job.root_org)
        except (PermissionDenied, Http404):
            raise ImportFailed("您没有向该党组织导入党员的权限，或该党组织不在您的管理范围内") from None

    # -- validation ----------------------------------------------------------------------------------------
    def validate(self, table: Table) -> None:
        self._require(roles.MEMBER_ADD)
        resolver = OrgResolver(self.job.root_org, self.actor, roles.MEMBER_ADD)
        first = first_occurrences(table.rows)
        run_batches(self.job, table.rows, lambda batch: self._validate_batch(batch, table.headers, resolver, first))

    def _validate_batch(self, batch, headers, resolver, first) -> list[ImportRow]:
        parsed = []
        for row in batch:
            clean, errors = {}, {}
            for column in self.columns:
                if column.key not in row.cells:
                    continue
                try:
                    clean[column.key] = column.parse(row.cells[column.key])
                except cells.CellError as exc:
                    errors[column.key] = str(exc)
            org_text = clean.pop("org", "")
            org = None
            if "org" not in errors:
                try:
                    org = resolver.resolve(org_text)
                except cells.CellError as exc:
                    errors["org"] = str(exc)
            index = id_number_index(clean["id_number"]) if clean.get("id_number") else None
            parsed.append((row, clean, errors, org, bool(org_text), index))
        indexes = [p[5] for p in parsed if p[5]]
        existing = {m.id_number_index: m for m in
                    Member.objects.filter(id_number_index__in=indexes).select_related("org")}
        changeable = set(Member.objects.restrict(self.actor, roles.MEMBER_CHANGE)
                         .filter(pk__in=[m.pk for m in existing.values()]).values_list("pk", flat=True))
        staged = []
        for row, clean, errors, org, org_given, index in parsed:
            pairs = [[headers[key], reason] for key, reason in errors.items()]
            current = existing.get(index) if index else None
            if index and first[index] != row.number:
                pairs.append([headers["id_number"], f"与第 {first[index]} 行的公民身份号码重复"])
            if current is not None and current.pk not in changeable:
                pairs.append([headers["id_number"], OUT_OF_SCOPE])
            member = self._build(current, clean, org, org_given)
            try:
                validate_member(member, check_unique=False)
            except ValidationError as exc:
                pairs += [p for p in error_pairs(exc, headers, self.columns)
                          if not _reported(p, errors, headers)]
            if pairs:
                staged.append(staged_row(self.job, row, ImportRow.Outcome.ERROR, errors=unique_pairs(pairs)))
                continue
            if current is not None:
                changes = {k: v for k, v in _values(member).items() if getattr(current, k) != v}
                outcome = ImportRow.Outcome.UPDATE if changes else ImportRow.Outcome.UNCHANGED
                staged.append(staged_row(self.job, row, outcome, clean=provided(clean), target_id=current.pk,
                                         extra={"org_id": member.org_id}))
            else:
                # The whole validated record, with what the ID number filled in: committing it needs no
                # second validation, only the checks that depend on the database at that moment.
                complete = {k: getattr(member, k) for k in EDITABLE_FIELDS}
                staged.append(staged_row(self.job, row, ImportRow.Outcome.NEW, clean=complete,
                                         extra={"org_id": member.org_id}))
        return staged

    @staticmethod
    def _build(current, clean, org, org_given):
        if current is None:
            member = Member(**provided(clean))
            if org is not None:
                member.org = org
            return member
        member = copy.copy(current)  # the archive's record stays as it is for the comparison
        for key, value in provided(clean).items():
            setattr(member, key, value)
        if org is not None and org_given:
            member.org = org
        return member

    # -- commit --------------------------------------------------------------------------------------------
    def prepare(self, rows: list[ImportRow]) -> dict[int, tuple[str, int, list]]:
        """The INSERT values of the new rows among `rows` (row id → (blind index, organisation, values)).

        Pure computation (decrypting the staged record, encrypting the archive's fields), so large imports run
        it in worker processes while this process writes the previous chunk.
        """
        prepared = {}
        for row in rows:
            if row.outcome != ImportRow.Outcome.NEW:
                continue
            payload = json.loads(row.payload)
            member = Member(**from_json(payload["clean"], DATES))
            member.org_id = payload["org_id"]
            member.id_number_index = id_number_index(member.id_number)
            member.name_initials = name_initials(member.name)
            prepared[row.pk] = (member.id_number_index, member.org_id, insert_values(Member, member))
        return prepared

    def apply_next(self, size: int, prepared: dict | None = None) -> bool:
        """Apply the next chunk of staged rows in one transaction; False when none is left."""
        with transaction.atomic():
            taken = next_chunk(self.job, size)
            if taken is None:
                return False
            job, chunk = taken
            self._require(roles.MEMBER_ADD)
            payloads = {row.pk: json.loads(row.payload) for row in chunk if row.outcome == ImportRow.Outcome.UPDATE}
            new_rows = [row for row in chunk if row.outcome == ImportRow.Outcome.NEW]
            if prepared is None or any(row.pk not in prepared for row in new_rows):
                prepared = self.prepare(new_rows)
            org_ids = {prepared[r.pk][1] for r in new_rows}
            org_ids |= {p["org_id"] for p in payloads.values()}
            orgs = {o.pk: o for o in Organization.objects.select_for_update().filter(pk__in=org_ids)}
            created, updated = [], {}
            for org in orgs.values():
                refusal = org_refusal(org)
                if refusal:
                    raise ImportFailed(f"党组织“{org.name}”在校验后发生了变化：{refusal}。请重新导入")
            new_members = [(row, prepared[row.pk]) for row in new_rows]
            indexes = [index for _, (index, _, _) in new_members]
            first = Member.objects.filter(id_number_index__in=indexes).first()
            if first is not None:
                row = next(r for r, (index, _, _) in new_members if index == first.id_number_index)
                raise ImportFailed(f"第 {row.row_number} 行的公民身份号码在校验后已被他人录入，请重新导入（已导入的行不会重复）")
            insert_prepared(Member, [values for _, (_, _, values) in new_members])
            placed = list(Member.objects.filter(id_number_index__in=indexes).order_by("pk").values_list("pk", "org_id"))
            created = [pk for pk, _ in placed]
            # The new members' history starts with the record (they are new: no period to close).
            insert_rows(MemberPeriod, [MemberPeriod(member_id=pk, org_id=org_id, status=MemberStatus.NORMAL)
                                       for pk, org_id in placed])
            targets = {m.pk: m for m in Member.objects.restrict(self.actor, roles.MEMBER_CHANGE)
                       .select_for_update(of=("self",)).filter(
                           pk__in=[r.target_id for r in chunk if r.outcome == ImportRow.Outcome.UPDATE])}
            changed_members = []
            for row in chunk:
                if row.outcome != ImportRow.Outcome.UPDATE:
                    continue
                member = targets.get(row.target_id)
                if member is None:
                    raise ImportFailed(f"第 {row.row_number} 行要更新的党员已不在您的管理范围内，请重新导入")
                payload = payloads[row.pk]
                before = _values(member)
                member.org = orgs[payload["org_id"]]
                for key, value in from_json(payload["clean"], DATES).items():
                    setattr(member, key, value)
                self._check(member, row)
                fields = [k for k, v in _values(member).items() if before[k] != v]
                if fields:
                    member.version += 1
                    changed_members.append(member)
                    updated[str(member.pk)] = [f.removesuffix("_id") for f in fields]
            if changed_members:
                Member.objects.bulk_update(
                    changed_members, [*EDITABLE_FIELDS, "org", "name_initials", "id_number_index", "version"],
                    batch_size=500)
            # A member the file places in another organisation moves today.
            record_periods([m for m in changed_members if "org" in updated[str(m.pk)]], dt.date.today())
            ImportRow.objects.filter(pk__in=[r.pk for r in chunk]).update(applied=True)
            ImportJob.objects.filter(pk=job.pk).update(applied_rows=F("applied_rows") + len(chunk))
            audit.record("member.import", actor=self.actor, object_type="exchange.importjob", object_id=job.pk,
                         object_repr=str(job), after={"created": created, "updated": updated},
                         detail=f"{job} 第 {chunk[0].row_number}–{chunk[-1].row_number} 行：新增 {len(created)}，更新 {len(updated)}")
        return True

    @staticmethod
    def _check(member, row) -> None:
        try:
            validate_member(member, check_unique=False)
        except ValidationError as exc:
            reasons = "；".join(m for msgs in exc.message_dict.values() for m in msgs)
            raise ImportFailed(f"第 {row.row_number} 行在校验后发生了变化，不能导入：{reasons}。请重新导入") from None


def first_occurrences(rows) -> dict[str, int]:
    """Blind index → the first row that carries the number; a later row with it is a duplicate."""
    first: dict[str, int] = {}
    for row in rows:
        try:
            number = cells.id_number(row.cells.get("id_number"))
        except cells.CellError:
            continue
        if number:
            first.setdefault(id_number_index(number), row.number)
    return first


def _values(member) -> dict:
    return {k: getattr(member, k) for k in COMPARED}




def _reported(pair, cell_errors, headers) -> bool:
    """A model error on a column whose cell could not even be read repeats the cell error."""
    return any(pair[0] == headers.get(key) for key in cell_errors)


