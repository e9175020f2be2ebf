"""Arrears (欠缴): months unpaid per member, and what the branch must act on."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from django.urls import reverse

from dangjian.accounts import roles
from dangjian.core import rulebook

from .models import DuesBill
from .months import add_months, month_of


@dataclass
class Arrears:
    consecutive: int  # unpaid months in a row, ending last month
    total: int  # unpaid months in all (this month is not yet overdue)
    months: list[dt.date]


def arrears_by_member(bills, today: dt.date | None = None) -> dict[int, Arrears]:
    """From a bill queryset (already scoped), the arrears of each member who has any."""
    current = month_of(today or dt.date.today())
    unpaid = defaultdict(list)
    for member_id, month in (bills.filter(month__lt=current, amount__gt=0).exclude(payments__active=True)
                             .values_list("member_id", "month").order_by("member_id", "-month")):
        unpaid[member_id].append(month)
    result = {}
    for member_id, months in unpaid.items():
        run, expected = 0, add_months(current, -1)
        for month in months:
            if month != expected:
                break
            run += 1
            expected = add_months(expected, -1)
        result[member_id] = Arrears(consecutive=run, total=len(months), months=sorted(months))
    return result


def attention_items(user, today: dt.date | None = None) -> list:
    from dangjian.members.queries import AttentionItem

    today = today or dt.date.today()
    arrears = arrears_by_member(DuesBill.objects.restrict(user, roles.DUES_MANAGE), today)
    notice = rulebook.value("dues_arrears_notice_months", today)
    lapse = rulebook.value("dues_arrears_lapse_months", today)
    red = sum(1 for a in arrears.values() if a.consecutive >= lapse)
    yellow = sum(1 for a in arrears.values() if notice <= a.consecutive < lapse)
    items = []
    if red:
        items.append(AttentionItem(
            f"连续 {lapse} 个月未交纳党费", red,
            f"无正当理由连续 {lapse} 个月不交纳党费，按自行脱党处理（{rulebook.citation('dues_arrears_lapse_months')}），"
            "请支部立即谈话了解情况", url=reverse("dues:sheet") + "?arrears=red", level="red"))
    if yellow:
        items.append(AttentionItem(
            f"连续 {notice} 个月以上未交纳党费", yellow, "请提醒按时交纳，了解是否有困难（可申请减免）",
            url=reverse("dues:sheet") + "?arrears=yellow", level="yellow"))
    return items
