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


# -- Member lifecycle: absences, contact log, status-change proposals, discipline, mobile members ---------------------


class MemberScopedQuerySet(models.QuerySet):
    """Rows that belong to a member: reachable when the member's organisation is in the user's scope."""

    def restrict(self, user, perm: str):
        return restrict(self, user, perm, org_field="member__org", self_q=_own)


class Absence(TimeStampedModel):
    """失联 or abroad (出国（境）): since when, until when. The open lost-contact record keeps `Member.lost_contact`
    true; its start date counts the 6 months before 停止党籍 (教育条例 第二十四条)."""

    class Kind(models.TextChoices):
        LOST_CONTACT = "lost_contact", "失去联系"
        ABROAD_STUDY = "abroad_study", "出国（境）学习研究"
        ABROAD_SETTLED = "abroad_settled", "出国（境）定居"

    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="absences", verbose_name="党员")
    kind = models.CharField("情形", max_length=16, choices=Kind.choices)
    since = models.DateField("起始日期", help_text="失去联系或出国（境）的日期")
    ended_on = models.DateField("结束日期", null=True, blank=True, help_text="恢复联系或回国的日期")
    note = models.CharField("情况说明", max_length=200, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    objects = MemberScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "失联、出国（境）情况"
        verbose_name_plural = "失联、出国（境）情况"
        ordering = ["-since", "-id"]
        constraints = [models.UniqueConstraint(fields=["member", "kind"], condition=Q(ended_on__isnull=True),
                                               name="one_open_absence_per_member_and_kind")]


class MemberContact(TimeStampedModel):
    """A contact (or an attempt) by the home organisation: with lost-contact and mobile members alike."""

    class Method(models.TextChoices):
        PHONE = "phone", "电话"
        MESSAGE = "message", "短信、微信等"
        VISIT = "visit", "走访"
        LETTER = "letter", "信函"
        OTHER = "other", "其他"

    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="contacts", verbose_name="党员")
    on = models.DateField("联系日期")
    method = models.CharField("联系方式", max_length=16, choices=Method.choices)
    reached = models.BooleanField("是否联系上", default=False)
    note = models.CharField("联系情况", max_length=200, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    objects = MemberScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "联系记录"
        verbose_name_plural = "联系记录"
        ordering = ["-on", "-id"]


class StatusChangeProposal(TimeStampedModel):
    """停止党籍, 除名 or 恢复党籍: the branch proposes (the 支部大会 decides a 除名), the higher 党委 approves, and only then
    does the status change. Sent back with a reason, it returns to the branch (教育条例 第二十四条; 党章 第九条)."""

    class Kind(models.TextChoices):
        SUSPEND = "suspend", "停止党籍"
        REMOVE = "remove", "除名"
        RESTORE = "restore", "恢复党籍"

    class Ground(models.TextChoices):
        LOST_CONTACT = "lost_contact", "失去联系六个月以上"
        ABROAD_STUDY = "abroad_study", "出国（境）学习研究超过五年不归"
        ABROAD_SETTLED = "abroad_settled", "出国（境）定居"
        SELF_WITHDRAWAL = "self_withdrawal", "停止党籍二年后仍无法取得联系（自行脱党）"
        REMOVAL = "removal", "其他应予除名的情形（教育条例 第三十一条）"
        PERSUADED = "persuaded_withdrawal", "劝退不退"
        RESTORED_CONTACT = "restored_contact", "已恢复联系或回国，符合恢复党籍条件"

    class State(models.TextChoices):
        PROPOSED = "proposed", "支部已提出，待上级党委审批"
        RETURNED = "returned", "已退回支部"
        APPROVED = "approved", "上级党委已批准"
        WITHDRAWN = "withdrawn", "已撤回"

    OPEN = (State.PROPOSED, State.RETURNED)

    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="status_proposals", verbose_name="党员")
    kind = models.CharField("事项", max_length=16, choices=Kind.choices)
    ground = models.CharField("依据", max_length=24, choices=Ground.choices)
    reason = models.CharField("情况说明", max_length=300)
    branch_meeting_on = models.DateField("支部党员大会日期", null=True, blank=True,
                                         help_text="除名须经支部党员大会讨论决定")
    state = models.CharField("状态", max_length=16, choices=State.choices, default=State.PROPOSED)
    note = models.CharField("最近一次退回的原因", max_length=200, blank=True)
    history = models.JSONField("办理记录", default=list)  # [{"at", "by", "step", "note"}]
    proposed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    decided_on = models.DateField("批准日期", null=True, blank=True)

    objects = MemberScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "党籍处置"
        verbose_name_plural = "党籍处置"
        ordering = ["-created_at"]
        constraints = [models.UniqueConstraint(fields=["member"], condition=Q(state__in=["proposed", "returned"]),
                                               name="one_open_status_proposal_per_member")]

    @property
    def target_status(self) -> str:
        from .choices import MemberStatus

        return {self.Kind.SUSPEND: MemberStatus.SUSPENDED, self.Kind.REMOVE: MemberStatus.LEFT,
                self.Kind.RESTORE: MemberStatus.NORMAL}[self.kind]


class DisciplineQuerySet(models.QuerySet):
    def restrict(self, user, perm: str):
        return restrict(self, user, perm, org_field="member__org", self_q=_own)


class DisciplinaryAction(TimeStampedModel):
    """党纪处分: 警告, 严重警告, 撤销党内职务, 留党察看 (≤ 2 years, no vote or election rights), 开除党籍.
    The reason is sensitive: encrypted at rest, masked in lists, revealed only with permission (audited)."""

    class Kind(models.TextChoices):
        WARNING = "warning", "警告"
        SERIOUS_WARNING = "serious_warning", "严重警告"
        REMOVAL_FROM_POST = "removal_from_post", "撤销党内职务"
        PROBATION_WITHIN_PARTY = "probation_within_party", "留党察看"
        EXPULSION = "expulsion", "开除党籍"

    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="disciplinary_actions",
                               verbose_name="党员")
    kind = models.CharField("处分种类", max_length=24, choices=Kind.choices)
    decided_on = models.DateField("处分决定日期")
    deciding_body = models.CharField("作出决定的党组织", max_length=100)
    document_number = models.CharField("处分决定文号", max_length=64, blank=True)
    starts_on = models.DateField("处分生效日期")
    ends_on = models.DateField("处分期（影响期）截止日期", null=True, blank=True,
                               help_text="留党察看为察看期满之日；开除党籍不填")
    reason = EncryptedTextField("处分事由", aad="discipline.reason")
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    objects = DisciplineQuerySet.as_manager()

    class Meta:
        verbose_name = "党纪处分"
        verbose_name_plural = "党纪处分"
        ordering = ["-decided_on", "-id"]

    MASK = "●●●●●●（处分事由已隐藏）"

    @property
    def masked_reason(self) -> str:
        return self.MASK if self.reason else ""

    def in_effect_on(self, on) -> bool:
        return self.starts_on <= on and (self.ends_on is None or on < self.ends_on)


class MobileRecordQuerySet(models.QuerySet):
    def restrict(self, user, perm: str):
        """Mobile records of the home organisation's members, and those registered into the user's organisations."""
        home = restrict(self, user, perm, org_field="home_org", self_q=lambda u: Q(member__user=u))
        inflow = restrict(self, user, perm, org_field="inflow_org", self_q=lambda u: Q(pk__in=[]))
        return self.filter(pk__in=home.values("pk")) | self.filter(pk__in=inflow.values("pk"))


class MobileRecord(TimeStampedModel):
    """流动党员: the home branch registers the outflow; the inflow organisation (in the system) registers the inflow.
    The member joins the inflow organisation's life but votes only at home; the 流动党员活动证 is reviewed yearly."""

    class State(models.TextChoices):
        OUT = "out", "已流出，待流入地党组织登记"
        IN = "in", "流入地已登记"
        CLOSED = "closed", "已结束"

    class Closure(models.TextChoices):
        RETURNED = "returned", "已返回"
        TRANSFERRED = "transferred", "已转移组织关系"
        OTHER = "other", "其他"

    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="mobile_records", verbose_name="党员")
    home_org = models.ForeignKey("orgs.Organization", on_delete=models.PROTECT, related_name="+",
                                 verbose_name="流出党组织")
    inflow_org = models.ForeignKey("orgs.Organization", on_delete=models.PROTECT, related_name="+", null=True,
                                   blank=True, verbose_name="流入党组织（本系统内）")
    destination = models.CharField("流入地点", max_length=100, help_text="流向的地区、单位或本系统以外的党组织")
    out_since = models.DateField("外出日期")
    reason = models.CharField("外出原因", max_length=100)
    contact_phone = EncryptedTextField("外出期间联系电话", aad="mobile.contact_phone", blank=True,
                                       validators=[phone_validator])
    inflow_registered_on = models.DateField("流入登记日期", null=True, blank=True)
    certificate_number = models.CharField("流动党员活动证编号", max_length=32, blank=True)
    certificate_issued_on = models.DateField("活动证发放日期", null=True, blank=True)
    certificate_valid_until = models.DateField("活动证有效期至", null=True, blank=True)
    last_reviewed_on = models.DateField("最近年审日期", null=True, blank=True)
    state = models.CharField("状态", max_length=16, choices=State.choices, default=State.OUT)
    closed_on = models.DateField("结束日期", null=True, blank=True)
    closure = models.CharField("结束原因", max_length=16, choices=Closure.choices, blank=True)
    history = models.JSONField("办理记录", default=list)
    registered_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    objects = MobileRecordQuerySet.as_manager()

    class Meta:
        verbose_name = "流动党员"
        verbose_name_plural = "流动党员"
        ordering = ["-out_since", "-id"]
        constraints = [models.UniqueConstraint(fields=["member"], condition=Q(state__in=["out", "in"]),
                                               name="one_open_mobile_record_per_member")]

    @property
    def masked_contact_phone(self) -> str:
        return mask_phone(self.contact_phone)

    @property
    def review_due_on(self):
        """The next 年审: a year after the last review, or after the certificate was issued."""
        from dangjian.core import rulebook

        from .periods import add_months

        start = self.last_reviewed_on or self.certificate_issued_on
        if start is None:
            return None
        return add_months(start, rulebook.value("mobile_certificate_review_months", start))
