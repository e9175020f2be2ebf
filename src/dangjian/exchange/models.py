"""Import jobs and their staged rows.

An import is validated into staged rows first (every error at once), then committed in chunks. Each
chunk marks its rows applied in the same transaction as the writes, so a job killed at any point
resumes to exactly the end state of an uninterrupted import. Staged rows hold personal data and are
encrypted (SM4-GCM) like the archive itself; they and the uploaded file are purged after the job.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from dangjian.core.fields import EncryptedTextField


class ImportJobQuerySet(models.QuerySet):
    def restrict(self, user, perm: str = ""):
        """A job is its importer's own: others see nothing of it (404)."""
        if user is None or not user.is_authenticated:
            return self.none()
        return self.filter(actor=user)


class ImportJob(models.Model):
    class Kind(models.TextChoices):
        MEMBERS = "members", "党员"
        ORGS = "orgs", "党组织"

    class State(models.TextChoices):
        QUEUED = "queued", "排队等待校验"
        VALIDATING = "validating", "正在校验"
        VALIDATED = "validated", "校验完成，待确认"
        COMMITTING = "committing", "正在导入"
        DONE = "done", "导入完成"
        FAILED = "failed", "导入失败"
        CANCELLED = "cancelled", "已取消"

    kind = models.CharField("导入内容", max_length=16, choices=Kind.choices)
    source = models.CharField("来源", max_length=16, default="web")  # web / api / cli / exchange
    file_name = models.CharField("文件名", max_length=255)
    file_kind = models.CharField(max_length=8)  # xlsx / xls / csv / package
    file_sha256 = models.CharField(max_length=64)
    root_org = models.ForeignKey("orgs.Organization", on_delete=models.PROTECT, related_name="+",
                                 verbose_name="导入到党组织", null=True, blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                              verbose_name="导入人")
    keep_valid = models.BooleanField("只导入无误的行", default=False)
    commit_requested = models.BooleanField("校验后直接导入", default=False)
    state = models.CharField("状态", max_length=16, choices=State.choices, default=State.QUEUED)
    message = models.CharField("说明", max_length=500, blank=True)
    total_rows = models.PositiveIntegerField("数据行数", default=0)
    validated_rows = models.PositiveIntegerField(default=0)
    applied_rows = models.PositiveIntegerField(default=0)
    to_apply_rows = models.PositiveIntegerField(default=0)
    new_count = models.PositiveIntegerField("新增", default=0)
    updated_count = models.PositiveIntegerField("更新", default=0)
    unchanged_count = models.PositiveIntegerField("无变化", default=0)
    error_count = models.PositiveIntegerField("有错误的行", default=0)
    header_map = models.JSONField(default=dict, blank=True)  # column key → header as written in the file
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)
    finished_at = models.DateTimeField("完成时间", null=True, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)  # a worker holds the job until then
    lease_holder = models.CharField(max_length=100, blank=True)  # host:pid of that worker

    objects = ImportJobQuerySet.as_manager()

    class Meta:
        ordering = ["-id"]
        verbose_name = "导入任务"
        verbose_name_plural = "导入任务"
        indexes = [models.Index(fields=["actor", "-id"]), models.Index(fields=["state"])]

    def __str__(self):
        return f"导入任务 #{self.pk}"

    @property
    def is_running(self) -> bool:
        """Work is queued or under way (the page keeps polling)."""
        if self.state == self.State.VALIDATED:
            return self.commit_requested
        return self.state in (self.State.QUEUED, self.State.VALIDATING, self.State.COMMITTING)

    @property
    def can_commit(self) -> bool:
        if self.state != self.State.VALIDATED:
            return False
        if self.error_count and not self.keep_valid:
            return False
        return self.new_count + self.updated_count > 0

    @property
    def percent(self) -> int:
        if self.state == self.State.QUEUED or (self.state == self.State.VALIDATED and self.commit_requested):
            return 0
        if self.state == self.State.VALIDATING:
            return int(100 * self.validated_rows / self.total_rows) if self.total_rows else 0
        if self.state == self.State.COMMITTING:
            return int(100 * self.applied_rows / self.to_apply_rows) if self.to_apply_rows else 0
        return 100


class ImportRow(models.Model):
    class Outcome(models.TextChoices):
        NEW = "new", "新增"
        UPDATE = "update", "更新"
        UNCHANGED = "unchanged", "无变化"
        ERROR = "error", "有错误"

    job = models.ForeignKey(ImportJob, on_delete=models.CASCADE, related_name="rows")
    row_number = models.PositiveIntegerField("行号")  # as Excel shows it
    position = models.PositiveIntegerField(default=0)  # commit order: parents before children
    payload = EncryptedTextField(aad="exchange.import_row")  # JSON: the cells as written and the clean values
    outcome = models.CharField(max_length=16, choices=Outcome.choices)
    errors = models.JSONField(default=list, blank=True)  # [[column as written, reason], …]
    target_id = models.BigIntegerField(null=True, blank=True)  # the record an update changes
    applied = models.BooleanField(default=False)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["job", "row_number"], name="import_row_once")]
        indexes = [models.Index(fields=["job", "applied", "position"], condition=Q(applied=False),
                                name="import_row_pending")]
