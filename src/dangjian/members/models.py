"""The member archive (党员档案). Members are never deleted: leaving is a status change."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q

from dangjian.accounts.scope import restrict
from dangjian.core.fields import EncryptedTextField
from dangjian.core.masking import mask_address, mask_id_number, mask_phone
from dangjian.core.models import TimeStampedModel

from .choices import (
    ETHNICITY_CHOICES, Category, Degree, Education, Gender, MemberStatus, OccupationCategory,
)
from .idnumber import validate_id_number

phone_validator = RegexValidator(r"^(1[3-9]\d{9}|0\d{2,3}-?\d{7,8})$", "联系电话应为 11 位手机号或带区号的固定电话")


class MemberQuerySet(models.QuerySet):
    def restrict(self, user, perm: str):
        """Members the user may reach for `perm`; everything else is invisible (404, never 403)."""
        return restrict(self, user, perm, org_field="org", self_q=lambda u: Q(user=u))


class Member(TimeStampedModel):
    name = models.CharField("姓名", max_length=50)
    name_initials = models.CharField("姓名拼音首字母", max_length=50, db_index=True, editable=False)
    gender = models.CharField("性别", max_length=8, choices=Gender.choices)
    ethnicity = models.CharField("民族", max_length=16, choices=ETHNICITY_CHOICES, default="汉族")
    id_number = EncryptedTextField("公民身份号码", aad="member.id_number", validators=[validate_id_number])
    id_number_index = models.CharField(max_length=64, unique=True, editable=False)
    birth_date = models.DateField("出生日期")
    native_place = models.CharField("籍贯", max_length=50, blank=True)
    education = models.CharField("学历", max_length=32, choices=Education.choices, blank=True)
    degree = models.CharField("学位", max_length=16, choices=Degree.choices, default=Degree.NONE, blank=True)
    occupation_category = models.CharField("人员类别", max_length=32, choices=OccupationCategory.choices)
    work_unit_and_post = models.CharField("工作单位及职务", max_length=100, blank=True)
    applied_on = models.DateField("递交入党申请书日期", null=True, blank=True)
    activist_on = models.DateField("确定为入党积极分子日期", null=True, blank=True)
    development_target_on = models.DateField("确定为发展对象日期", null=True, blank=True)
    joined_on = models.DateField("入党日期", help_text="支部大会通过接收为预备党员的日期")
    converted_on = models.DateField("转正日期", null=True, blank=True)
    category = models.CharField("党员类别", max_length=16, choices=Category.choices, default=Category.FULL)
    org = models.ForeignKey(
        "orgs.Organization", on_delete=models.PROTECT, related_name="members", verbose_name="所在党组织"
    )
    phone = EncryptedTextField("联系电话", aad="member.phone", blank=True, validators=[phone_validator])
    address = EncryptedTextField("现居住地", aad="member.address", blank=True)
    is_mobile = models.BooleanField("是否流动党员", default=False)
    lost_contact = models.BooleanField("是否失联", default=False)
    status = models.CharField("党籍状态", max_length=32, choices=MemberStatus.choices, default=MemberStatus.NORMAL)
    status_changed_on = models.DateField("状态变更日期", null=True, blank=True)
    status_reason = models.CharField("状态变更原因", max_length=200, blank=True)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="member",
        verbose_name="登录账号",
    )

    objects = MemberQuerySet.as_manager()

    class Meta:
        verbose_name = "党员"
        verbose_name_plural = "党员"
        indexes = [
            models.Index(fields=["org", "id"]),
            models.Index(fields=["status", "org"]),
        ]

    def __str__(self):
        return self.name

    @property
    def masked_id_number(self) -> str:
        return mask_id_number(self.id_number)

    @property
    def masked_phone(self) -> str:
        return mask_phone(self.phone)

    @property
    def masked_address(self) -> str:
        return mask_address(self.address)


class MemberPeriod(models.Model):
    """One period of a member's organisation and 党籍 status, in force on [valid_from, valid_to).

    A member's periods follow one another without gap or overlap, so on any day the member is in exactly one
    organisation; counts "as of" a past day read the periods of that day. A null `valid_from` means "since the
    record began"; a null `valid_to` marks the period in force now. Written only by `members.history`."""

    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="periods")
    org = models.ForeignKey("orgs.Organization", on_delete=models.PROTECT, related_name="+")
    status = models.CharField("党籍状态", max_length=32, choices=MemberStatus.choices)
    valid_from = models.DateField("生效日期", null=True, blank=True)
    valid_to = models.DateField("失效日期", null=True, blank=True)

    class Meta:
        verbose_name = "党员组织关系历史"
        verbose_name_plural = "党员组织关系历史"
        ordering = ["member", "valid_from"]
        indexes = [models.Index(fields=["org", "valid_from"]), models.Index(fields=["member", "valid_to"])]
        constraints = [
            models.UniqueConstraint(fields=["member"], condition=Q(valid_to__isnull=True),
                                    name="one_current_period_per_member"),
        ]


def _own(user) -> Q:
    """A member's own records (the 本人 scope): never the rest of their branch's."""
    return Q(member__user=user)


class TransferQuerySet(models.QuerySet):
    def restrict(self, user, perm: str):
        """Transfers the user takes part in: out of, or into, an organisation in their scope."""
        out = restrict(self, user, perm, org_field="from_org", self_q=_own)
        into = restrict(self, user, perm, org_field="to_org", self_q=_own)
        return self.filter(pk__in=out.values("pk")) | self.filter(pk__in=into.values("pk"))


class Transfer(TimeStampedModel):
    """组织关系转接 inside the system: the sending branch applies, the sending 党委 approves, the receiving side
    accepts. Until it is received the member stays with (and is the responsibility of) the sender."""

    class State(models.TextChoices):
        APPLIED = "applied", "转出支部已申请，待转出党委审批"
        APPROVED = "approved", "转出党委已审批，待接收方接收"
        RETURNED = "returned", "已退回转出支部"
        AGREED = "agreed", "接收党委已同意，待接收党组织接收"
        RECEIVED = "received", "已接收"
        WITHDRAWN = "withdrawn", "已撤回"

    OPEN = (State.APPLIED, State.APPROVED, State.AGREED, State.RETURNED)

    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="transfers", verbose_name="党员")
    from_org = models.ForeignKey("orgs.Organization", on_delete=models.PROTECT, related_name="+",
                                 verbose_name="转出党组织")
    to_org = models.ForeignKey("orgs.Organization", on_delete=models.PROTECT, related_name="+",
                               verbose_name="接收党组织")
    reason = models.CharField("转接原因", max_length=200)
    state = models.CharField("状态", max_length=16, choices=State.choices, default=State.APPLIED)
    note = models.CharField("最近一次退回或撤回的原因", max_length=200, blank=True)
    history = models.JSONField("办理记录", default=list)  # [{"at", "by", "step", "note"}]
    applied_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    received_on = models.DateField("接收日期", null=True, blank=True)
    # The approval steps this transfer runs through, fixed when it is applied for (rulebook "transfer_steps").
    sender_approval = models.BooleanField("需转出党委审批", default=True)
    receiver_approval = models.BooleanField("需接收党委同意", default=False)

    objects = TransferQuerySet.as_manager()

    @property
    def awaiting(self) -> str:
        """Who acts next: "sender_committee", "receiver_committee", "receiver", "sender" (returned) or ""."""
        state = self.State
        if self.state == state.APPLIED:
            return "sender_committee"
        if self.state == state.APPROVED:
            return "receiver_committee" if self.receiver_approval else "receiver"
        if self.state == state.AGREED:
            return "receiver"
        if self.state == state.RETURNED:
            return "sender"
        return ""

    class Meta:
        verbose_name = "组织关系转接"
        verbose_name_plural = "组织关系转接"
        ordering = ["-created_at"]
        constraints = [
            # A member has at most one transfer under way.
            models.UniqueConstraint(fields=["member"], condition=Q(state__in=["applied", "approved", "agreed", "returned"]),
                                    name="one_open_transfer_per_member"),
        ]


class LetterQuerySet(models.QuerySet):
    def restrict(self, user, perm: str):
        return restrict(self, user, perm, org_field="from_org", self_q=_own)


class IncomingLetterQuerySet(models.QuerySet):
    def restrict(self, user, perm: str):
        return restrict(self, user, perm, org_field="to_org", self_q=_own)


class IncomingLetter(TimeStampedModel):
    """A 组织关系介绍信 from an organisation outside this system, registered by the receiving organisation; the
    member joins (or returns to) the archive from the day of receipt, carrying the dates the letter states."""

    number = models.CharField("介绍信编号", max_length=64)
    from_org_name = models.CharField("开具党组织", max_length=100)
    to_org = models.ForeignKey("orgs.Organization", on_delete=models.PROTECT, related_name="+",
                               verbose_name="接收党组织")
    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="incoming_letters", verbose_name="党员")
    issued_on = models.DateField("开具日期")
    valid_until = models.DateField("有效期至")
    received_on = models.DateField("报到日期")
    dues_paid_until = models.DateField("党费交至", null=True, blank=True, help_text="介绍信所载党费交至的月份")
    overdue_note = models.CharField("逾期说明", max_length=200, blank=True,
                                    help_text="超过有效期报到的，须写明原因并附党支部证明")
    registered_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    objects = IncomingLetterQuerySet.as_manager()

    class Meta:
        verbose_name = "转入介绍信"
        verbose_name_plural = "转入介绍信"
        ordering = ["-received_on", "-id"]
        constraints = [models.UniqueConstraint(fields=["from_org_name", "number"], name="one_registration_per_letter")]


class TransferLetter(TimeStampedModel):
    """组织关系介绍信 to an organisation outside this system, with its number, validity and receipt (回执)."""

    class State(models.TextChoices):
        ISSUED = "issued", "已开具，待回执"
        RECEIVED = "received", "已收到回执"
        CANCELLED = "cancelled", "已作废"

    number = models.CharField("编号", max_length=32, unique=True)
    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="transfer_letters", verbose_name="党员")
    from_org = models.ForeignKey("orgs.Organization", on_delete=models.PROTECT, related_name="+",
                                 verbose_name="转出党组织")
    to_org_name = models.CharField("接收党组织", max_length=100)
    reason = models.CharField("转接原因", max_length=200)
    issued_on = models.DateField("开具日期")
    valid_until = models.DateField("有效期至")
    dues_paid_until = models.DateField("党费交至", null=True, blank=True)
    state = models.CharField("状态", max_length=16, choices=State.choices, default=State.ISSUED)
    receipt_org_name = models.CharField("回执单位", max_length=100, blank=True)
    receipt_on = models.DateField("回执日期", null=True, blank=True)
    issued_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    objects = LetterQuerySet.as_manager()

    class Meta:
        verbose_name = "组织关系介绍信"
        verbose_name_plural = "组织关系介绍信"
        ordering = ["-issued_on", "-id"]
