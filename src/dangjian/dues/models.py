"""Dues (党费): the yearly standard per member, monthly bills, payments counted exactly once.

Money is Decimal, rounded to the fen. A payment is never edited: a correction is a reversal with a reason,
after which the month is unpaid again. One member-month has at most one active payment (a partial unique
constraint), whatever the number of concurrent attempts.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q

from dangjian.accounts.scope import restrict
from dangjian.core.models import TimeStampedModel

from .choices import BaseKind, DuesCategory


def _order_id() -> str:
    return uuid.uuid4().hex


class ScopedByMember(models.QuerySet):
    def restrict(self, user, perm: str):
        """Rows of members the user may reach (a member sees their own)."""
        return restrict(self, user, perm, org_field="member__org", self_q=lambda u: Q(member__user=u))


class DuesStandard(TimeStampedModel):
    """A member's monthly dues from `effective_from` (the first of a month) until the next standard."""

    class Status(models.TextChoices):
        DECLARED = "declared", "已申报，待确认"
        CONFIRMED = "confirmed", "已确认"

    member = models.ForeignKey("members.Member", on_delete=models.PROTECT, related_name="dues_standards",
                               verbose_name="党员")
    effective_from = models.DateField("起始月份")
    category = models.CharField("类别", max_length=16, choices=DuesCategory.choices)
    base_kind = models.CharField("基数口径", max_length=16, choices=BaseKind.choices, blank=True)
    base = models.DecimalField("月基数（元）", max_digits=12, decimal_places=2, null=True, blank=True)
    rate = models.DecimalField("比例", max_digits=6, decimal_places=4, null=True, blank=True)
    monthly_amount = models.DecimalField("每月应交（元）", max_digits=10, decimal_places=2)
    explanation = models.CharField("计算依据", max_length=300)
    status = models.CharField("状态", max_length=16, choices=Status.choices, default=Status.DECLARED)
    declared_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                    verbose_name="申报人")
    confirmed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                     null=True, blank=True, verbose_name="确认人")
    confirmed_at = models.DateTimeField("确认时间", null=True, blank=True)

    objects = ScopedByMember.as_manager()

    class Meta:
        verbose_name = "党费标准"
        verbose_name_plural = "党费标准"
        ordering = ["member", "-effective_from"]
        constraints = [models.UniqueConstraint(fields=["member", "effective_from"], name="dues_standard_once_a_month")]


class DuesBill(TimeStampedModel):
    """What one member owes for one month (月度账单)."""

    member = models.ForeignKey("members.Member", on_delete=models.PROTECT, related_name="dues_bills",
                               verbose_name="党员")
    month = models.DateField("月份")  # the first day of the month
    amount = models.DecimalField("应交（元）", max_digits=10, decimal_places=2)
    standard = models.ForeignKey(DuesStandard, on_delete=models.PROTECT, related_name="bills", verbose_name="标准")
    org = models.ForeignKey("orgs.Organization", on_delete=models.PROTECT, related_name="+",
                            verbose_name="收缴党组织")  # the branch holding the member's relationship that month

    objects = ScopedByMember.as_manager()

    class Meta:
        verbose_name = "党费账单"
        verbose_name_plural = "党费账单"
        ordering = ["member", "month"]
        constraints = [models.UniqueConstraint(fields=["member", "month"], name="dues_bill_once_a_month")]
        indexes = [models.Index(fields=["org", "month"])]


class DuesPayment(models.Model):
    """A payment: of a month's bill (regular), or a voluntary extra payment (no bill). Never edited."""

    class Kind(models.TextChoices):
        REGULAR = "regular", "按月交纳"
        VOLUNTARY = "voluntary", "自愿多交"

    class Method(models.TextChoices):
        CASH = "cash", "现金（支部收缴）"
        PROXY = "proxy", "代缴"
        ONLINE = "online", "在线支付"

    member = models.ForeignKey("members.Member", on_delete=models.PROTECT, related_name="dues_payments",
                               verbose_name="党员")
    bill = models.ForeignKey(DuesBill, on_delete=models.PROTECT, related_name="payments", null=True, blank=True,
                             verbose_name="账单")
    kind = models.CharField("类型", max_length=16, choices=Kind.choices, default=Kind.REGULAR)
    amount = models.DecimalField("金额（元）", max_digits=12, decimal_places=2)
    method = models.CharField("方式", max_length=16, choices=Method.choices, default=Method.CASH)
    paid_by = models.CharField("代缴人", max_length=50, blank=True)
    paid_on = models.DateField("缴纳日期")
    idempotency_key = models.CharField(max_length=64, unique=True)
    external_ref = models.CharField("支付流水号", max_length=64, blank=True)
    for_central = models.BooleanField("全额上缴中央", default=False)  # 第十一条
    active = models.BooleanField("有效", default=True)  # False once reversed
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                    verbose_name="登记人")
    recorded_at = models.DateTimeField("登记时间", auto_now_add=True)
    reversed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                    null=True, blank=True, verbose_name="冲正人")
    reversed_at = models.DateTimeField("冲正时间", null=True, blank=True)
    reversal_reason = models.CharField("冲正原因", max_length=200, blank=True)

    objects = ScopedByMember.as_manager()

    class Meta:
        verbose_name = "党费缴纳记录"
        verbose_name_plural = "党费缴纳记录"
        ordering = ["-paid_on", "-id"]
        constraints = [
            # Each member-month is paid exactly once (a reversed payment no longer counts).
            models.UniqueConstraint(fields=["bill"], condition=Q(active=True, kind="regular"),
                                    name="dues_one_active_payment_per_bill"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="dues_payment_positive"),
        ]


class DuesRelief(TimeStampedModel):
    """A reduction or exemption for members in real hardship: discussed by the branch, approved by the
    next-higher 党委 (党费规定 第七条). Approved, it sets the amount of the months it covers."""

    class Kind(models.TextChoices):
        REDUCE = "reduce", "少交"
        EXEMPT = "exempt", "免交"

    class State(models.TextChoices):
        PROPOSED = "proposed", "支部已讨论，待上级党委审批"
        APPROVED = "approved", "已批准"
        REJECTED = "rejected", "未批准"

    member = models.ForeignKey("members.Member", on_delete=models.PROTECT, related_name="dues_reliefs",
                               verbose_name="党员")
    kind = models.CharField("类型", max_length=16, choices=Kind.choices)
    monthly_amount = models.DecimalField("减免后每月交纳（元）", max_digits=10, decimal_places=2)
    first_month = models.DateField("起始月份")
    last_month = models.DateField("截止月份")
    reason = models.CharField("困难情况", max_length=300)
    discussed_on = models.DateField("支部讨论日期")
    state = models.CharField("状态", max_length=16, choices=State.choices, default=State.PROPOSED)
    proposed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                    verbose_name="提出人")
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                   null=True, blank=True, verbose_name="审批人")
    decided_at = models.DateTimeField("审批时间", null=True, blank=True)
    decision_note = models.CharField("审批意见", max_length=200, blank=True)

    objects = ScopedByMember.as_manager()

    class Meta:
        verbose_name = "党费减免"
        verbose_name_plural = "党费减免"
        ordering = ["-created_at"]


class PaymentOrder(models.Model):
    """An online payment in progress: the provider confirms it, and only then are the months paid."""

    class State(models.TextChoices):
        PENDING = "pending", "待支付"
        PAID = "paid", "已支付"
        FAILED = "failed", "支付失败"
        REFUND = "refund", "重复支付，待退款"

    order_id = models.CharField("订单号", max_length=40, unique=True, default=_order_id)
    member = models.ForeignKey("members.Member", on_delete=models.PROTECT, related_name="dues_orders",
                               verbose_name="党员")
    months = models.JSONField("月份")
    amount = models.DecimalField("金额（元）", max_digits=12, decimal_places=2)
    provider = models.CharField("支付渠道", max_length=32)
    state = models.CharField("状态", max_length=16, choices=State.choices, default=State.PENDING)
    external_ref = models.CharField("支付流水号", max_length=64, blank=True)
    note = models.CharField("说明", max_length=200, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    completed_at = models.DateTimeField("完成时间", null=True, blank=True)

    objects = ScopedByMember.as_manager()

    class Meta:
        verbose_name = "在线支付订单"
        verbose_name_plural = "在线支付订单"
