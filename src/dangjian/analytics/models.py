"""The behaviour facts (行为数据库): one typed row per thing a member or an organisation did, written by the
actions of the other capabilities in their own transaction (no extra entry). The indicators of the cockpit and the
vitality indices are computed from these rows (and the records they reference), incrementally by `id`."""

from __future__ import annotations

import datetime as dt

from django.db import models

from dangjian.accounts.scope import restrict


class FactKind(models.TextChoices):
    LOGIN = "login", "登录"
    DUES_PAYMENT = "dues_payment", "交纳党费"
    DUES_REVERSAL = "dues_reversal", "党费冲正"
    TASK_STEP = "task_step", "办理督办任务"
    TRANSFER_IN = "transfer_in", "组织关系转入"
    STATUS_CHANGE = "status_change", "党籍状态变更"
    ATTENDANCE = "attendance", "参加组织生活"
    CHECK_IN = "check_in", "扫码签到"
    STUDY = "study", "学习（学时）"
    RECRUITMENT_STEP = "recruitment_step", "发展党员步骤"


class FactQuerySet(models.QuerySet):
    def restrict(self, user, perm: str):
        return restrict(self, user, perm, org_field="org")


class Fact(models.Model):
    id = models.BigAutoField(primary_key=True)
    kind = models.CharField("行为", max_length=32, choices=FactKind.choices)
    on = models.DateField("日期")
    at = models.DateTimeField("记录时间", auto_now_add=True)
    org = models.ForeignKey("orgs.Organization", on_delete=models.PROTECT, related_name="+", verbose_name="党组织")
    member = models.ForeignKey("members.Member", on_delete=models.PROTECT, related_name="+", null=True, blank=True,
                               verbose_name="党员")
    quantity = models.DecimalField("数量", max_digits=12, decimal_places=2, default=1,
                                   help_text="金额（元）、学时或次数；冲正为负数")
    ref = models.CharField("来源记录", max_length=64, blank=True, help_text="如 dues.duespayment:123")
    detail = models.JSONField("说明", default=dict, blank=True)

    objects = FactQuerySet.as_manager()

    class Meta:
        verbose_name = "行为数据"
        verbose_name_plural = "行为数据"
        indexes = [models.Index(fields=["kind", "on"]), models.Index(fields=["org", "on"]),
                   models.Index(fields=["member", "on"])]

    def __str__(self):
        return f"{self.get_kind_display()} {self.on}"


class RefreshState(models.TextChoices):
    RUNNING = "running", "进行中"
    DONE = "done", "完成"
    FAILED = "failed", "失败"


class RefreshRun(models.Model):
    """One refresh of the indicators: extract from the OLTP database, compute on an engine, store summaries."""

    started_at = models.DateTimeField("开始时间", auto_now_add=True)
    finished_at = models.DateTimeField("结束时间", null=True, blank=True)
    state = models.CharField("状态", max_length=16, choices=RefreshState.choices, default=RefreshState.RUNNING)
    engine = models.CharField("计算引擎", max_length=16, default="duckdb")
    as_of = models.DateField("统计截止日期")
    timings = models.JSONField("各步耗时（秒）", default=dict, blank=True)
    error = models.TextField("错误", blank=True)
    latest = models.BooleanField("更新了最新指标", default=False,
                                 help_text="本次计算的日期不早于此前最新一次，其结果成为最新指标")

    class Meta:
        verbose_name = "指标计算"
        verbose_name_plural = "指标计算"
        ordering = ["-started_at"]

    def __str__(self):
        return f"{self.as_of} {self.get_state_display()}"


class IndicatorValueQuerySet(models.QuerySet):
    def restrict(self, user, perm: str):
        return restrict(self, user, perm, org_field="org")


class IndicatorValue(models.Model):
    """One indicator for one organisation (its whole subtree) as of one date; `key` is the breakdown
    (an age band, a gender …) or '' for the indicator's total. Written only by the refresh job; pages read these.

    The values of the newest refresh are kept under the date `LATEST` and updated in place, only where a figure
    changed (the date they hold for is that of the newest finished refresh, `summaries.latest_day()`); month-ends
    and days refreshed after a later day keep a dated copy for the trends and comparisons (`summaries.py`)."""

    LATEST = dt.date(9999, 12, 31)

    as_of = models.DateField("统计截止日期")
    org = models.ForeignKey("orgs.Organization", on_delete=models.CASCADE, related_name="+", verbose_name="党组织",
                            db_index=False)  # the (org, code, as_of) index serves it
    code = models.CharField("指标", max_length=64)
    key = models.CharField("分组", max_length=64, blank=True, default="")
    value = models.FloatField("值")
    numerator = models.FloatField("分子", null=True, blank=True)
    denominator = models.FloatField("分母", null=True, blank=True)

    objects = IndicatorValueQuerySet.as_manager()

    class Meta:
        verbose_name = "指标值"
        verbose_name_plural = "指标值"
        constraints = [models.UniqueConstraint(fields=["as_of", "org", "code", "key"], name="indicator_value_unique")]
        indexes = [models.Index(fields=["org", "code", "as_of"]), models.Index(fields=["code", "as_of"])]


class MemberScoreQuerySet(models.QuerySet):
    def restrict(self, user, perm: str):
        return restrict(self, user, perm, org_field="org")


class MemberScore(models.Model):
    """党员活力指数 of one member as of the newest refresh (`summaries.latest_day()`), with the points per fact
    kind that make it up (`detail`); a member who left the roll has no row."""

    member = models.ForeignKey("members.Member", on_delete=models.CASCADE, related_name="+", verbose_name="党员",
                               db_index=False)  # the unique constraint serves it
    org = models.ForeignKey("orgs.Organization", on_delete=models.CASCADE, related_name="+", verbose_name="党组织")
    score = models.FloatField("活力指数")
    detail = models.JSONField("构成", default=dict, blank=True)

    objects = MemberScoreQuerySet.as_manager()

    class Meta:
        verbose_name = "党员活力指数"
        verbose_name_plural = "党员活力指数"
        constraints = [models.UniqueConstraint(fields=["member"], name="member_score_one_per_member")]
