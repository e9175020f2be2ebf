"""Background jobs of the exchange app (django-tasks; `dangjian worker` runs them)."""

from __future__ import annotations

from django_tasks import task

from dangjian.core import context

from . import importing
from .models import ImportJob

def run(job: ImportJob) -> ImportJob:
    """Take a job as far as it may go: validate it, and commit it when that was asked for."""
    token = context.use_context(source=job.source, request_id=f"import-{job.pk}")
    try:
        if job.state in (ImportJob.State.QUEUED, ImportJob.State.VALIDATING):
            job = importing.validate(job)
        if job.state == ImportJob.State.VALIDATED and job.commit_requested and job.can_commit:
            job = importing.commit(job)
        elif job.state == ImportJob.State.VALIDATED and job.commit_requested and not job.error_count:
            importing.finish_unchanged(job)
        elif job.state == ImportJob.State.COMMITTING:
            job = importing.commit(job)
    except importing.ImportFailed as exc:
        importing.set_state(job, ImportJob.State.FAILED, str(exc))
    finally:
        context.restore_context(token)
    return job


@task()
def run_import(job_id: int) -> str:
    job = ImportJob.objects.filter(pk=job_id).first()
    if job is None:
        return "missing"
    return run(job).state


def enqueue(job: ImportJob) -> None:
    run_import.enqueue(job.pk)


def resume_interrupted() -> int:
    """Queue again the jobs a killed worker left half-done (their lease has run out or was never taken)."""
    from django.db.models import Q
    from django.utils import timezone

    stale = ImportJob.objects.filter(
        Q(state__in=(ImportJob.State.VALIDATING, ImportJob.State.COMMITTING), lease_until__lt=timezone.now())
        | Q(state=ImportJob.State.QUEUED)
        | Q(state=ImportJob.State.VALIDATED, commit_requested=True)
    )
    count = 0
    for job in stale:
        enqueue(job)
        count += 1
    return count


def on_worker_start() -> str:
    resumed = resume_interrupted()
    purged = importing.purge_expired()
    return f"恢复 {resumed} 个中断的导入任务，清除 {purged} 个过期任务的暂存数据"
