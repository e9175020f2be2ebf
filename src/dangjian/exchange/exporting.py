"""Exporting members and organisations to .xlsx.

The columns are the import template's (same Chinese headers, coded values as their Chinese labels, the
organisation as its code), so an unmasked export can be imported back unchanged. 公民身份号码, 联系电话 and
现居住地 are masked unless the exporter may reveal every exported row and gives a reason; every export is
audited (row count, masked or not, the filter).

Rows are streamed from the database in chunks into a constant-memory workbook whose scratch files live in a
private temporary directory that is removed however the export ends; the workbook itself goes into a file
object the caller supplies (an unlinked temporary file), so no export file stays on disk.
"""

from __future__ import annotations

import re
import tempfile
from dataclasses import dataclass
from operator import itemgetter
from types import SimpleNamespace
from typing import IO, Any, Callable
from urllib.parse import quote

import xlsxwriter
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.http import Http404
from django.utils import timezone

from dangjian.accounts import roles
from dangjian.core import audit
from dangjian.core.actions import require
from dangjian.core.masking import mask_address, mask_id_number, mask_middle, mask_phone
from dangjian.members.choices import MemberStatus
from dangjian.members.filtersets import MemberFilterSet
from dangjian.members.models import Member
from dangjian.orgs.choices import OrgStatus
from dangjian.orgs.models import Organization

from . import workbooks
from .columns import MEMBER_COLUMNS, ORG_COLUMNS, Column

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
WORKBOOK_OPTIONS = {"constant_memory": True, **workbooks.WORKBOOK_OPTIONS}
CHUNK_ROWS = 2000
WIDTH_SAMPLE_ROWS = 1000
REASON_MIN_LENGTH, REASON_MAX_LENGTH = 4, 200
MEMBER_MASKS = {"id_number": mask_id_number, "phone": mask_phone, "address": mask_address}
ORG_MASKS = {"contact_phone": mask_phone}
# Text that looks like a number: written, and formatted, as text so Excel never turns it into one.
NUMBER_LIKE_TEXT = {"id_number", "phone", "org", "code", "parent", "contact_phone"}
MEMBER_FILTER_KEYS = tuple(MemberFilterSet.base_filters)
STATUS_LABELS = dict(MemberStatus.choices)
ORG_STATUS_LABELS = dict(OrgStatus.choices)
_LONG_DIGITS = re.compile(r"\d[\d\s-]{5,}\d[Xx]?")
_UNSAFE_FILE_CHARS = re.compile(r'[\\/:*?"<>|\s]+')


@dataclass(frozen=True)
class ExportResult:
    rows: int
    masked: bool
    file_name: str


# -- the workbook ---------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class OutColumn:
    header: str
    kind: str  # "text", "number_text" (text that must stay text), "date", "number", "money" (yuan, 0.00)
    value: Callable[[Any], Any]


def _getter(model, key: str, masks: dict, masked: bool) -> OutColumn:
    """How one import column is read off a row (a dict of field values): labels for codes, 是/否 for booleans."""
    field = model._meta.get_field(key)
    text_kind = "number_text" if key in NUMBER_LIKE_TEXT else "text"
    if masked and key in masks:
        mask = masks[key]
        return OutColumn("", text_kind, lambda row: mask(row[key]))
    if field.choices:
        labels = {code: str(label) for code, label in field.flatchoices}
        return OutColumn("", "text", lambda row: labels.get(row[key], row[key]))
    if isinstance(field, models.BooleanField):
        return OutColumn("", "text", lambda row: "是" if row[key] else "否")
    if isinstance(field, models.DateField):
        return OutColumn("", "date", itemgetter(key))
    if isinstance(field, models.IntegerField):
        return OutColumn("", "number", itemgetter(key))
    return OutColumn("", text_kind, itemgetter(key))


def _columns(model, import_columns: tuple[Column, ...], masks: dict, masked: bool, special: dict) -> list[OutColumn]:
    out = []
    for column in import_columns:
        base = special[column.key] if column.key in special else _getter(model, column.key, masks, masked)
        out.append(OutColumn(column.header, base.kind, base.value))
    return out


def _display_width(text: str) -> int:
    """Approximate display width: a CJK character (3 bytes in UTF-8) is as wide as two Latin ones."""
    return (len(text) + len(text.encode("utf-8"))) // 2


def write_workbook(out: IO[bytes], *, sheet_name: str, columns: list[OutColumn], rows) -> int:
    """Write `rows` (an iterable of dicts) as one sheet; return how many data rows were written.

    Text is always written as a string cell (never parsed as a number, formula or link), dates as real
    Excel dates shown yyyy-mm-dd. Column widths follow the header and the first rows.
    """
    with tempfile.TemporaryDirectory(prefix="dangjian-export-") as scratch:
        workbook = xlsxwriter.Workbook(out, {**WORKBOOK_OPTIONS, "tmpdir": scratch})
        header_format = workbook.add_format({"bold": True, "bg_color": "#F2F2F2", "border": 1, "valign": "vcenter"})
        text_format = workbook.add_format({"num_format": "@"})
        date_format = workbook.add_format({"num_format": "yyyy-mm-dd"})
        sheet = workbook.add_worksheet(sheet_name)
        money_format = workbook.add_format({"num_format": "0.00"})
        formats = {"number_text": text_format, "date": date_format, "money": money_format}
        widths = []
        for c, column in enumerate(columns):
            sheet.write_string(0, c, column.header, header_format)
            widths.append(_display_width(column.header) + 4)  # room for the filter button
        plan = [(c, column.value, column.kind, formats.get(column.kind)) for c, column in enumerate(columns)]
        write_string, write_number, write_date = sheet.write_string, sheet.write_number, sheet.write_datetime
        count = 0
        for r, obj in enumerate(rows, start=1):
            measure = r <= WIDTH_SAMPLE_ROWS
            for c, value_of, kind, cell_format in plan:
                value = value_of(obj)
                if value is None or value == "":
                    continue
                if kind == "date":
                    write_date(r, c, value, cell_format)
                elif kind in ("number", "money"):
                    write_number(r, c, value, cell_format)
                else:
                    write_string(r, c, value, cell_format)
                    if measure:
                        widths[c] = max(widths[c], _display_width(value) + 2)
            count = r
        for c, column in enumerate(columns):
            width = max(widths[c], 12) if column.kind == "date" else min(widths[c], 60)
            sheet.set_column(c, c, width, formats.get(column.kind))
        sheet.freeze_panes(1, 0)
        sheet.autofilter(0, 0, count, len(columns) - 1)
        workbook.close()
    return count


# -- shared checks --------------------------------------------------------------------------------------------

def mask_long_digits(text: str) -> str:
    """An ID number or phone typed into a search box or a reason is not copied into the audit log in full."""
    return _LONG_DIGITS.sub(lambda m: mask_middle(m.group(0)), text or "")


def checked_reason(*, reveal: bool, reason: str, may_reveal: bool) -> str:
    """The reason, cleaned; refused (ValidationError, Chinese) when a reveal lacks the right or the reason."""
    reason = (reason or "").strip()
    errors = {}
    if len(reason) > REASON_MAX_LENGTH:
        errors["reason"] = f"理由不能超过 {REASON_MAX_LENGTH} 个字"
    if reveal:
        if not may_reveal:
            errors["reveal"] = "您没有查看全部导出对象完整敏感信息的权限，只能导出脱敏信息"
        elif len(reason) < REASON_MIN_LENGTH:
            errors["reason"] = f"导出完整敏感信息须填写理由，至少 {REASON_MIN_LENGTH} 个字"
    if errors:
        raise ValidationError(errors)
    return reason


def _stamp() -> str:
    return timezone.localtime().strftime("%Y%m%d_%H%M%S")


def content_disposition(file_name: str, ascii_fallback: str) -> str:
    """An attachment with a Chinese file name (RFC 5987/6266) and a plain fallback for old clients."""
    return f"attachment; filename=\"{ascii_fallback}\"; filename*=UTF-8''{quote(file_name, safe='')}"


def _record(action: str, *, actor, detail: str, after: dict, **target) -> None:
    with transaction.atomic():
        audit.record(action, actor=actor, detail=detail[:500], after=after, **target)


# -- members --------------------------------------------------------------------------------------------------

def member_export_params(query) -> dict[str, str]:
    """The member list's filter out of a query string: its own fields only (no page), 正常 unless a status is given."""
    params = {key: str(query.get(key, ""))[:200] for key in MEMBER_FILTER_KEYS if key in query}
    params.setdefault("status", MemberStatus.NORMAL)
    return params


def member_filterset(actor, params: dict) -> MemberFilterSet:
    """The same filter as the member list, over the members the actor may view."""
    return MemberFilterSet(params, queryset=Member.objects.restrict(actor, roles.MEMBER_VIEW),
                           request=SimpleNamespace(user=actor))


def may_reveal_all(actor, queryset) -> bool:
    """Whether the actor holds the reveal right over every row of `queryset` (a member or organisation set)."""
    return queryset.restrict(actor, roles.MEMBER_REVEAL).count() == queryset.count()


def describe_member_filter(filterset: MemberFilterSet, actor) -> str:
    """The filter in words, for the export page and the audit log."""
    filterset.form.is_valid()  # invalid fields are left out of cleaned_data, and so out of the filter
    data = filterset.form.cleaned_data
    parts = []
    for key in MEMBER_FILTER_KEYS:
        value = data.get(key)
        flt = filterset.filters[key]
        if key == "status" and not value and "status" in filterset.data:
            parts.append("党籍状态：全部")
            continue
        if value in (None, ""):
            continue
        if key == "q":
            parts.append(f"关键词：{mask_long_digits(value)}")
        elif key == "org":
            org = Organization.objects.restrict(actor, roles.ORG_VIEW).filter(pk=value).first()
            parts.append(f"党组织：{org.name}（{org.code}）及下级组织" if org else "党组织：不在管理范围内（无结果）")
        elif isinstance(value, bool):
            parts.append(f"{flt.label}：{'是' if value else '否'}")
        else:
            labels = dict(flt.extra.get("choices") or [])
            parts.append(f"{flt.label}：{labels.get(value, value)}")
    return "；".join(parts) if parts else "管理范围内全部党员"


def member_export_rows(queryset):
    """The rows as dicts (no model instances to build), the organisation's code joined in the same query."""
    fields = [c.key for c in MEMBER_COLUMNS if c.key != "org"] + ["status", "org__code"]
    return queryset.order_by("org__path", "id").values(*fields).iterator(chunk_size=CHUNK_ROWS)


def member_columns(masked: bool) -> list[OutColumn]:
    special = {"org": OutColumn("", "number_text", itemgetter("org__code"))}
    columns = _columns(Member, MEMBER_COLUMNS, MEMBER_MASKS, masked, special)
    columns.append(OutColumn("党籍状态", "text", lambda m: STATUS_LABELS.get(m["status"], m["status"])))  # read-only
    return columns


def do_export_members(*, params, out: IO[bytes], actor, reveal: bool = False, reason: str = "") -> ExportResult:
    """Export the members the actor may view that match the member list's filter (党员信息导出).

    Sensitive fields (公民身份号码, 联系电话, 现居住地) are masked unless `reveal` is asked, the actor holds
    the reveal right over every exported member and gives a reason (个人信息保护: 最小必要, 留痕可查).
    A refusal raises ValidationError and writes nothing. One audit record per export.
    """
    require(actor, roles.MEMBER_VIEW)
    params = member_export_params(params)
    filterset = member_filterset(actor, params)
    queryset = filterset.qs
    reason = checked_reason(reveal=reveal, reason=reason, may_reveal=not reveal or may_reveal_all(actor, queryset))
    if reveal:  # a member outside the reveal scope is never written in full, even if it entered the filter meanwhile
        queryset = queryset.restrict(actor, roles.MEMBER_REVEAL)
    rows = write_workbook(out, sheet_name="党员信息", columns=member_columns(masked=not reveal),
                         rows=member_export_rows(queryset))
    detail = f"导出党员信息 {rows} 条（{'含完整敏感信息' if reveal else '敏感信息已脱敏'}）"
    if reason:
        detail += f"；理由：{mask_long_digits(reason)}"
    detail += f"；筛选条件：{describe_member_filter(filterset, actor)}"  # last: it is what a long detail loses
    audit_filter = {k: (mask_long_digits(v) if k == "q" else v) for k, v in params.items()}
    _record("member.export", actor=actor, object_type="members.member", object_repr="党员信息导出",
            detail=detail, after={"rows": rows, "masked": not reveal, "filter": audit_filter})
    return ExportResult(rows=rows, masked=not reveal, file_name=f"党员信息_{_stamp()}.xlsx")


# -- organisations --------------------------------------------------------------------------------------------

def org_subtree(actor, org: Organization):
    """`org` and the organisations under it that the actor may view; Http404 when `org` itself is out of scope."""
    visible = Organization.objects.restrict(actor, roles.ORG_VIEW)
    root = visible.filter(pk=org.pk).first()
    if root is None:
        raise Http404("党组织不存在或不在您的管理范围内")
    return root, visible.filter(path__startswith=root.path)


def org_export_rows(actor, root: Organization, queryset):
    """The organisations in path order, each with `parent_code`: the parent's code when the actor may see it.

    Parents come before children in path order, so a dictionary of the codes written so far answers every
    lookup but the root's, which takes one query.
    """
    steplen = Organization.steplen
    codes: dict[str, str] = {}
    outer = root.path[:-steplen]
    if outer:
        above = Organization.objects.restrict(actor, roles.ORG_VIEW).filter(path=outer)
        codes[outer] = above.values_list("code", flat=True).first() or ""
    fields = [c.key for c in ORG_COLUMNS if c.key != "parent"] + ["path", "status"]
    for org in queryset.order_by("path").values(*fields).iterator(chunk_size=CHUNK_ROWS):
        org["parent_code"] = codes.get(org["path"][:-steplen], "")
        codes[org["path"]] = org["code"]
        yield org


def org_columns(masked: bool) -> list[OutColumn]:
    special = {"parent": OutColumn("", "number_text", itemgetter("parent_code"))}
    columns = _columns(Organization, ORG_COLUMNS, ORG_MASKS, masked, special)
    columns.append(OutColumn("状态", "text", lambda o: ORG_STATUS_LABELS.get(o["status"], o["status"])))  # read-only
    return columns


def do_export_organizations(*, org: Organization, out: IO[bytes], actor, reveal: bool = False,
                            reason: str = "") -> ExportResult:
    """Export an organisation and the organisations under it that the actor may view (党组织信息导出).

    联系电话 is masked unless `reveal` is asked, the actor holds the reveal right over every exported
    organisation and gives a reason. The 上级党组织 column holds the parent's code when the actor may see
    the parent. A refusal raises ValidationError and writes nothing. One audit record per export.
    """
    root, queryset = org_subtree(actor, org)
    reason = checked_reason(reveal=reveal, reason=reason, may_reveal=not reveal or may_reveal_all(actor, queryset))
    if reveal:
        queryset = queryset.restrict(actor, roles.MEMBER_REVEAL)
    rows = write_workbook(out, sheet_name="党组织信息", columns=org_columns(masked=not reveal),
                          rows=org_export_rows(actor, root, queryset))
    detail = (f"导出党组织信息 {rows} 条（{'含完整联系电话' if reveal else '联系电话已脱敏'}）；"
              f"范围：{root.name}（{root.code}）及其下级党组织")
    if reason:
        detail += f"；理由：{mask_long_digits(reason)}"
    _record("org.export", actor=actor, obj=root, detail=detail,
            after={"rows": rows, "masked": not reveal, "filter": {"org": root.code, "subtree": True}})
    name = _UNSAFE_FILE_CHARS.sub("_", root.short_name or root.name)[:40]
    return ExportResult(rows=rows, masked=not reveal, file_name=f"{name}及下级党组织_{_stamp()}.xlsx")

