"""Early warnings (亮灯预警): findings of the warning rules, the runs that produced them, and the rectification
tasks (督办) they open, followed step by step until the higher organisation verifies the fix."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from dangjian.accounts.scope import restrict

from .choices import Level, StepKind, TaskState


class OrgScopedQuerySet(models.QuerySet):
    org_field = "org"

    def restrict(self, user, perm: str):
        """Rows of the organisations in the user's scope; verification reaches only the organisations below the
        verifier's own (an organisation never verifies its own rectification)."""
        from dangjian.accounts.roles import ALERTS_VERIFY
        from dangjian.orgs.models import below_scope_filter

        if perm == ALERTS_VERIFY:
            condition = below_scope_filter(user, perm, self.org_field)
            return self if condition is None else self.filter(condition)
        return restrict(self, user, perm, org_field=self.org_field)


class EvaluationQuerySet(models.QuerySet):
    def restrict(self, user, perm: str):
        """Runs of the engine are deployment-wide: whoever holds `perm` sees them all."""
        return self if user.has_perm_anywhere(perm) else self.none()


class Evaluation(models.Model):
    """One run of every warning rule for a day (nightly or on demand)."""

    on = models.DateField("评估日期")
    started_at = models.DateTimeField("开始时间", auto_now_add=True)
    finished_at = models.DateTimeField("结束时间", null=True, blank=True)
    rules = models.JSONField("规则", default=list)
    opened = models.PositiveIntegerField("新发现", default=0)
    still_open = models.PositiveIntegerField("仍存在", default=0)
    resolved = models.PositiveIntegerField("已消除", default=0)
    tasks_opened = models.PositiveIntegerField("新督办", default=0)
    tasks_reopened = models.PositiveIntegerField("重新督办", default=0)
    tasks_escalated = models.PositiveIntegerField("提级督办", default=0)
    seconds = models.FloatField("耗时（秒）", default=0)

    objects = EvaluationQuerySet.as_manager()

    class Meta:
        verbose_name = "预警评估"
        verbose_name_plural = "预警评估"
        ordering = ["-started_at"]


class Finding(models.Model):
    """A rule that does not hold for an organisation (or one of its members). `key` makes it unique: the same
    problem found again updates this row; a problem that no longer holds gets `resolved_on`."""

    # Unique through a constraint, and `rule` indexed in Meta: no second, pattern-matching index on either (nothing
    # searches them with LIKE), and the organisation's index is the composite one below. Every index costs time on
    # each of the hundreds of thousands of rows a first evaluation writes.
    key = models.CharField(max_length=200)
    rule = models.CharField("预警规则", max_length=64)
    org = models.ForeignKey("orgs.Organization", on_delete=models.PROTECT, related_name="+", verbose_name="党组织",
                            db_index=False)
    member = models.ForeignKey("members.Member", on_delete=models.PROTECT, related_name="+", null=True, blank=True,
                               verbose_name="党员")
    level = models.CharField("灯色", max_length=8, choices=Level.choices)
    message = models.CharField("情况", max_length=500)
    citation = models.CharField("依据", max_length=300, blank=True)
    evidence = models.JSONField("证据", default=dict)
    first_seen = models.DateField("首次发现")
    last_seen = models.DateField("最近发现")
    resolved_on = models.DateField("消除日期", null=True, blank=True)
    recurrences = models.PositiveIntegerField("复现次数", default=0)
    # A fingerprint of (level, message, evidence) as last written: the nightly run compares it instead of reading
    # every finding's evidence back.
    digest = models.CharField(max_length=32, blank=True, editable=False)

    objects = OrgScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "预警发现"
        verbose_name_plural = "预警发现"
        ordering = ["resolved_on", "-level", "rule", "id"]
        indexes = [models.Index(fields=["org", "resolved_on"]), models.Index(fields=["resolved_on", "rule"]),
                   models.Index(fields=["rule"], name="alerts_finding_rule_idx")]
        constraints = [models.UniqueConstraint(fields=["key"], name="alerts_finding_key_unique")]

    def __str__(self):
        return f"{self.get_level_display()} · {self.rule_name}"

    @property
    def rule_name(self) -> str:
        from .rules import REGISTRY

        rule = REGISTRY.get(self.rule)
        return rule.name if rule else self.rule

    @property
    def is_active(self) -> bool:
        return self.resolved_on is None


class RectificationTask(models.Model):
    """督办: the organisation responsible rectifies one finding by a deadline; the organisation above verifies."""

    finding = models.OneToOneField(Finding, on_delete=models.PROTECT, related_name="task", verbose_name="预警发现")
    org = models.ForeignKey("orgs.Organization", on_delete=models.PROTECT, related_name="+",
                            verbose_name="责任党组织", db_index=False)  # the (org, state) index serves it
    level = models.CharField("灯色", max_length=8, choices=Level.choices)
    state = models.CharField("状态", max_length=16, choices=TaskState.choices, default=TaskState.OPEN)
    opened_on = models.DateField("督办日期")
    deadline = models.DateField("整改时限")
    escalated_to = models.ForeignKey("orgs.Organization", on_delete=models.PROTECT, related_name="+", null=True,
                                     blank=True, verbose_name="提级督办至")
    escalations = models.PositiveIntegerField("提级次数", default=0)
    reopened = models.PositiveIntegerField("重新督办次数", default=0)
    closed_on = models.DateField("销号日期", null=True, blank=True)
    rectification_note = models.TextField("整改情况", blank=True)

    objects = OrgScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "督办任务"
        verbose_name_plural = "督办任务"
        ordering = ["deadline", "id"]
        indexes = [models.Index(fields=["state", "deadline"]), models.Index(fields=["org", "state"])]

    def __str__(self):
        return f"督办 #{self.pk} {self.finding.rule_name}"

    def is_overdue(self, on) -> bool:
        return self.state in (TaskState.OPEN, TaskState.ACKNOWLEDGED) and self.deadline < on


class StepQuerySet(OrgScopedQuerySet):
    org_field = "task__org"


class TaskStep(models.Model):
    """One step of a task, in order: who did what, when, with what note."""

    task = models.ForeignKey(RectificationTask, on_delete=models.PROTECT, related_name="steps", verbose_name="督办任务")
    kind = models.CharField("环节", max_length=16, choices=StepKind.choices)
    on = models.DateField("日期")
    at = models.DateTimeField("时间", auto_now_add=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True,
                              blank=True, verbose_name="办理人")  # empty: the evaluation job
    note = models.TextField("说明", blank=True)

    objects = StepQuerySet.as_manager()

    class Meta:
        verbose_name = "督办环节"
        verbose_name_plural = "督办环节"
        ordering = ["task", "at", "id"]


class InboxQuerySet(models.QuerySet):
    def restrict(self, user, perm: str = ""):
        """A user's inbox is their own."""
        if user is None or not user.is_authenticated:
            return self.none()
        return self.filter(user=user)


class InboxMessage(models.Model):
    """站内消息: one per task event for each account that holds the task's organisation."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="inbox",
                             verbose_name="收件人", db_index=False)  # the (user, read_at) index serves it
    task = models.ForeignKey(RectificationTask, on_delete=models.CASCADE, related_name="+", null=True, blank=True)
    title = models.CharField("标题", max_length=200)
    body = models.CharField("内容", max_length=1000, blank=True)
    created_at = models.DateTimeField("时间", auto_now_add=True)
    read_at = models.DateTimeField("已读时间", null=True, blank=True)

    objects = InboxQuerySet.as_manager()

    class Meta:
        verbose_name = "站内消息"
        verbose_name_plural = "站内消息"
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "read_at"])]
