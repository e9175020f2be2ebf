"""Who hears of a task event, and the inbox rows that tell them."""

from __future__ import annotations

from collections import defaultdict

from django.db import transaction
from django.db.models import F

from dangjian.accounts import roles
from dangjian.accounts.models import RoleAssignment
from dangjian.core import bulk

from . import notify
from .models import InboxMessage


def _assignments(perm: str):
    roles_with = [name for name, role in roles.ROLES.items() if perm in role.permissions]
    return RoleAssignment.objects.filter(role__in=roles_with, revoked_at__isnull=True, user__is_active=True)


def holder_orgs(perm: str = roles.ALERTS_MANAGE):
    """The organisations where someone holds `perm` in the organisation itself, as a subquery of ids."""
    return _assignments(perm).filter(org__isnull=False).values("org_id")


def holders(org_ids, perm: str = roles.ALERTS_MANAGE) -> dict[int, set[int]]:
    """Accounts holding `perm` in each organisation itself (its secretary, 组织委员 …): org id → user ids."""
    out = defaultdict(set)
    for part in bulk.chunks(sorted(org_ids)):
        for org_id, user_id in _assignments(perm).filter(org_id__in=part).values_list("org_id", "user_id"):
            out[org_id].add(user_id)
    return out


def post_for_tasks(tasks, title, body, perm: str = roles.ALERTS_MANAGE) -> int:
    """One inbox row per holder of each task's own organisation, written by the database (INSERT … SELECT):
    `tasks` is a queryset of tasks, `title` and `body` expressions over it. A first evaluation opens hundreds of
    thousands of tasks; none of their messages passes through Python unless a channel is there to send them."""
    from django.db.models import CharField, DateTimeField, Value
    from django.db.models.functions import Left
    from django.utils import timezone

    roles_with = [name for name, role in roles.ROLES.items() if perm in role.permissions]
    # One filter() call: the three conditions hold for the same assignment (one join), read by user_id below.
    held = tasks.filter(org__role_assignments__role__in=roles_with, org__role_assignments__revoked_at__isnull=True,
                        org__role_assignments__user__is_active=True).distinct()
    marker = timezone.now()
    written = bulk.insert_from_select(InboxMessage, held, {
        "user_id": F("org__role_assignments__user_id"), "task_id": F("pk"),
        "title": Left(title, 200, output_field=CharField()), "body": Left(body, 1000, output_field=CharField()),
        "created_at": Value(marker, output_field=DateTimeField())})
    if written and notify.adapters():
        rows = (InboxMessage.objects.filter(task__in=tasks, created_at=marker)
                .values_list("user_id", "user__username", "title", "body", "task_id").order_by("pk"))
        notices = [notify.Notice(*row) for row in rows]
        transaction.on_commit(lambda: notify.deliver(notices))
    return written


def post(events: list[tuple]) -> int:
    """`events`: (task id, org id to tell, title, body). One inbox row per holder; adapters after commit."""
    if not events:
        return 0
    who = holders({org_id for _, org_id, _, _ in events})
    rows = [{"user_id": user_id, "task_id": task_id, "title": title[:200], "body": body[:1000]}
            for task_id, org_id, title, body in events for user_id in sorted(who.get(org_id, ()))]
    bulk.insert_dicts(InboxMessage, rows)
    if rows and notify.adapters():
        from django.contrib.auth import get_user_model

        names = {}
        for part in bulk.chunks(sorted({r["user_id"] for r in rows})):
            names.update(get_user_model().objects.filter(pk__in=part).values_list("pk", "username"))
        notices = [notify.Notice(r["user_id"], names.get(r["user_id"], ""), r["title"], r["body"], r["task_id"])
                   for r in rows]
        transaction.on_commit(lambda: notify.deliver(notices))
    return len(rows)
