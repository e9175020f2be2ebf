"""Base models and the tamper-evident audit chain."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)
    # Optimistic lock: a write carrying a stale version is refused (no silent overwrite).
    version = models.PositiveIntegerField("版本", default=1)

    class Meta:
        abstract = True


class AuditRecordQuerySet(models.QuerySet):
    def restrict(self, user, perm: str):
        """Only the audit administrator reads the log (三权分立): the whole log, or nothing."""
        if user is None or not user.is_authenticated or not user.has_perm_anywhere(perm):
            return self.none()
        return self


class AuditRecord(models.Model):
    """One audited event. Records are chained: mac_n = HMAC-SM3(k, mac_{n-1} ‖ canonical(record_n))."""

    class Result(models.TextChoices):
        SUCCESS = "success", "成功"
        FAILURE = "failure", "失败"
        DENIED = "denied", "拒绝"

    seq = models.BigIntegerField("序号", unique=True)
    occurred_at = models.DateTimeField("时间", db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        db_constraint=False, verbose_name="操作人",
    )
    actor_name = models.CharField("操作人账号", max_length=150, blank=True)
    source_ip = models.CharField("来源地址", max_length=64, blank=True)
    request_id = models.CharField("请求编号", max_length=64, blank=True)
    source = models.CharField("来源", max_length=16, blank=True)
    action = models.CharField("事件", max_length=64, db_index=True)
    object_type = models.CharField("对象类型", max_length=64, blank=True)
    object_id = models.CharField("对象编号", max_length=64, blank=True, db_index=True)
    object_repr = models.CharField("对象", max_length=200, blank=True)
    before = models.JSONField("变更前", null=True, blank=True)
    after = models.JSONField("变更后", null=True, blank=True)
    result = models.CharField("结果", max_length=16, choices=Result.choices, default=Result.SUCCESS)
    detail = models.CharField("说明", max_length=500, blank=True)
    prev_mac = models.CharField(max_length=64)
    mac = models.CharField(max_length=64)

    objects = AuditRecordQuerySet.as_manager()

    class Meta:
        ordering = ["-seq"]
        verbose_name = "审计记录"
        verbose_name_plural = "审计记录"

    def __str__(self):
        return f"#{self.seq} {self.action}"


class AuditChainHead(models.Model):
    """The last link of the chain; one row, locked while a record is appended."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    last_seq = models.BigIntegerField(default=0)
    last_mac = models.CharField(max_length=64, default="0" * 64)


class RuleSettingQuerySet(models.QuerySet):
    def restrict(self, user, perm: str):
        """Rule settings are deployment-wide: whoever holds `perm` sees them all, nobody else any."""
        return self if user.has_perm_anywhere(perm) else self.none()


class RuleSetting(models.Model):
    """A local or unverified regulation value (rulebook.ADJUSTABLE) set in the app by the system administrator.
    It replaces the rulebook's value (and a deployment override) for every date; deleting it restores them."""

    name = models.CharField("规则名", max_length=64, unique=True)
    value = models.JSONField("取值")
    reason = models.CharField("调整依据", max_length=500)
    changed_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="调整人", null=True,
                                   on_delete=models.SET_NULL, related_name="+")
    changed_at = models.DateTimeField("调整时间", auto_now=True)

    objects = RuleSettingQuerySet.as_manager()

    class Meta:
        verbose_name = "规则参数设置"
        verbose_name_plural = "规则参数设置"

    def __str__(self):
        return self.name


class ScheduledRun(models.Model):
    """One row per scheduled job and day: the worker that inserts it enqueues the job, so a job scheduled nightly
    runs once a day however many workers are running (or restarting)."""

    name = models.CharField("任务", max_length=64)
    on = models.DateField("日期")
    enqueued_at = models.DateTimeField("加入队列时间", auto_now_add=True)

    class Meta:
        verbose_name = "定时任务记录"
        verbose_name_plural = "定时任务记录"
        constraints = [models.UniqueConstraint(fields=["name", "on"], name="scheduled_run_once_a_day")]

    def __str__(self):
        return f"{self.name} {self.on}"
