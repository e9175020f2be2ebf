"""Requests for an indicator refresh (立即计算). The refresh itself (`refresh.do_refresh`) runs in the worker: at a
national size it takes minutes, never a web request."""

from __future__ import annotations

from django.db import transaction
from django.http import Http404
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from dangjian.accounts import roles
from dangjian.core import audit

from .refresh import check_as_of, check_engine


def refresh_pending() -> bool:
    """A refresh waits in the queue or runs now (database queue only; other backends run at once)."""
    from django_tasks_db.models import DBTaskResult

    from .jobs import refresh_indicators

    return DBTaskResult.objects.filter(task_path=refresh_indicators.module_path,
                                       status__in=["READY", "RUNNING"]).exists()


def do_request_refresh(*, actor, as_of=None, engine: str | None = None) -> None:
    """立即计算: recompute every indicator as of `as_of` (today by default) in the background. One at a time."""
    if not actor.has_perm_anywhere(roles.ANALYTICS_REFRESH):
        raise Http404
    day, name = check_as_of(as_of), check_engine(engine)
    from .jobs import refresh_indicators

    with transaction.atomic():
        if refresh_pending():
            raise ValidationError({"__all__": _("已有一次指标计算在排队或进行中，请稍后刷新查看结果")})
        audit.record("analytics.refresh_request", actor=actor, object_repr=_("指标计算 %(day)s") % {"day": day},
                     after={"as_of": day.isoformat(), "engine": name})
        transaction.on_commit(lambda: refresh_indicators.enqueue(day.isoformat(), name))
