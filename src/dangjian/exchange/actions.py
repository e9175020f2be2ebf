"""Starting, confirming and cancelling imports. The rows themselves are written by the import pipeline."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404

from dangjian.accounts import roles
from dangjian.core import audit
from dangjian.core.actions import require
from dangjian.orgs.models import Organization

from . import importing, jobs, package, reading
from .models import ImportJob

KIND_PERMS = {ImportJob.Kind.MEMBERS: roles.MEMBER_ADD, ImportJob.Kind.ORGS: roles.ORG_ADD}


def do_start_import(*, kind: str, file_name: str, data: bytes, root_org: Organization, actor,
                    keep_valid: bool = False, commit: bool = False, source: str = "web",
                    run_now: bool = False, is_package: bool = False) -> ImportJob:
    """Check the file, keep it encrypted, and queue its validation (and commit, when asked).

    A refused file raises ValidationError({"file": reason}) and stores nothing.
    """
    if kind not in KIND_PERMS:
        raise ValidationError({"kind": "导入内容只能是党员或党组织"})
    if root_org is None:
        raise ValidationError({"org": "请选择导入到哪个党组织"})
    try:
        require(actor, KIND_PERMS[kind], root_org)
    except (PermissionDenied, Http404):
        if kind == ImportJob.Kind.ORGS and actor.has_perm_anywhere(roles.MEMBER_ADD):
            raise ValidationError({"kind": "您的角色不能新增党组织，只能导入党员"}) from None
        raise ValidationError({"org": "所选党组织不存在或不在您的管理范围内"}) from None
    try:
        if is_package:
            package.read(data)
            file_kind = "package"
        else:
            file_kind = reading.check_file(file_name, data)
    except (reading.RefusedFile, package.PackageRefused) as exc:
        raise ValidationError({"file": str(exc)}) from None
    importing.purge_expired()
    with transaction.atomic():
        job = ImportJob.objects.create(
            kind=kind, source=source, file_name=(file_name or "")[-255:], file_kind=file_kind,
            file_sha256=importing.sha256(data), root_org=root_org, actor=actor, keep_valid=keep_valid,
            commit_requested=commit,
        )
        importing.store_file(job, data)
        audit.record("import.upload", actor=actor, obj=job,
                     after={"kind": kind, "file": job.file_name, "sha256": job.file_sha256, "org": root_org.code,
                            "bytes": len(data), "keep_valid": keep_valid},
                     detail=f"{job}：上传 {job.file_name}")
        if not run_now:
            transaction.on_commit(lambda: jobs.enqueue(job))
    if run_now:
        job = jobs.run(job)
    return job


def _own(job: ImportJob, actor) -> ImportJob:
    found = ImportJob.objects.restrict(actor).filter(pk=job.pk).first()
    if found is None:
        raise Http404("导入任务不存在")
    return found


def do_commit_import(job: ImportJob, *, actor, keep_valid: bool | None = None, run_now: bool = False) -> ImportJob:
    """The importer confirms the preview; the job commits in the background."""
    with transaction.atomic():
        job = ImportJob.objects.select_for_update().get(pk=_own(job, actor).pk)
        if job.state != ImportJob.State.VALIDATED:
            raise ValidationError(f"任务当前状态为“{job.get_state_display()}”，不能确认导入")
        if keep_valid is not None:
            job.keep_valid = keep_valid
        if job.error_count and not job.keep_valid:
            raise ValidationError(f"有 {job.error_count} 行存在错误：请修改文件后重新导入，或选择“只导入无误的行”")
        if job.new_count + job.updated_count == 0:
            raise ValidationError("没有需要导入的新增或更新行")
        job.commit_requested = True
        job.save(update_fields=["keep_valid", "commit_requested", "updated_at"])
        if not run_now:
            transaction.on_commit(lambda: jobs.enqueue(job))
    if run_now:
        job = jobs.run(job)
    return job


def do_cancel_import(job: ImportJob, *, actor) -> ImportJob:
    with transaction.atomic():
        job = ImportJob.objects.select_for_update().get(pk=_own(job, actor).pk)
        if job.state not in (ImportJob.State.QUEUED, ImportJob.State.VALIDATED, ImportJob.State.FAILED):
            raise ValidationError(f"任务当前状态为“{job.get_state_display()}”，不能取消")
        importing.set_state(job, ImportJob.State.CANCELLED, "已取消，未导入任何数据" if not job.applied_rows else
                            f"已取消；此前已导入 {job.applied_rows} 行")
        job.rows.all().delete()
        audit.record("import.cancel", actor=actor, obj=job, detail=f"{job}：取消")
    importing.discard_file(job)
    return job


def do_import_package(data: bytes, *, file_name: str, actor, root_org: Organization | None = None) -> list[ImportJob]:
    """Apply an exchange package: organisations first, then members, each all-or-nothing and idempotent.

    Refused packages (tampered, truncated, unknown key) raise ValidationError and store nothing.
    """
    try:
        manifest = package.read(data).manifest
    except package.PackageRefused as exc:
        raise ValidationError({"file": str(exc)}) from None
    if root_org is None:
        root_org = Organization.objects.filter(code=manifest["org"]["code"]).first()
        if root_org is None:
            raise ValidationError({"org": f"本机没有组织代码为“{manifest['org']['code']}”的党组织，请指定接收该数据包的上级党组织"})
    done = []
    for kind in (ImportJob.Kind.ORGS, ImportJob.Kind.MEMBERS):
        job = do_start_import(kind=kind, file_name=file_name, data=data, root_org=root_org, actor=actor, commit=True,
                              source="exchange", run_now=True, is_package=True)
        done.append(job)
        if job.state != ImportJob.State.DONE:
            break
    return done
