"""Daily jobs, run by `dangjian worker` without cron: a thread of the worker wakes every minute and enqueues each
job whose time of day has come and that has not been enqueued for today (a unique row per job and day decides,
so several workers enqueue it once). A worker started after the time catches up the same day."""

from __future__ import annotations

import datetime as dt
import logging
import threading
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, close_old_connections, transaction
from django.utils import timezone

log = logging.getLogger("dangjian.schedule")
TICK_SECONDS = 60


@dataclass(frozen=True)
class Daily:
    name: str
    at: dt.time | None  # None: switched off
    enqueue: object  # a callable that puts the job on the queue for a date


def parse_time(text: str) -> dt.time | None:
    """'02:00' → 02:00; '' or 'off' → switched off. A typo stops the worker with a clear message."""
    from django.core.exceptions import ImproperlyConfigured

    text = (text or "").strip().lower()
    if text in ("", "off", "0", "false"):
        return None
    try:
        return dt.time.fromisoformat(text)
    except ValueError:
        raise ImproperlyConfigured(f"定时任务时间应写成 时:分（如 02:00），或 off 表示不运行：{text!r}") from None


def jobs() -> list[Daily]:
    from dangjian.alerts.jobs import evaluate_warnings
    from dangjian.analytics.jobs import refresh_indicators

    return [Daily("alerts.evaluate", parse_time(settings.ALERTS_NIGHTLY_AT),
                  lambda on: evaluate_warnings.enqueue(on.isoformat())),
            Daily("analytics.refresh", parse_time(settings.ANALYTICS_NIGHTLY_AT),
                  lambda on: refresh_indicators.enqueue(on.isoformat()))]


def run_due(now: dt.datetime | None = None, daily: list[Daily] | None = None) -> list[str]:
    """Enqueue every job due at `now` (local time) and not yet enqueued today; the names of those enqueued."""
    from .models import ScheduledRun

    now = timezone.localtime(now or timezone.now())
    enqueued = []
    for job in jobs() if daily is None else daily:
        if job.at is None or now.time() < job.at:
            continue
        try:
            with transaction.atomic():
                ScheduledRun.objects.create(name=job.name, on=now.date())
                job.enqueue(now.date())
        except IntegrityError:
            continue  # another worker enqueued it today
        enqueued.append(job.name)
        log.info("scheduled job %s enqueued for %s", job.name, now.date())
    return enqueued


def start(stop: threading.Event) -> threading.Thread:
    """The worker's scheduling thread (a daemon: it ends with the worker)."""

    def loop():
        while not stop.is_set():
            try:
                run_due()
            except Exception:  # noqa: BLE001 - a failed tick is logged and retried at the next one
                log.exception("scheduling failed; retrying in %s s", TICK_SECONDS)
            finally:
                close_old_connections()
            stop.wait(TICK_SECONDS)

    thread = threading.Thread(target=loop, name="dangjian-schedule", daemon=True)
    thread.start()
    return thread
