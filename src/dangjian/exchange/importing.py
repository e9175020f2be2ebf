"""The import pipeline: read → map headers → validate every row → stage → commit in resumable chunks.

Validation writes nothing but staged rows, so a validation that is interrupted simply starts again.
Commit applies staged rows chunk by chunk; each chunk marks its rows applied in the same transaction
as the writes and its audit record, so a job killed anywhere resumes to the end state of a clean run.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import ctypes
import multiprocessing
import os
import signal
import socket
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, connections, transaction
from django.db.models import Count, F, Q
from django.utils import timezone

from dangjian.core.bulk import insert_rows
from dangjian.core import audit
from dangjian.core.crypto import provider

from . import reading
from .columns import EXPLANATION_MARK, KINDS, Column, header_key, header_lookup
from .models import ImportJob, ImportRow

FILE_CONTEXT = "exchange.import_file"
HEADER_SCAN_ROWS = 10
PR_SET_PDEATHSIG = 1
LEASE_SECONDS = 300  # a worker that stops renewing for this long is presumed dead


class ImportFailed(Exception):
    """The whole file cannot be imported (a missing column, an unreadable sheet); the message is Chinese."""


# -- the uploaded file: encrypted at rest, decrypted into memory only --------------------------------------

def file_path(job: ImportJob) -> Path:
    return Path(settings.IMPORT_DIR) / f"job-{job.pk}.bin"


def store_file(job: ImportJob, data: bytes) -> None:
    path = file_path(job)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_bytes(provider().encrypt_bytes(data, f"{FILE_CONTEXT}:{job.pk}"))
    tmp.replace(path)


def load_file(job: ImportJob) -> bytes:
    path = file_path(job)
    if not path.exists():
        raise ImportFailed("上传的文件已过保留期被清除，请重新上传")
    return provider().decrypt_bytes(path.read_bytes(), f"{FILE_CONTEXT}:{job.pk}")


def discard_file(job: ImportJob) -> None:
    file_path(job).unlink(missing_ok=True)


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# -- reading a sheet into rows keyed by column --------------------------------------------------------------

@dataclass
class SourceRow:
    number: int  # the row number Excel shows (1-based), blank rows included
    cells: dict[str, object]  # column key → raw cell
    original: list  # the row as written, for the error report


@dataclass
class Table:
    headers: dict[str, str]  # column key → header as written in the file
    original_headers: list[str]
    rows: list[SourceRow]
    ignored: list[str] = field(default_factory=list)


def locate_table(sheet_rows: list[list], columns: tuple[Column, ...]) -> Table:
    """Find the header row (a title row above it is fine), map header variants, collect the data rows."""
    lookup = header_lookup(columns)
    best_index, best_hits = None, 0
    for index, row in enumerate(sheet_rows[:HEADER_SCAN_ROWS]):
        hits = len({lookup[k].key for k in (header_key(v) for v in row if v is not None) if k in lookup})
        if hits > best_hits:
            best_index, best_hits = index, hits
    required = [c for c in columns if c.required]
    if best_index is None or best_hits < 2:
        raise ImportFailed(
            "找不到表头行：请使用下载的模板，或确保前 10 行中有一行列名，如“" + "”“".join(c.header for c in required) + "”"
        )
    header_row = sheet_rows[best_index]
    headers: dict[str, str] = {}
    positions: dict[str, int] = {}
    ignored = []
    for position, value in enumerate(header_row):
        if value is None or not str(value).strip():
            continue
        column = lookup.get(header_key(value))
        if column is None:
            ignored.append(str(value).strip())
        elif column.key in positions:
            raise ImportFailed(f"“{value}”与“{headers[column.key]}”是同一列，请删除其中一列")
        else:
            headers[column.key] = str(value).strip()
            positions[column.key] = position
    missing = [c.header for c in required if c.key not in headers]
    if missing:
        raise ImportFailed("缺少必填列：" + "、".join(missing))
    rows = []
    for index in range(best_index + 1, len(sheet_rows)):
        raw = sheet_rows[index]
        if not any(reading._filled(v) for v in raw):
            continue
        first = next((v for v in raw if reading._filled(v)), "")
        if isinstance(first, str) and first.strip().startswith(EXPLANATION_MARK):
            continue
        cells = {key: (raw[pos] if pos < len(raw) else None) for key, pos in positions.items()}
        rows.append(SourceRow(number=index + 1, cells=cells, original=list(raw[: len(header_row)])))
    return Table(headers=headers, original_headers=[_as_text(v) for v in header_row], rows=rows, ignored=ignored)


def _as_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, (dt.date, dt.datetime)):
        return value.strftime("%Y-%m-%d")
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return str(value)


# -- staged values as JSON ---------------------------------------------------------------------------------

def to_json(values: dict) -> dict:
    return {k: (v.isoformat() if isinstance(v, dt.date) else v) for k, v in values.items()}


def date_fields(model) -> set[str]:
    from django.db import models

    return {f.name for f in model._meta.get_fields() if isinstance(f, models.DateField)}


def from_json(values: dict, dates: set[str]) -> dict:
    return {k: (dt.date.fromisoformat(v) if k in dates and v else v) for k, v in values.items()}


def error_pairs(exc: ValidationError, headers: dict[str, str], columns) -> list[list[str]]:
    """Field errors → [[column as written in the file, reason], …]."""
    titles = {c.key: c.header for c in columns}
    pairs = []
    for key, messages in exc.message_dict.items():
        column = headers.get(key) or titles.get(key) or ("所在党组织" if key == "org" else "整行")
        for message in messages:
            pairs.append([column, message])
    return pairs


# -- running a job -----------------------------------------------------------------------------------------

def handler_for(job: ImportJob):
    from .member_import import MemberImport
    from .org_import import OrgImport

    return {ImportJob.Kind.MEMBERS: MemberImport, ImportJob.Kind.ORGS: OrgImport}[job.kind](job)


def set_state(job: ImportJob, state: str, message: str = "", **fields) -> None:
    job.state = state
    job.message = message[:500]
    if state in (ImportJob.State.DONE, ImportJob.State.FAILED, ImportJob.State.CANCELLED):
        job.finished_at = timezone.now()
    for key, value in fields.items():
        setattr(job, key, value)
    job.save()


def validate(job: ImportJob) -> ImportJob:
    """Validate every row of the job's file into staged rows; a rerun starts from scratch."""
    if not claim(job, (ImportJob.State.QUEUED,), ImportJob.State.VALIDATING):
        return job  # another worker holds it
    ImportRow.objects.filter(job=job).delete()
    try:
        rows = read_rows(job)
        handler_for(job).validate(rows)
    except (ImportFailed, reading.RefusedFile) as exc:
        ImportRow.objects.filter(job=job).delete()
        set_state(job, ImportJob.State.FAILED, str(exc))
        return job
    job.refresh_from_db()
    counts = {r["outcome"]: r["n"] for r in
              ImportRow.objects.filter(job=job).values("outcome").annotate(n=Count("id")).order_by()}
    set_state(
        job, ImportJob.State.VALIDATED, validation_summary(job, counts),
        new_count=counts.get("new", 0), updated_count=counts.get("update", 0),
        unchanged_count=counts.get("unchanged", 0), error_count=counts.get("error", 0),
        validated_rows=job.total_rows, lease_until=None,
    )
    return job


def read_rows(job: ImportJob) -> Table | list:
    if job.file_kind == "package":
        from .package import package_rows

        return package_rows(job)
    data = load_file(job)
    sheet = reading.read_sheet(data, job.file_kind)
    table = locate_table(sheet.rows, KINDS[job.kind])
    ImportJob.objects.filter(pk=job.pk).update(
        header_map={"headers": table.headers, "original": table.original_headers, "ignored": table.ignored},
        total_rows=len(table.rows), validated_rows=0,
    )
    job.refresh_from_db()
    return table


def validation_summary(job: ImportJob, counts: dict) -> str:
    parts = [f"新增 {counts.get('new', 0)} 行", f"更新 {counts.get('update', 0)} 行",
             f"无变化 {counts.get('unchanged', 0)} 行", f"有错误 {counts.get('error', 0)} 行"]
    text = "校验完成：" + "，".join(parts)
    ignored = (job.header_map or {}).get("ignored") or []
    if ignored:
        text += "；未识别而忽略的列：" + "、".join(ignored[:10])
    return text


def worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _holder_is_dead(holder: str) -> bool:
    """A holder on this machine whose process is gone (killed) gives up its lease at once."""
    host, _, pid = holder.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return False
    if int(pid) == os.getpid():
        return True  # this process held it before (a rerun in the same process)
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def claim(job: ImportJob, states: tuple[str, ...], new_state: str) -> bool:
    """Take the job for this worker: from one of `states`, or from a worker that is gone or silent too long."""
    now = timezone.now()
    job.refresh_from_db()
    free = Q(state__in=states) | Q(state=new_state, lease_until__lt=now) | Q(state=new_state, lease_until__isnull=True)
    if job.state == new_state and job.lease_holder and _holder_is_dead(job.lease_holder):
        free |= Q(state=new_state, lease_holder=job.lease_holder)
    taken = ImportJob.objects.filter(pk=job.pk).filter(free).update(
        state=new_state, lease_until=now + dt.timedelta(seconds=LEASE_SECONDS), lease_holder=worker_id(),
        updated_at=now)
    job.refresh_from_db()
    return bool(taken)


def renew(job: ImportJob) -> None:
    ImportJob.objects.filter(pk=job.pk).update(lease_until=timezone.now() + dt.timedelta(seconds=LEASE_SECONDS))


def commit(job: ImportJob) -> ImportJob:
    """Apply the staged rows chunk by chunk; safe to run again after an interruption, and by two workers."""
    job.refresh_from_db()
    if job.state == ImportJob.State.DONE:
        return job
    if job.state not in (ImportJob.State.VALIDATED, ImportJob.State.COMMITTING):
        raise ImportFailed(f"任务当前状态为“{job.get_state_display()}”，不能提交")
    if job.error_count and not job.keep_valid:
        raise ImportFailed(f"有 {job.error_count} 行存在错误：请修改后重新导入，或选择“只导入无误的行”")
    if job.state == ImportJob.State.VALIDATED:
        ImportJob.objects.filter(pk=job.pk, state=ImportJob.State.VALIDATED).update(
            to_apply_rows=pending_rows(job).count(), applied_rows=0)
    if not claim(job, (ImportJob.State.VALIDATED,), ImportJob.State.COMMITTING):
        return job  # another worker holds it
    handler = handler_for(job)
    try:
        if hasattr(handler, "prepare") and _parallel_ok(pending_rows(job).count()):
            _commit_in_parallel(job, handler)
        while handler.apply_next(settings.IMPORT_CHUNK_ROWS):
            renew(job)
    except ImportFailed as exc:
        set_state(job, ImportJob.State.FAILED, str(exc))
        return job
    job.refresh_from_db()
    if job.state != ImportJob.State.COMMITTING:
        return job
    with transaction.atomic():
        record_commit(job)
        set_state(job, ImportJob.State.DONE,
                  f"导入完成：新增 {job.new_count} 行，更新 {job.updated_count} 行，无变化 {job.unchanged_count} 行"
                  + (f"，跳过有错误的 {job.error_count} 行" if job.error_count else ""))
    discard_file(job)
    return job


def finish_unchanged(job: ImportJob) -> None:
    """Nothing to write: every row matches the archive already (a file imported twice)."""
    set_state(job, ImportJob.State.DONE, f"无需导入：{job.unchanged_count} 行与现有数据完全一致")
    discard_file(job)


def pending_rows(job: ImportJob):
    return ImportRow.objects.filter(job=job, applied=False, outcome__in=("new", "update"))


def next_chunk(job: ImportJob, size: int) -> tuple[ImportJob, list[ImportRow]] | None:
    """Inside the caller's transaction: lock the job and take the next rows to apply (None: nothing left)."""
    locked = ImportJob.objects.select_for_update().get(pk=job.pk)
    if locked.state != ImportJob.State.COMMITTING:
        raise ImportFailed("任务已被取消")
    chunk = list(pending_rows(job).order_by("position", "row_number")[:size])
    return (locked, chunk) if chunk else None


def stage(job: ImportJob, staged: list[ImportRow], done: int) -> None:
    """Write a batch of staged rows, move the progress bar on by `done` rows, keep the lease."""
    with transaction.atomic():
        insert_rows(ImportRow, staged)
        ImportJob.objects.filter(pk=job.pk).update(
            validated_rows=F("validated_rows") + done,
            lease_until=timezone.now() + dt.timedelta(seconds=LEASE_SECONDS))


# -- validating in parallel --------------------------------------------------------------------------------
# Validation is pure Python per row (parsing, the archive's rules, encryption of the staged values), so a large
# file is split into batches validated by forked worker processes, one per core. Each worker stages its own
# batches; duplicates across batches are found beforehand. A worker dies with its parent (PR_SET_PDEATHSIG),
# so a killed import leaves no stray writer behind; the rerun starts validation again from scratch.

_PARALLEL: tuple | None = None  # (job, batches, work), inherited by the forked workers


def _workers() -> int:
    return settings.IMPORT_WORKERS or os.cpu_count() or 1


def _parallel_ok(rows: int) -> bool:
    return _workers() > 1 and rows >= settings.IMPORT_PARALLEL_MIN_ROWS and not connection.in_atomic_block


def _fork_pool():
    """Worker processes forked now (all of them at once, with the fork start method), before this process
    opens a database connection again: none of them may share ours."""
    connections.close_all()
    context = multiprocessing.get_context("fork")
    return ProcessPoolExecutor(max_workers=_workers(), mp_context=context, initializer=_worker_init)


def run_batches(job: ImportJob, rows: list, work) -> None:
    size = settings.IMPORT_CHUNK_ROWS
    batches = [rows[i:i + size] for i in range(0, len(rows), size)]
    if len(batches) < 2 or not _parallel_ok(len(rows)):
        for batch in batches:
            stage(job, work(batch), len(batch))
        return
    global _PARALLEL
    _PARALLEL = (job, batches, work)
    try:
        with _fork_pool() as pool:
            for future in [pool.submit(_validate_batch, index) for index in range(len(batches))]:
                future.result()
    except BrokenProcessPool:
        raise ImportFailed("校验进程意外终止，请重新导入") from None
    finally:
        _PARALLEL = None


def _commit_in_parallel(job: ImportJob, handler) -> None:
    """Workers prepare the values of chunk after chunk; this process writes them in order, one transaction each.

    A chunk whose rows changed meanwhile is prepared again in-process by `apply_next`, so the result is the
    same as a serial commit."""
    size = settings.IMPORT_CHUNK_ROWS
    pks = list(pending_rows(job).order_by("position", "row_number").values_list("pk", flat=True))
    chunks = [pks[i:i + size] for i in range(0, len(pks), size)]
    global _PARALLEL
    _PARALLEL = (job, chunks, handler)
    ahead = 2 * _workers()  # results waiting in memory at most
    try:
        with _fork_pool() as pool:
            futures = {i: pool.submit(_prepare_chunk, i) for i in range(min(ahead, len(chunks)))}
            for i in range(len(chunks)):
                prepared = futures.pop(i).result()
                if i + ahead < len(chunks):
                    futures[i + ahead] = pool.submit(_prepare_chunk, i + ahead)
                handler.apply_next(size, prepared)
                renew(job)
    except BrokenProcessPool:
        raise ImportFailed("导入进程意外终止，请重新执行（已导入的行不会重复）") from None
    finally:
        _PARALLEL = None


def _prepare_chunk(index: int) -> dict:
    job, chunks, handler = _PARALLEL
    return handler.prepare(list(ImportRow.objects.filter(pk__in=chunks[index])))


def _worker_init() -> None:
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    except OSError:
        pass  # not Linux: the worker ends when its batch queue closes
    if os.getppid() == 1:
        os._exit(1)  # the parent died before the hook was set


def _validate_batch(index: int) -> int:
    job, batches, work = _PARALLEL
    stage(job, work(batches[index]), len(batches[index]))
    return len(batches[index])


def staged_row(job, row: SourceRow, outcome: str, *, clean=None, errors=None, target_id=None, extra=None) -> ImportRow:
    payload = {"clean": to_json(clean or {})}
    if outcome == ImportRow.Outcome.ERROR:  # the error report shows the row as it was written
        payload["original"] = [_as_text(v) for v in row.original]
    if extra:
        payload.update(extra)
    return ImportRow(job=job, row_number=row.number, position=row.number, outcome=outcome, errors=errors or [], target_id=target_id,
                     payload=json.dumps(payload, ensure_ascii=False))


def provided(clean: dict) -> dict:
    """A blank cell keeps what the archive holds; only filled cells change a record."""
    return {k: v for k, v in clean.items() if v is not None and v != ""}


def unique_pairs(pairs: list) -> list:
    """Each [column, reason] once, in the order found."""
    seen, out = set(), []
    for pair in pairs:
        if tuple(pair) not in seen:
            seen.add(tuple(pair))
            out.append(pair)
    return out


def record_commit(job: ImportJob) -> None:
    """The one audit record of a whole import (each batch written has its own record listing its rows)."""
    job.refresh_from_db()
    audit.record("import.commit", actor=job.actor, object_type="exchange.importjob", object_id=job.pk,
                 object_repr=str(job),
                 after={"kind": job.kind, "file": job.file_name, "sha256": job.file_sha256,
                        "org": job.root_org.code if job.root_org else None, "new": job.new_count,
                        "updated": job.updated_count, "unchanged": job.unchanged_count,
                        "skipped_errors": job.error_count},
                 detail=f"{job}：{job.file_name}")


def purge_expired() -> int:
    """Delete staged rows and files of jobs past the retention period (uploads hold personal data)."""
    cutoff = timezone.now() - dt.timedelta(hours=settings.IMPORT_RETENTION_HOURS)
    expired = ImportJob.objects.filter(updated_at__lt=cutoff).exclude(
        state__in=(ImportJob.State.VALIDATING, ImportJob.State.COMMITTING))
    count = 0
    for job in expired.filter(rows__isnull=False).distinct().iterator():
        ImportRow.objects.filter(job=job).delete()
        count += 1
    for job in expired.iterator():
        discard_file(job)
    folder = Path(settings.IMPORT_DIR)
    if folder.exists():
        for path in folder.glob("job-*"):
            if dt.datetime.fromtimestamp(path.stat().st_mtime, tz=dt.timezone.utc) < cutoff:
                path.unlink(missing_ok=True)
    return count
