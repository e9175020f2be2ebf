"""Running the warning rules: findings are upserted by their key (the same problem is never found twice), findings
that no longer hold are resolved, yellow and red findings open rectification tasks (督办), a finding that comes back
after its task was closed reopens the task, and a task past its deadline escalates to the organisation above.
Called by `actions.do_run_evaluation` inside its transaction."""

from __future__ import annotations

import datetime as dt
import gc
import hashlib
import time
from dataclasses import dataclass, field

from django.db.models import F, Max

from dangjian.core import bulk, rulebook

from . import inbox
from .choices import LEVEL_RANK, Level, StepKind, TaskState
from .models import Evaluation, Finding, InboxMessage, RectificationTask, TaskStep
from .rules import REGISTRY, Hit

CHUNK = 2000


def finding_key(code: str, hit: Hit) -> str:
    return f"{code}:{hit.org_id}:{hit.member_id or '-'}:{hit.detail_key}"


def content_digest(level: str, message: str, evidence) -> str:
    """What a finding says (level, message, evidence), as 32 hex digits: equal digests, nothing to rewrite. The
    rules build their evidence in a fixed order, so the same evidence gives the same text night after night."""
    return _digest(level, message, bulk.json_text(evidence))


def _digest(level: str, message: str, evidence_text: str) -> str:
    return hashlib.blake2b(f"{level}\x1f{message}\x1f{evidence_text}".encode(), digest_size=16).hexdigest()


def deadline_for(level: str, on: dt.date) -> dt.date:
    return on + dt.timedelta(days=rulebook.value("rectification_days", on)[level])


@dataclass
class Outcome:
    evaluation: Evaluation
    keys_by_rule: dict = field(default_factory=dict)



def collect(on: dt.date, codes) -> dict[str, tuple[str, Hit]]:
    """Every hit of the rules, keyed; of two hits with one key the higher level stands."""
    shared: dict = {}
    found: dict[str, tuple[str, Hit]] = {}
    for code in codes:
        for hit in REGISTRY[code].evaluate(on, shared):
            key = finding_key(code, hit)
            if key not in found or LEVEL_RANK[hit.level] > LEVEL_RANK[found[key][1].level]:
                found[key] = (code, hit)
    return found


def _legacy_contents(pks) -> dict:
    """(level, message, evidence) of findings stored without a digest (before digests were kept): compared once
    the old way, after which they have one."""
    out = {}
    for part in bulk.chunks(pks):
        out.update((pk, (level, message, evidence)) for pk, level, message, evidence in
                   Finding.objects.filter(pk__in=part).values_list("pk", "level", "message", "evidence"))
    return out


# PostgreSQL settings for the evaluation's transaction only (SET LOCAL): the grouped reads over a million members
# sort and hash in memory instead of on disk, and the JIT compiler, which costs more than it saves on these
# statements of a second or two, stays off.
TRANSACTION_SETTINGS = {"work_mem": "256MB", "jit": "off"}


def tune_transaction() -> None:
    from django.db import connection

    if connection.vendor != "postgresql" or not connection.in_atomic_block:
        return
    with connection.cursor() as cursor:
        for name, value in TRANSACTION_SETTINGS.items():
            cursor.execute("SELECT set_config(%s, %s, true)", [name, str(value)])


def run(on: dt.date, codes=None) -> Evaluation:
    started = time.perf_counter()
    tune_transaction()
    codes = list(codes or REGISTRY)
    evaluation = Evaluation.objects.create(on=on, rules=codes)
    # Collecting makes millions of short-lived objects and no reference cycles: the cycle collector would only
    # walk them again and again, so it pauses meanwhile (reference counting still frees everything).
    paused = gc.isenabled()
    gc.disable()
    try:
        hits = collect(on, codes)
    finally:
        if paused:
            gc.enable()
    # The findings already known, without their evidence: the digest says whether a hit changes anything.
    existing = {row[1]: row for row in Finding.objects.filter(rule__in=codes).values_list(
        "pk", "key", "digest", "resolved_on")}
    citations = {code: REGISTRY[code].citation[:300] for code in codes}
    legacy = _legacy_contents([row[0] for row in existing.values() if not row[2]])
    new, changed, same, recurred, backfill = [], [], [], [], []
    for key, (code, hit) in hits.items():
        message = hit.message[:500]
        evidence = bulk.JSONText(bulk.json_text(hit.evidence))  # encoded once: for the digest and the insert
        digest = _digest(hit.level, message, evidence)
        row = existing.get(key)
        if row is None:
            new.append({"key": key, "rule": code, "org_id": hit.org_id, "member_id": hit.member_id,
                        "level": hit.level, "message": message, "citation": citations[code],
                        "evidence": evidence, "first_seen": on, "last_seen": on, "digest": digest})
            continue
        pk, _, known, resolved_on = row
        if resolved_on is not None:
            recurred.append(pk)
        if not known and resolved_on is None and legacy.get(pk) == (hit.level, message, hit.evidence):
            backfill.append((pk, digest))  # unchanged, written before digests were kept: only the digest is new
            same.append(pk)
        elif known != digest or resolved_on is not None:
            changed.append(Finding(pk=pk, level=hit.level, message=message, evidence=hit.evidence,
                                   last_seen=on, resolved_on=None, digest=digest))
        else:
            same.append(pk)
    # The findings, tasks, first steps and inbox messages of a first evaluation are hundreds of thousands of rows:
    # on PostgreSQL their foreign keys are proven once per key at the end instead of by a trigger per row.
    with bulk.references_proven_at_end(Finding, RectificationTask, TaskStep, InboxMessage):
        bulk.insert_dicts(Finding, new)
        bulk.refresh_statistics(Finding, len(new))
        Finding.objects.bulk_update(changed, ["level", "message", "evidence", "last_seen", "resolved_on", "digest"],
                                    batch_size=CHUNK)
        bulk.update_column(Finding, "digest", backfill)
        for part in bulk.chunks(recurred):
            Finding.objects.filter(pk__in=part).update(recurrences=F("recurrences") + 1)
        gone = [row[0] for key, row in existing.items() if key not in hits and row[3] is None]
        for part in bulk.chunks(gone):
            Finding.objects.filter(pk__in=part).update(resolved_on=on)
        # Every finding still active was seen today: one statement, however many there are.
        Finding.objects.filter(rule__in=codes, resolved_on__isnull=True).exclude(last_seen=on).update(last_seen=on)
        evaluation.opened, evaluation.still_open, evaluation.resolved = len(new), len(changed) + len(same), len(gone)
        evaluation.tasks_opened, evaluation.tasks_reopened = open_tasks(on, codes)
    evaluation.tasks_escalated = escalate(on)
    evaluation.seconds = time.perf_counter() - started
    from django.utils import timezone

    evaluation.finished_at = timezone.now()
    evaluation.save()
    return evaluation


def open_tasks(on: dt.date, codes) -> tuple[int, int]:
    """A task for every active yellow or red finding without one; a closed task whose finding holds again reopens."""
    from django.db.models import Case, CharField, DateField, DateTimeField, IntegerField, TextField, Value, When
    from django.utils import timezone

    active = Finding.objects.filter(rule__in=codes, resolved_on__isnull=True, level__in=[Level.YELLOW, Level.RED])
    # The new tasks and their first steps are written by the database from the findings (INSERT … SELECT): on a
    # first evaluation of a large deployment that is hundreds of thousands of rows no Python loop touches.
    # The closed tasks whose finding holds again, read before the new tasks are written (none of which is closed).
    reopened = list(RectificationTask.objects.select_for_update(of=("self",)).filter(
        state=TaskState.CLOSED, finding__in=active).select_related("finding"))
    deadlines = {level: deadline_for(level, on) for level in (Level.YELLOW, Level.RED)}
    day = Value(on, output_field=DateField())
    watermark = RectificationTask.objects.aggregate(last=Max("pk"))["last"] or 0  # tasks above it are this run's
    opened = bulk.insert_from_select(RectificationTask, active.filter(task__isnull=True), {
        "finding_id": F("pk"), "org_id": F("org_id"), "level": F("level"),
        "state": Value(TaskState.OPEN, output_field=CharField()), "opened_on": day,
        "deadline": Case(When(level=Level.RED, then=Value(deadlines[Level.RED])),
                         default=Value(deadlines[Level.YELLOW]), output_field=DateField()),
        "escalations": Value(0, output_field=IntegerField()), "reopened": Value(0, output_field=IntegerField()),
        "rectification_note": Value("", output_field=TextField())})
    bulk.refresh_statistics(RectificationTask, opened)
    new_tasks = RectificationTask.objects.filter(pk__gt=watermark)
    bulk.insert_from_select(TaskStep, new_tasks, {
        "task_id": F("pk"), "kind": Value(StepKind.OPENED, output_field=CharField()), "on": day,
        "at": Value(timezone.now(), output_field=DateTimeField()), "note": F("finding__message")})
    # Their inbox messages too: one row per holder of the task's organisation, none through Python.
    inbox.post_for_tasks(new_tasks, Case(*[When(level=level, then=Value(f"新的督办任务（{level.label}）"))
                                           for level in (Level.RED, Level.YELLOW)],
                                         default=Value("新的督办任务"), output_field=CharField()),
                         F("finding__message"))
    events = []
    for task in reopened:
        task.state, task.reopened, task.closed_on = TaskState.OPEN, task.reopened + 1, None
        task.level, task.opened_on = task.finding.level, on
        task.deadline, task.escalated_to = deadline_for(task.level, on), None
        events.append((task.pk, task.org_id, "问题复现，重新督办", task.finding.message))
    RectificationTask.objects.bulk_update(
        reopened, ["state", "reopened", "closed_on", "level", "opened_on", "deadline", "escalated_to"], batch_size=CHUNK)
    TaskStep.objects.bulk_create([TaskStep(task=task, kind=StepKind.REOPENED, on=on, note=task.finding.message[:500])
                                  for task in reopened], batch_size=CHUNK)
    inbox.post(events)
    return opened, len(reopened)


def escalate(on: dt.date) -> int:
    """A task not rectified by its deadline goes one level up (to the parent of the organisation that holds it
    now), with a new deadline; a task already at the root stays where it is. Written in bulk: a day when thousands
    of tasks fall due costs a few statements, not thousands."""
    from dangjian.orgs.models import Organization

    step = Organization.steplen
    overdue = list(RectificationTask.objects.select_for_update(of=("self",)).filter(
        state__in=[TaskState.OPEN, TaskState.ACKNOWLEDGED], deadline__lt=on).select_related("org", "escalated_to"))
    wanted = {(task.escalated_to or task.org).path[:-step] for task in overdue}
    wanted.discard("")
    parents = {org.path: org for part in bulk.chunks(wanted) for org in Organization.objects.filter(path__in=part)}
    moved, steps, events = [], [], []
    for task in overdue:
        parent = parents.get((task.escalated_to or task.org).path[:-step])
        if parent is None:
            continue
        task.escalated_to, task.escalations = parent, task.escalations + 1
        task.deadline = deadline_for(task.level, on)
        moved.append(task)
        steps.append(TaskStep(task=task, kind=StepKind.ESCALATED, on=on,
                              note=f"逾期未整改，提级由{parent}督办，新的整改时限 {task.deadline}"))
        events.append((task.pk, parent.pk, "督办任务逾期，提级督办", f"{task.org} 的督办任务 #{task.pk} 逾期未整改"))
        events.append((task.pk, task.org_id, "督办任务逾期，已提级督办", f"新的整改时限 {task.deadline}"))
    RectificationTask.objects.bulk_update(moved, ["escalated_to", "escalations", "deadline"], batch_size=CHUNK)
    TaskStep.objects.bulk_create(steps, batch_size=CHUNK)
    inbox.post(events)
    return len(moved)
