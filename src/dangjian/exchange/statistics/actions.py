"""Exports of the annual statistics: permission, the tables, the workbook, and one audit record each."""

from __future__ import annotations

import datetime as dt
import re
from typing import IO

from django.db import transaction
from django.utils import timezone

from dangjian.accounts import roles
from dangjian.core import audit
from dangjian.core.actions import require
from dangjian.orgs.models import Organization

from ..exporting import ExportResult
from .report import annual_report
from .tables import Report
from .workbook import write_report

_UNSAFE_FILE_CHARS = re.compile(r'[\\/:*?"<>|\s]+')


def _record(report: Report, *, actor, fmt: str) -> None:
    with transaction.atomic():
        audit.record("statistics.export", actor=actor, obj=report.org,
                     detail=(f"导出党内统计年报（{'Excel' if fmt == 'xlsx' else 'JSON'}）：{report.org_name}"
                             f"（{report.org.code}）及其下级党组织，截止 {report.on:%Y年%m月%d日}")[:500],
                     after={"org": report.org.code, "on": report.on.isoformat(), "format": fmt,
                            "tables": [t.key for t in report.tables],
                            "members": report.table("membership_change").value("本年底党员数")})


def file_name(report: Report) -> str:
    name = _UNSAFE_FILE_CHARS.sub("_", report.org.short_name or report.org_name)[:40]
    return f"{name}_党内统计年报_{report.on:%Y%m%d}.xlsx"


def do_export_statistics(*, org: Organization, on: dt.date, out: IO[bytes], actor) -> ExportResult:
    """The annual statistics of `org` and everything under it on `on`, written as a workbook to `out` (党内统计年报
    导出); audited with the organisation, the day and the tables."""
    require(actor, roles.STATISTICS_VIEW, org)
    report = annual_report(org, on)
    write_report(report, out)
    _record(report, actor=actor, fmt="xlsx")
    return ExportResult(rows=sum(len(t.rows) for t in report.tables), masked=True, file_name=file_name(report))


def do_export_statistics_data(*, org: Organization, on: dt.date, actor) -> dict:
    """The same tables as data (the API's JSON), audited like the workbook."""
    require(actor, roles.STATISTICS_VIEW, org)
    report = annual_report(org, on)
    _record(report, actor=actor, fmt="json")
    return report.as_dict() | {"generated_at": timezone.now().isoformat()}
