"""A small organisation with something behind every indicator: members moved between branches, meetings held through
the real actions (attendance and study facts), dues billed and partly paid, warnings open and resolved, recruitment
steps, logins. Dates are relative to today so the windows of the indicators always hold them."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

from django.utils import timezone

from dangjian.analytics import facts
from dangjian.dues import actions as dues
from dangjian.dues.months import add_months, month_of
from dangjian.members.models import MemberPeriod

def today() -> dt.date:
    return timezone.localdate()


def move(member, org, on: dt.date) -> None:
    """`member` moves to `org` on `on` (their period history says so, as the transfer actions would write it)."""
    current = MemberPeriod.objects.get(member=member, valid_to__isnull=True)
    previous_org = current.org
    current.valid_to = on
    current.save(update_fields=["valid_to"])
    MemberPeriod.objects.create(member=member, org=org, status=current.status, valid_from=on)
    member.org = org
    member.save(update_fields=["org"])
    return previous_org


def seat(org, members, on: dt.date, ended_on: dt.date | None = None) -> None:
    """A committee of `members` (secretary, 组织委员, 宣传委员, in that order) in office from `on`."""
    from dangjian.orgs.models import CommitteeMember, Position

    positions = [Position.SECRETARY, Position.ORGANIZATION_OFFICER, Position.PUBLICITY_OFFICER]
    for member, position in zip(members, positions):
        CommitteeMember.objects.create(org=org, member=member, position=position, started_on=on, ended_on=ended_on,
                                       source=CommitteeMember.Source.RECORDED)


def build(world) -> dict:
    from dangjian.alerts.models import Finding
    from orglife.helpers import hold

    day = today()
    br1, br2, br3 = world.members["BR1"], world.members["BR2"], world.members["BR3"]
    moved = br2[2]
    move(moved, world.br3, day - dt.timedelta(days=100))
    # Meetings held 40 days ago: a theme day with two of BR1's three members present, a party lecture in BR2.
    held_day = day - dt.timedelta(days=40)
    hold(world, world.br1, "theme_day", held_day, present=br1[:2])
    hold(world, world.br2, "party_lecture", held_day, actor=world.secretary2, present=br2[:1])
    # Dues: BR1's second member pays two of the months billed.
    this_month = month_of(day)
    dues.do_set_standard(br1[1], category="employed", base="5000", base_kind="monthly",
                         effective_from=add_months(this_month, -3), actor=world.secretary)
    dues.do_record_payment(br1[1], months=[add_months(this_month, -3), add_months(this_month, -2)],
                           actor=world.secretary, idempotency_key=uuid.uuid4().hex)
    from alerts.helpers import unpaid_months

    unpaid_months(world, br1[2], 2, on=day)  # two months billed to the third member, not paid
    # Logins and a task step, written as the actions write them.
    facts.record_many([facts.fact("login", on=day - dt.timedelta(days=k), org_id=world.br3.pk, member_id=br3[0].pk)
                       for k in range(1, 20)])
    facts.record("task_step", on=day - dt.timedelta(days=5), org_id=world.br2.pk)
    # Warnings: a red one open in BR2, a yellow one open in BR3, a red one resolved.
    for key, org, level, first, resolved in (("a", world.br2, "red", 10, None), ("b", world.br3, "yellow", 30, None),
                                             ("c", world.br1, "red", 60, 20)):
        Finding.objects.create(key=f"test:{key}", rule="dues_arrears", org=org, level=level, message="测试",
                               first_seen=day - dt.timedelta(days=first), last_seen=day,
                               resolved_on=None if resolved is None else day - dt.timedelta(days=resolved))
    # Recruitment: an application received 30 days ago in BR1.
    from recruiting import apply

    apply(world, applied_on=day - dt.timedelta(days=30))
    return {"moved": moved, "held_day": held_day}


def study_hours_of_a_two_hour_meeting() -> Decimal:
    from dangjian.core import rulebook

    return (Decimal(120) / Decimal(rulebook.value("study_hour_minutes"))).quantize(Decimal("0.1"))
