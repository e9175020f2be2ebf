"""Data for the warning rules, written directly (the tests are about what the rules read)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from dangjian.alerts.rules import REGISTRY
from dangjian.dues.models import DuesBill, DuesStandard
from dangjian.dues.months import add_months, month_of

ON = dt.date(2026, 6, 15)


def hits(code, on=ON):
    return REGISTRY[code].evaluate(on)


def levels_by_member(code, on=ON):
    return {h.member_id: h.level for h in hits(code, on)}


def levels_by_org(code, on=ON):
    return {h.org_id: h.level for h in hits(code, on)}


def unpaid_months(world, member, count, on=ON):
    """Bills for the `count` months before the month of `on`, none paid."""
    standard = DuesStandard.objects.create(member=member, effective_from=dt.date(2020, 1, 1), category="employed",
                                           monthly_amount=Decimal("50.00"), explanation="测试",
                                           status="confirmed", declared_by=world.secretary)
    for k in range(1, count + 1):
        DuesBill.objects.create(member=member, month=add_months(month_of(on), -k), amount=Decimal("50.00"),
                                standard=standard, org=member.org)


def secretary_for(org, member, day=dt.date(2024, 1, 1)):
    from dangjian.orgs.models import CommitteeMember, Term

    term = Term.objects.create(org=org, number=1, started_on=day, ends_on=dt.date(2030, 1, 1))
    return CommitteeMember.objects.create(org=org, term=term, member=member, position="secretary", started_on=day,
                                          source="recorded")
