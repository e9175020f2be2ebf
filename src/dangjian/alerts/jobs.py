"""Background jobs of the warning engine (django-tasks; `dangjian worker` runs them). Schedule `evaluate_warnings`
nightly (cron: `dangjian alerts evaluate`) and enqueue it on demand."""

from __future__ import annotations

import datetime as dt

from django_tasks import task

from dangjian.core import context


@task()
def evaluate_warnings(on: str | None = None) -> dict:
    from .actions import do_run_evaluation

    token = context.use_context(source="system", request_id=f"alerts-{on or 'today'}")
    try:
        run = do_run_evaluation(dt.date.fromisoformat(on) if on else None)
    finally:
        context.restore_context(token)
    return {"evaluation": run.pk, "opened": run.opened, "resolved": run.resolved, "tasks_opened": run.tasks_opened}
