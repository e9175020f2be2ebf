"""Notices to the participants of a meeting: a row in each participant's in-app inbox (站内消息), and the outgoing
adapters (SMS, email) the deployment configured, after the transaction commits."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from dangjian.alerts import notify
from dangjian.alerts.models import InboxMessage
from dangjian.members.models import Member


def notify_participants(meeting, title: str, body: str = "") -> int:
    users = dict(Member.objects.filter(meeting_attendances__meeting=meeting, user__isnull=False,
                                       user__is_active=True).values_list("user_id", "user__username"))
    if not users:
        return 0
    rows = [InboxMessage(user_id=user_id, title=title[:200], body=body[:1000]) for user_id in sorted(users)]
    InboxMessage.objects.bulk_create(rows)
    if notify.adapters():
        notices = [notify.Notice(r.user_id, users[r.user_id], r.title, r.body, None) for r in rows]
        transaction.on_commit(lambda: notify.deliver(notices))
    return len(rows)


def meeting_notice(meeting) -> tuple[str, str]:
    start = timezone.localtime(meeting.starts_at)
    title = f"会议通知：{meeting.get_kind_display()}（{start:%m月%d日 %H:%M}）"
    body = f"{meeting.org}将于 {start:%Y年%m月%d日 %H:%M} 召开{meeting.get_kind_display()}，议题：{meeting.topic}"
    if meeting.place:
        body += f"，地点：{meeting.place}"
    return title, body + "。请准时参加，不能参加的请向支部请假。"
