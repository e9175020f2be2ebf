"""Dues reports as .xlsx: a branch's monthly collection sheet, the summary per organisation, the year."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal

from django.db import transaction
from django.db.models import Count, Q, Sum

from dangjian.accounts import roles
from dangjian.core import audit, rulebook
from dangjian.core.actions import require
from dangjian.exchange.exporting import OutColumn, write_workbook
from dangjian.members.choices import MemberStatus
from dangjian.members.models import Member
from dangjian.orgs.models import Organization

from .actions import standards_in_force
from .models import DuesBill, DuesPayment
from .months import add_months, label
from .queries import arrears_by_member

ZERO = Decimal("0.00")


def _text(header, key):
    return OutColumn(header, "text", lambda row: row[key])


def _money(header, key):
    return OutColumn(header, "money", lambda row: row[key])


def collection_sheet(out, org: Organization, month: dt.date, *, actor) -> int:
    """收缴登记表: every paying member of `org` and below for `month`, with what was due and paid."""
    require(actor, roles.DUES_MANAGE, org)
    members = (Member.objects.restrict(actor, roles.DUES_MANAGE)
               .filter(org__path__startswith=org.path, status=MemberStatus.NORMAL).select_related("org")
               .order_by("org__path", "name"))
    members = list(members)
    bills = {b.member_id: b for b in DuesBill.objects.filter(member__in=members, month=month)}
    paid = {p.bill_id: p for p in DuesPayment.objects.filter(bill__in=bills.values(), active=True)}
    standards = standards_in_force(members, month)
    rows = []
    for n, member in enumerate(members, start=1):
        bill = bills.get(member.pk)
        payment = paid.get(bill.pk) if bill else None
        standard = standards.get(member.pk)
        rows.append({
            "n": str(n), "name": member.name, "org": member.org.short_name or member.org.name,
            "basis": standard.explanation if standard else "未核定",
            "due": bill.amount if bill else (standard.monthly_amount if standard else None),
            "paid": payment.amount if payment else None,
            "paid_on": payment.paid_on if payment else None,
            "method": payment.get_method_display() + (f"（{payment.paid_by}）" if payment and payment.paid_by else "")
            if payment else "未交",
        })
    columns = [_text("序号", "n"), _text("姓名", "name"), _text("所在党组织", "org"), _text("计算依据", "basis"),
               _money("应交（元）", "due"), _money("实交（元）", "paid"),
               OutColumn("缴纳日期", "date", lambda row: row["paid_on"]), _text("方式", "method")]
    count = write_workbook(out, sheet_name=f"{label(month)}党费收缴", columns=columns, rows=rows)
    _audit("dues.report", actor, org, f"{org}：导出{label(month)}党费收缴登记表（{count} 人）")
    return count


def summary(out, org: Organization, month: dt.date, *, actor) -> int:
    """收缴汇总: for `org` and each organisation directly under it, due, paid and arrears for `month`."""
    require(actor, roles.DUES_MANAGE, org)
    units = [org] + list(Organization.objects.restrict(actor, roles.DUES_MANAGE)
                         .filter(path__startswith=org.path, depth=org.depth + 1).order_by("path"))
    in_scope = DuesBill.objects.restrict(actor, roles.DUES_MANAGE)
    notice = rulebook.value("dues_arrears_notice_months", month)
    arrears = arrears_by_member(in_scope.filter(member__org__path__startswith=org.path), add_months(month, 1))
    behind_paths = list(Member.objects.filter(pk__in=[m for m, a in arrears.items() if a.consecutive >= notice])
                        .values_list("org__path", flat=True))
    rows = []
    for unit in units:
        bills = in_scope.filter(member__org__path__startswith=unit.path, month=month)
        totals = bills.aggregate(n=Count("id"), due=Sum("amount"),
                                 paid_n=Count("id", filter=Q(payments__active=True)),
                                 paid=Sum("payments__amount", filter=Q(payments__active=True)))
        rows.append({"org": unit.name + ("（合计）" if unit.pk == org.pk else ""), "n": totals["n"] or 0,
                     "due": totals["due"] or ZERO, "paid_n": totals["paid_n"] or 0, "paid": totals["paid"] or ZERO,
                     "behind": sum(1 for path in behind_paths if path.startswith(unit.path))})
    columns = [_text("党组织", "org"), OutColumn("应交人数", "number", lambda r: r["n"]), _money("应交（元）", "due"),
               OutColumn("已交人数", "number", lambda r: r["paid_n"]), _money("实交（元）", "paid"),
               OutColumn(f"连续欠缴 {notice} 个月以上人数", "number", lambda r: r["behind"])]
    count = write_workbook(out, sheet_name=f"{label(month)}党费汇总", columns=columns, rows=rows)
    _audit("dues.report", actor, org, f"{org}：导出{label(month)}党费收缴汇总表")
    return count


def year_publication(out, org: Organization, year: int, *, actor) -> int:
    """收缴情况公示: month by month for the year, what was due and collected, voluntary payments, to the Centre."""
    require(actor, roles.DUES_MANAGE, org)
    scope = Q(member__org__path__startswith=org.path)
    due, collected, counts = defaultdict(lambda: ZERO), defaultdict(lambda: ZERO), defaultdict(int)
    for row in (DuesBill.objects.restrict(actor, roles.DUES_MANAGE).filter(scope, month__year=year).values("month")
                .annotate(due=Sum("amount")).order_by()):
        due[row["month"]] = row["due"] or ZERO
    payments = DuesPayment.objects.restrict(actor, roles.DUES_MANAGE).filter(scope, active=True)
    for row in (payments.filter(bill__month__year=year).values("bill__month")
                .annotate(paid=Sum("amount"), n=Count("id")).order_by()):
        collected[row["bill__month"]], counts[row["bill__month"]] = row["paid"] or ZERO, row["n"]
    voluntary = payments.filter(kind=DuesPayment.Kind.VOLUNTARY, paid_on__year=year)
    rows = [{"month": label(dt.date(year, m, 1)), "due": due[dt.date(year, m, 1)],
             "paid": collected[dt.date(year, m, 1)], "n": counts[dt.date(year, m, 1)]} for m in range(1, 13)]
    rows.append({"month": "全年合计", "due": sum(due.values(), ZERO), "paid": sum(collected.values(), ZERO),
                 "n": sum(counts.values())})
    extra = voluntary.aggregate(total=Sum("amount"), central=Sum("amount", filter=Q(for_central=True)))
    rows.append({"month": "自愿多交", "due": None, "paid": extra["total"] or ZERO, "n": voluntary.count()})
    rows.append({"month": "其中全额上缴中央", "due": None, "paid": extra["central"] or ZERO,
                 "n": voluntary.filter(for_central=True).count()})
    columns = [_text("月份", "month"), _money("应交（元）", "due"), _money("实交（元）", "paid"),
               OutColumn("缴纳笔数", "number", lambda r: r["n"])]
    count = write_workbook(out, sheet_name=f"{year}年党费收缴情况", columns=columns, rows=rows)
    _audit("dues.report", actor, org, f"{org}：导出{year}年党费收缴情况公示表")
    return count


def _audit(action, actor, org, detail):
    with transaction.atomic():
        audit.record(action, actor=actor, obj=org, detail=detail)
