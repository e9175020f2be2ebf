"""Background job of the indicators (django-tasks; `dangjian worker` runs it, nightly at ANALYTICS_NIGHTLY_AT)."""

from __future__ import annotations

from django_tasks import task

from dangjian.core import context


@task()
def refresh_indicators(as_of: str | None = None, engine: str | None = None) -> dict:
    from .refresh import do_refresh

    token = context.use_context(source="system", request_id=f"analytics-{as_of or 'today'}")
    try:
        run = do_refresh(as_of, engine=engine)
    finally:
        context.restore_context(token)
    return {"run": run.pk, "state": run.state, "timings": run.timings}
