"""Where each member was, and with which 党籍 status, on any day; and the counts of a past day.

A member's periods (`MemberPeriod`) follow one another without gap or overlap: a transfer received, a move in a
restructuring or a status change closes the current period on the day it takes effect and opens the next. With
the organisation versions of `orgs.history`, "how many full members did X have on 2025-12-31, counted in the tree
as it stood that day" is one query (`counts_on`).
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import Count, Q

from dangjian.orgs.history import change_refusal, in_force, subtree_on
from dangjian.orgs.models import Organization

from .choices import Category, MemberStatus
from .models import Member, MemberPeriod


def record_periods(members, on: dt.date | None) -> None:
    """Write the present organisation and status of `members` (freshly read) as their period from `on`.

    A member without a period gets its first one; an unchanged member keeps theirs; a change on the day the current
    period began replaces it; a change dated before that day is refused (history is written forwards only)."""
    members = list(members)
    if not members:
        return
    current = {p.member_id: p for p in MemberPeriod.objects.select_for_update().filter(
        member__in=[m.pk for m in members], valid_to__isnull=True)}
    new = []
    for member in members:
        period = current.get(member.pk)
        if period is None:
            new.append(MemberPeriod(member_id=member.pk, org_id=member.org_id, status=member.status, valid_from=on))
            continue
        if period.org_id == member.org_id and period.status == member.status:
            continue
        if on is None:
            raise ValueError("a change of an existing member needs the date it takes effect")
        refusal = change_refusal(period.valid_from, on, f"党员{member}组织关系或党籍状态")
        if refusal:
            raise ValidationError({"effective_on": refusal})
        if period.valid_from == on:
            period.org_id, period.status = member.org_id, member.status
            period.save(update_fields=["org", "status"])
            continue
        period.valid_to = on
        period.save(update_fields=["valid_to"])
        new.append(MemberPeriod(member_id=member.pk, org_id=member.org_id, status=member.status, valid_from=on))
    MemberPeriod.objects.bulk_create(new, batch_size=1000)


def last_change_on(member) -> dt.date | None:
    """The day the member's current period began (None: since the record began)."""
    return (MemberPeriod.objects.filter(member=member, valid_to__isnull=True)
            .values_list("valid_from", flat=True).first())


def open_missing_periods() -> int:
    """Give every member without history their periods from the record: in their organisation since the record
    began, and, for one whose status changed on a known day, normal until that day and the status after it.

    Used for members written in bulk (the demo, imports) and for the records that existed before history was kept.
    Set-based: two statements however many members."""
    table, member_table = MemberPeriod._meta.db_table, Member._meta.db_table
    changed = "m.status <> 'normal' AND m.status_changed_on IS NOT NULL"
    with connection.cursor() as cursor:
        cursor.execute(
            f"""INSERT INTO {table} (member_id, org_id, status, valid_from, valid_to)
                SELECT m.id, m.org_id, CASE WHEN {changed} THEN 'normal' ELSE m.status END, NULL,
                       CASE WHEN {changed} THEN m.status_changed_on END
                FROM {member_table} m
                WHERE NOT EXISTS (SELECT 1 FROM {table} p WHERE p.member_id = m.id)""")
        written = cursor.rowcount
        cursor.execute(
            f"""INSERT INTO {table} (member_id, org_id, status, valid_from, valid_to)
                SELECT m.id, m.org_id, m.status, m.status_changed_on, NULL
                FROM {member_table} m
                WHERE {changed}
                  AND NOT EXISTS (SELECT 1 FROM {table} p WHERE p.member_id = m.id AND p.valid_to IS NULL)""")
        return written + cursor.rowcount


def periods_on(day: dt.date):
    """Every member's period in force on `day`."""
    return MemberPeriod.objects.filter(in_force(day))


def _on_roll(day: dt.date):
    """Periods of members on the roll on `day`: admitted by then, and with a normal 党籍 that day."""
    return periods_on(day).filter(status=MemberStatus.NORMAL, member__joined_on__lte=day)


def _full_on(day: dt.date) -> Q:
    """Full members on `day`: converted by then, or recorded as full without a conversion date."""
    return Q(member__converted_on__lte=day) | Q(member__converted_on__isnull=True, member__category=Category.FULL)


def counts_on(org: Organization, day: dt.date) -> dict[str, int]:
    """Members of `org` and everything below it on `day`, in the tree as it stood that day.

    {"total", "full", "probationary"}; all zero when the organisation did not exist that day."""
    orgs = subtree_on(org, day).values("org_id")
    found = _on_roll(day).filter(org__in=orgs).aggregate(total=Count("id"), full=Count("id", filter=_full_on(day)))
    return {"total": found["total"], "full": found["full"], "probationary": found["total"] - found["full"]}


def counts_by_org_on(org: Organization, day: dt.date) -> dict[int, dict[str, int]]:
    """Members directly in each organisation of `org`'s subtree on `day` (organisation id → counts)."""
    orgs = subtree_on(org, day).values("org_id")
    rows = (_on_roll(day).filter(org__in=orgs).values("org_id")
            .annotate(total=Count("id"), full=Count("id", filter=_full_on(day))))
    return {row["org_id"]: {"total": row["total"], "full": row["full"], "probationary": row["total"] - row["full"]}
            for row in rows}


def org_on(member, day: dt.date):
    """The organisation the member belonged to on `day` (None before the record began)."""
    return periods_on(day).filter(member=member).values_list("org_id", flat=True).first()


# -- one member, or one organisation's roll, as of a past day --------------------------------------------------------

def status_on(member, day: dt.date) -> str | None:
    """The member's 党籍 status on `day` (None before the record began or before they were admitted)."""
    if member.joined_on is not None and member.joined_on > day:
        return None
    return periods_on(day).filter(member=member).values_list("status", flat=True).first()


def full_on(member, day: dt.date) -> bool:
    """Whether the member was a full member (正式党员) on `day`: admitted, converted by then (or recorded as full
    without a conversion date), and with a normal 党籍 that day."""
    if member.joined_on is None or member.joined_on > day:
        return False
    if member.converted_on is not None:
        converted = member.converted_on <= day
    else:
        converted = member.category == Category.FULL
    return converted and status_on(member, day) == MemberStatus.NORMAL


def roll_on(org: Organization, day: dt.date) -> list:
    """The members directly in `org` on `day` with a normal 党籍 (admitted by then), as the roll stood that day."""
    ids = _on_roll(day).filter(org=org).values("member_id")
    return list(Member.objects.filter(pk__in=ids).order_by("id"))


def voting_members_on(org: Organization, day: dt.date, roll: list | None = None) -> list:
    """Members of `org` who had a vote on `day` (选举工作条例 第五条): full members that day, not under 留党察看 that day.

    A member who joined the branch, was converted or left after `day` is judged as they stood on `day`."""
    from .lifecycle_rules import lifecycle_voting_refusal

    voting = []
    for member in roll_on(org, day) if roll is None else roll:
        if not full_on_record(member, day):
            continue
        if lifecycle_voting_refusal(member, day, org) is None:
            voting.append(member)
    return voting


def full_on_record(member, day: dt.date) -> bool:
    """`full_on` for a member already known to be on the roll that day (no second read of the periods)."""
    if member.converted_on is not None:
        return member.converted_on <= day
    return member.category == Category.FULL
