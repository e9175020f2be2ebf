"""Writes of the warning engine and the rectification loop (督办). A task goes open → acknowledged (签收) →
rectified (报告整改, with the evidence) → closed (the higher organisation verifies and 销号), or is sent back
to acknowledged; every step is audited, taken under a row lock, and told to the organisation's inbox."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.http import Http404

from dangjian.accounts import roles
from dangjian.analytics import facts
from dangjian.analytics.models import FactKind
from dangjian.core import audit
from dangjian.orgs.models import Organization

from . import evaluation, inbox
from .choices import StepKind, TaskState
from .models import Evaluation, RectificationTask, TaskStep

NOTE_MAX = 2000


EVALUATION_LOCK_KEY = 0x64_6A_61_6C  # "djal": one evaluation at a time


def _lock_evaluation() -> None:
    """Two evaluations at once (the nightly job and an on-demand run) take turns: the second then finds the
    first one's findings and opens nothing twice."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [EVALUATION_LOCK_KEY])
    # SQLite: transactions are IMMEDIATE, so writers are already serialised.


def do_run_evaluation(on: dt.date | None = None, *, actor=None, codes=None) -> Evaluation:
    """Evaluate every warning rule for `on` (today by default). Idempotent: a second run on the same data opens
    nothing new. The run is one audited transaction."""
    on = on or dt.date.today()
    if codes:
        from .rules import REGISTRY

        unknown = sorted(set(codes) - set(REGISTRY))
        if unknown:
            raise ValidationError({"codes": f"未知的预警规则：{'、'.join(unknown)}"})
    with transaction.atomic():
        _lock_evaluation()
        run = evaluation.run(on, codes)
        audit.record("alerts.evaluate", actor=actor, obj=run, object_repr=f"预警评估 {on}",
                     actor_name="" if actor else "system",
                     after={"on": on, "opened": run.opened, "resolved": run.resolved, "tasks_opened": run.tasks_opened,
                            "tasks_reopened": run.tasks_reopened, "tasks_escalated": run.tasks_escalated})
    return run


def evaluation_pending() -> bool:
    """An evaluation is waiting in the queue or running now (database queue only; other backends run at once)."""
    from django_tasks_db.models import DBTaskResult

    from .jobs import evaluate_warnings

    return DBTaskResult.objects.filter(task_path=evaluate_warnings.module_path,
                                       status__in=["READY", "RUNNING"]).exists()


def do_request_evaluation(*, actor, on: dt.date | None = None) -> None:
    """立即评估: the organisation department asks for every rule to run now; the worker runs it in the background
    (at a million members it takes tens of seconds). One at a time: a second request while one waits is refused."""
    if not actor.has_perm_anywhere(roles.ALERTS_EVALUATE):
        raise Http404
    from .jobs import evaluate_warnings

    on = on or dt.date.today()
    if on > dt.date.today():
        raise ValidationError({"on": "评估日期不能晚于今天"})
    with transaction.atomic():
        if evaluation_pending():
            raise ValidationError({"on": "已有一次预警评估在排队或进行中，请稍后刷新查看结果"})
        audit.record("alerts.evaluate_request", actor=actor, object_repr=f"预警评估 {on}", after={"on": on})
        transaction.on_commit(lambda: evaluate_warnings.enqueue(on.isoformat()))


def _locked_task(task_id: int, user, perm: str) -> RectificationTask:
    """Fetch-and-authorise under a row lock; a task outside the user's scope for `perm` does not exist (404)."""
    if not user.has_perm_anywhere(perm):
        raise Http404
    task = RectificationTask.objects.restrict(user, perm).select_for_update(of=("self",)).filter(pk=task_id).first()
    if task is None:
        raise Http404
    return task


def _note(note: str, field: str, required_message: str) -> str:
    note = (note or "").strip()
    if not note:
        raise ValidationError({field: required_message})
    if len(note) > NOTE_MAX:
        raise ValidationError({field: f"说明不能超过 {NOTE_MAX} 字"})
    return note


def _step(task, kind, on, actor, note, title, tell_org_id=None):
    step = TaskStep.objects.create(task=task, kind=kind, on=on, actor=actor, note=note)
    facts.record(FactKind.TASK_STEP, on=on, org_id=task.org_id, ref=facts.ref_of(step),
                 detail={"step": kind, "rule": task.finding.rule, "task": task.pk})
    inbox.post([(task.pk, tell_org_id or task.org_id, title, note or StepKind(kind).label)])
    return step


def _audit(action, task, actor, before_state, note=""):
    audit.record(action, actor=actor, obj=task, before={"state": before_state},
                 after={"state": task.state, "note": note[:200]})


def do_acknowledge_task(task: RectificationTask, *, actor, on: dt.date | None = None) -> RectificationTask:
    """签收: the responsible organisation confirms it has the task."""
    on = on or dt.date.today()
    with transaction.atomic():
        task = _locked_task(task.pk, actor, roles.ALERTS_MANAGE)
        if task.state != TaskState.OPEN:
            raise ValidationError({"state": f"该督办任务当前为“{task.get_state_display()}”，无需签收"})
        before, task.state = task.state, TaskState.ACKNOWLEDGED
        task.save(update_fields=["state"])
        _step(task, StepKind.ACKNOWLEDGED, on, actor, "", f"督办任务 #{task.pk} 已签收")
        _audit("alerts.acknowledge", task, actor, before)
    return task


def do_rectify_task(task: RectificationTask, *, note: str, actor, on: dt.date | None = None) -> RectificationTask:
    """报告整改: what was done, with the evidence (documents, dates, meeting records); the higher organisation
    verifies it next."""
    on = on or dt.date.today()
    note = _note(note, "note", "请填写整改情况和佐证材料说明")
    with transaction.atomic():
        task = _locked_task(task.pk, actor, roles.ALERTS_MANAGE)
        if task.state == TaskState.OPEN:
            raise ValidationError({"state": "请先签收督办任务，再报告整改情况"})
        if task.state != TaskState.ACKNOWLEDGED:
            raise ValidationError({"state": f"该督办任务当前为“{task.get_state_display()}”，不能报告整改情况"})
        before = task.state
        task.state, task.rectification_note = TaskState.RECTIFIED, note
        task.save(update_fields=["state", "rectification_note"])
        parent_id = (Organization.objects.filter(path=task.org.path[:-Organization.steplen]).values_list("pk", flat=True)
                     .first())
        _step(task, StepKind.RECTIFIED, on, actor, note, f"督办任务 #{task.pk} 已报告整改，待核验",
              tell_org_id=parent_id)
        _audit("alerts.rectify", task, actor, before, note)
    return task


def reported_by(task: RectificationTask) -> int | None:
    """The user who reported the rectification now awaiting verification."""
    return (task.steps.filter(kind=StepKind.RECTIFIED).order_by("-pk").values_list("actor_id", flat=True).first())


def do_verify_task(task: RectificationTask, *, accepted: bool, note: str = "", actor,
                   on: dt.date | None = None) -> RectificationTask:
    """核验: the organisation above accepts the rectification (the task is closed, 销号) or sends it back with
    its reasons. An organisation never verifies its own task (the scope for verification lies strictly below), and
    whoever reported the rectification never verifies it (a committee may act on both sides below it)."""
    on = on or dt.date.today()
    note = (note or "").strip()
    if not accepted:
        note = _note(note, "note", "退回整改时请说明理由")
    with transaction.atomic():
        task = _locked_task(task.pk, actor, roles.ALERTS_VERIFY)
        if task.state != TaskState.RECTIFIED:
            raise ValidationError({"state": f"该督办任务当前为“{task.get_state_display()}”，尚未报告整改，不能核验"})
        if reported_by(task) == actor.pk:
            raise ValidationError({"state": "整改情况由您本人报告，须由上级党组织的其他人员核验（整改与核验分离）"})
        before = task.state
        if accepted:
            task.state, task.closed_on = TaskState.CLOSED, on
            task.save(update_fields=["state", "closed_on"])
            _step(task, StepKind.VERIFIED, on, actor, note, f"督办任务 #{task.pk} 核验通过，已销号")
            _audit("alerts.verify", task, actor, before, note)
        else:
            task.state = TaskState.ACKNOWLEDGED
            task.save(update_fields=["state"])
            _step(task, StepKind.SENT_BACK, on, actor, note, f"督办任务 #{task.pk} 被退回整改")
            _audit("alerts.send_back", task, actor, before, note)
    return task


def do_mark_inbox_read(message_ids, *, actor) -> int:
    from django.utils import timezone

    from .models import InboxMessage

    return InboxMessage.objects.restrict(actor).filter(pk__in=list(message_ids), read_at__isnull=True).update(
        read_at=timezone.now())
