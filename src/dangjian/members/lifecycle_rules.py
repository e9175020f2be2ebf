"""Read-side rules of a member's lifecycle: 党龄, sanctions in effect, votes refused by discipline or by being a
mobile member away from home. Other apps (recruitment, elections) read these; they never write."""

from __future__ import annotations

import datetime as dt

from dangjian.core import rulebook

from .choices import MemberStatus
from .periods import add_months


def party_standing_years(member, on: dt.date | None = None) -> int | None:
    """党龄 in whole years: from the end of probation (转正, 细则 第三十三条) to `on` — or to the date of death, for
    党龄 stops there while the record and 党籍 stay. None for a 预备党员 (no 党龄 yet)."""
    if member.converted_on is None:
        return None
    until = on or dt.date.today()
    if member.status == MemberStatus.DECEASED and member.status_changed_on and member.status_changed_on < until:
        until = member.status_changed_on
    if until < member.converted_on:
        return 0
    years = until.year - member.converted_on.year
    if (until.month, until.day) < (member.converted_on.month, member.converted_on.day):
        years -= 1
    return years


def sanctions_in_effect(member, on: dt.date | None = None):
    """Disciplinary actions whose period (or impact period) covers `on`; 开除党籍 has no end."""
    from django.db.models import Q

    from .models import DisciplinaryAction

    on = on or dt.date.today()
    return DisciplinaryAction.objects.filter(member=member, starts_on__lte=on).filter(
        Q(ends_on__isnull=True) | Q(ends_on__gt=on)).order_by("-starts_on")


def recent_sanction(member, on: dt.date | None = None, within_months: int | None = None):
    """The latest sanction decided within `within_months` before `on` (any sanction when None), or None."""
    from .models import DisciplinaryAction

    on = on or dt.date.today()
    rows = DisciplinaryAction.objects.filter(member=member, decided_on__lte=on)
    if within_months is not None:
        rows = rows.filter(decided_on__gt=add_months(on, -within_months))
    return rows.order_by("-decided_on", "-id").first()


def probation_within_party_refusal(member, on: dt.date) -> str | None:
    from .models import DisciplinaryAction

    found = sanctions_in_effect(member, on).filter(kind=DisciplinaryAction.Kind.PROBATION_WITHIN_PARTY).first()
    if found is None:
        return None
    return (f"正在留党察看期间（至 {found.ends_on:%Y年%m月%d日}），没有表决权、选举权和被选举权"
            f"（{rulebook.citation('probation_within_party_max_years')}）")


def introducer_sanction_refusal(member, on: dt.date | None = None) -> tuple[str, str] | None:
    """细则2026 第十四条: under 留党察看 a member cannot introduce ("block"); within the impact period of 警告, 严重警告
    or 撤销党内职务 a member should not ("warn"). Returns (level, reason) or None."""
    from .models import DisciplinaryAction

    on = on or dt.date.today()
    refusal = probation_within_party_refusal(member, on)
    if refusal:
        return "block", refusal.replace("没有表决权、选举权和被选举权", "不能作入党介绍人")
    for action in sanctions_in_effect(member, on):
        if action.kind in (DisciplinaryAction.Kind.WARNING, DisciplinaryAction.Kind.SERIOUS_WARNING,
                           DisciplinaryAction.Kind.REMOVAL_FROM_POST):
            return "warn", (f"受到{action.get_kind_display()}处分，尚在影响期内（至 {action.ends_on:%Y年%m月%d日}），"
                            f"不宜作入党介绍人（{rulebook.citation('sanction_impact_months')}）")
    return None


def open_mobile_record(member):
    from .models import MobileRecord

    return MobileRecord.objects.filter(member=member, state__in=[MobileRecord.State.OUT, MobileRecord.State.IN]).first()


def mobile_voting_refusal(member, org, on: dt.date | None = None) -> str | None:
    """A mobile member takes part in the inflow organisation's life but votes only where the relationship is."""
    if org is None or getattr(org, "pk", org) == member.org_id:
        return None
    record = open_mobile_record(member)
    if record is not None and record.inflow_org_id == getattr(org, "pk", org):
        return ("流动党员在流入地党组织参加组织生活，但不在流入地行使表决权、选举权和被选举权"
                "（《流动党员活动证》使用管理的有关规定）")
    return None


def lifecycle_voting_refusal(member, on: dt.date, org=None) -> str | None:
    if member.pk is None:
        return None
    return probation_within_party_refusal(member, on) or mobile_voting_refusal(member, org, on)
