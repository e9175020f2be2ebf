"""Building blocks for organisational-life tests: meetings on given days, held through the real actions."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from dangjian.orgs.models import CommitteeMember, GroupMembership
from dangjian.orglife import actions, checkin

TZ = ZoneInfo("Asia/Shanghai")


def at(y, m, d, hour=9, minute=0) -> dt.datetime:
    return dt.datetime(y, m, d, hour, minute, tzinfo=TZ)


def schedule(world, org, kind, day: dt.date, hours=2, actor=None, **kw):
    start = at(day.year, day.month, day.day, 9)
    return actions.do_schedule_meeting(org, kind=kind, topic=kw.pop("topic", "学习党的二十届四中全会精神"),
                                       starts_at=start, ends_at=start + dt.timedelta(hours=hours),
                                       actor=actor or world.secretary, **kw)


def hold(world, org, kind, day: dt.date, present=None, actor=None, **kw):
    """A meeting on `day`, with `present` (default: every participant due) checked in on their behalf, recorded."""
    actor = actor or world.secretary
    meeting = schedule(world, org, kind, day, actor=actor, **kw)
    rows = list(meeting.attendances.select_related("member"))
    chosen = rows if present is None else [r for r in rows if r.member in present]
    for row in chosen:
        checkin.do_check_in_on_behalf(meeting, member=row.member, actor=actor)
    return actions.do_record_meeting(meeting, topic=meeting.topic, minutes="会议传达学习了有关精神，并进行了讨论。",
                                     actor=actor)


def committee(org, members, since: dt.date, until: dt.date | None = None):
    positions = ["secretary", "organization_officer", "publicity_officer", "member", "member"]
    return [CommitteeMember.objects.create(org=org, member=m, position=positions[i], started_on=since,
                                           ended_on=until, source="recorded") for i, m in enumerate(members)]


def place_in_group(group, members, since: dt.date):
    for m in members:
        GroupMembership.objects.create(group=group, member=m, started_on=since)


def add_members(org, n, **overrides):
    """Members written directly (as the demo and imports do), with their history opened."""
    import uuid

    from dangjian.members.history import open_missing_periods
    from dangjian.members.models import Member
    from factories import member_data

    made = [Member.objects.create(org=org, id_number_index=f"t-{uuid.uuid4().hex}", name_initials="",
                                  **member_data(**overrides)) for _ in range(n)]
    open_missing_periods()
    return made
