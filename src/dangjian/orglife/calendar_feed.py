"""The ICS calendar feed of a user's own meetings, behind a revocable token (phones subscribe to the address)."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from dangjian.accounts import roles
from dangjian.core import audit

from .choices import MeetingState
from .models import CalendarFeed, Meeting


def feed_for(user) -> CalendarFeed | None:
    return CalendarFeed.objects.filter(user=user, revoked_at__isnull=True).first()


def feed_user(token: str):
    if not token or len(token) > 64:
        return None
    feed = CalendarFeed.objects.filter(token=token, revoked_at__isnull=True).select_related("user").first()
    if feed is None or not feed.user.is_active:
        return None
    return feed.user


@transaction.atomic
def do_revoke_feed(user) -> int:
    count = CalendarFeed.objects.filter(user=user, revoked_at__isnull=True).update(revoked_at=timezone.now())
    if count:
        audit.record("orglife.feed_revoke", actor=user, object_type="orglife.calendarfeed", object_id=str(user.pk),
                     detail="停用日历订阅地址")
    return count


@transaction.atomic
def do_issue_feed(user) -> CalendarFeed:
    """A new address; the old one (if any) stops working."""
    CalendarFeed.objects.filter(user=user, revoked_at__isnull=True).update(revoked_at=timezone.now())
    feed = CalendarFeed.objects.create(user=user)
    audit.record("orglife.feed_issue", actor=user, obj=feed, object_repr="日历订阅", detail="生成日历订阅地址")
    return feed


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


def _stamp(moment: dt.datetime) -> str:
    return moment.astimezone(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")


def _fold(line: str) -> list[str]:
    """RFC 5545: lines longer than 75 octets are folded (continuation lines start with a space)."""
    out, current = [], ""
    for ch in line:
        if len((current + ch).encode()) > 75:
            out.append(current)
            current = " " + ch
        else:
            current += ch
    return out + [current]


def calendar_text(user, now: dt.datetime | None = None) -> str:
    now = now or timezone.now()
    meetings = (Meeting.objects.restrict(user, roles.ORGLIFE_VIEW).exclude(state=MeetingState.CANCELLED)
                .filter(starts_at__gte=now - dt.timedelta(days=90)).select_related("org").order_by("starts_at")[:500])
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//dangjian//orglife//ZH", "CALSCALE:GREGORIAN",
             "X-WR-CALNAME:组织生活"]
    for m in meetings:
        lines += ["BEGIN:VEVENT", f"UID:meeting-{m.pk}@dangjian", f"DTSTAMP:{_stamp(now)}",
                  f"DTSTART:{_stamp(m.starts_at)}", f"DTEND:{_stamp(m.ends_at)}",
                  f"SUMMARY:{_escape(f'{m.get_kind_display()}：{m.topic}')}",
                  f"LOCATION:{_escape(m.place)}", f"DESCRIPTION:{_escape(str(m.org))}", "END:VEVENT"]
    lines.append("END:VCALENDAR")
    return "\r\n".join(part for line in lines for part in _fold(line)) + "\r\n"
