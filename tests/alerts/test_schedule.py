"""Nightly evaluation without cron: the worker enqueues each daily job once a day, from its time of day on, however
many workers run; a worker that starts late catches up the same day."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
from django.core.exceptions import ImproperlyConfigured
from django_tasks_db.models import DBTaskResult

from dangjian.alerts.models import Evaluation
from dangjian.core import schedule
from dangjian.core.models import ScheduledRun

pytestmark = pytest.mark.django_db
SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")


def at(day, hour, minute=0):
    return dt.datetime(2026, 6, day, hour, minute, tzinfo=SHANGHAI)


def recorder():
    calls = []
    return calls, [schedule.Daily("test.job", dt.time(2, 0), calls.append)]


def test_a_daily_job_is_enqueued_once_a_day_from_its_time_on():
    calls, daily = recorder()
    assert schedule.run_due(at(15, 1, 59), daily) == []
    assert schedule.run_due(at(15, 2, 0), daily) == ["test.job"]
    assert schedule.run_due(at(15, 2, 1), daily) == []  # the next tick, or a second worker
    assert schedule.run_due(at(15, 23, 0), daily) == []
    assert schedule.run_due(at(16, 2, 0), daily) == ["test.job"]
    assert calls == [dt.date(2026, 6, 15), dt.date(2026, 6, 16)]


def test_a_worker_started_after_the_time_catches_up_the_same_day():
    calls, daily = recorder()
    assert schedule.run_due(at(15, 9, 30), daily) == ["test.job"]
    assert calls == [dt.date(2026, 6, 15)]


def test_the_day_is_the_local_day_in_china():
    calls, daily = recorder()
    schedule.run_due(dt.datetime(2026, 6, 14, 18, 30, tzinfo=dt.timezone.utc), daily)  # 02:30 on the 15th in Beijing
    assert calls == [dt.date(2026, 6, 15)]


def test_a_failed_enqueue_leaves_the_day_open_for_the_next_tick():
    def broken(on):
        raise RuntimeError("queue down")

    with pytest.raises(RuntimeError):
        schedule.run_due(at(15, 2), [schedule.Daily("test.job", dt.time(2, 0), broken)])
    assert not ScheduledRun.objects.exists()
    calls, daily = recorder()
    assert schedule.run_due(at(15, 2, 1), daily) == ["test.job"]


def test_a_switched_off_job_is_never_enqueued(settings):
    settings.ALERTS_NIGHTLY_AT = "off"
    settings.ANALYTICS_NIGHTLY_AT = "off"
    assert schedule.run_due(at(15, 3)) == []
    settings.ALERTS_NIGHTLY_AT = "2点"
    with pytest.raises(ImproperlyConfigured) as exc:
        schedule.jobs()
    assert "时:分" in str(exc.value)


def test_the_nightly_evaluation_is_enqueued_and_the_worker_runs_it(world, settings):
    settings.ALERTS_NIGHTLY_AT = "02:00"
    assert schedule.run_due(at(15, 2, 5)) == ["alerts.evaluate"]
    queued = DBTaskResult.objects.get()
    assert queued.task_path == "dangjian.alerts.jobs.evaluate_warnings"
    queued.task.call(*queued.args_kwargs["args"], **queued.args_kwargs["kwargs"])  # what the worker does with it
    run = Evaluation.objects.get()
    assert run.on == dt.date(2026, 6, 15)
