"""The behaviour facts (行为数据库): one typed row per thing a member or an organisation did, written by the
actions of the other capabilities in their own transaction (no extra entry). The indicators of the cockpit and the
vitality indices are computed from these rows (and the records they reference), incrementally by `id`."""

from __future__ import annotations

from django.db import models

from dangjian.accounts.scope import restrict


class FactKind(models.TextChoices):
    LOGIN = "login", "登录"
    DUES_PAYMENT = "dues_payment", "交纳党费"
    DUES_REVERSAL = "dues_reversal", "党费冲正"
    TASK_STEP = "task_step", "办理督办任务"
    TRANSFER_IN = "transfer_in", "组织关系转入"
    STATUS_CHANGE = "status_change", "党籍状态变更"


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
