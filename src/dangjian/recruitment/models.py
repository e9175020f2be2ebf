"""Recruitment (发展党员): a person's file from application to full membership, step by step.

A candidate is not yet a member: the member archive is created by the 党委's approval of admission (one source of
truth afterwards; `Candidate.member` links them). Nothing here is deleted.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from dangjian.accounts.scope import restrict
from dangjian.core.fields import EncryptedTextField
from dangjian.core.masking import mask_id_number
from dangjian.core.models import TimeStampedModel
from dangjian.members.choices import Education, Gender, OccupationCategory
from dangjian.members.idnumber import validate_id_number

from .choices import DocumentKind, MeetingType, Outcome, PersonRole, Stage, StepKind


class CandidateQuerySet(models.QuerySet):
    def restrict(self, user, perm: str):
        """Candidates of the branches in the user's scope; a member sees none (not their own file either)."""
        return restrict(self, user, perm, org_field="org", self_q=lambda u: Q(pk__in=[]))


class Candidate(TimeStampedModel):
    """入党申请人 and onwards: the person's data as given on the application, and where they stand."""

    name = models.CharField("姓名", max_length=50)
    gender = models.CharField("性别", max_length=8, choices=Gender.choices)
    id_number = EncryptedTextField("公民身份号码", aad="candidate.id_number", validators=[validate_id_number])
    id_number_index = models.CharField(max_length=64, db_index=True, editable=False)
    birth_date = models.DateField("出生日期")
    education = models.CharField("学历", max_length=32, choices=Education.choices, blank=True)
    occupation_category = models.CharField("人员类别", max_length=32, choices=OccupationCategory.choices)
    work_unit_and_post = models.CharField("工作单位及职务", max_length=100, blank=True)
    org = models.ForeignKey("orgs.Organization", on_delete=models.PROTECT, related_name="candidates",
                            verbose_name="所在党支部")
    stage = models.CharField("所处阶段", max_length=32, choices=Stage.choices, default=Stage.APPLICANT)
    applied_on = models.DateField("递交入党申请书日期")
    expected_leave_on = models.DateField("预计离开本单位日期", null=True, blank=True,
                                         help_text="三个月内将离开工作、学习单位的，一般不办理接收手续")
    transferred_in = models.BooleanField("转入的预备党员", default=False)
    member = models.OneToOneField("members.Member", null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="candidate", verbose_name="党员档案")

    objects = CandidateQuerySet.as_manager()

    class Meta:
        verbose_name = "发展党员对象"
        verbose_name_plural = "发展党员对象"
        indexes = [models.Index(fields=["org", "stage"])]

    def __str__(self):
        return self.name

    @property
    def masked_id_number(self) -> str:
        return mask_id_number(self.id_number)


class StepQuerySet(models.QuerySet):
    def restrict(self, user, perm: str):
        return restrict(self, user, perm, org_field="candidate__org", self_q=lambda u: Q(pk__in=[]))


class Step(models.Model):
    """One of the 25 steps, as it happened: date, responsible organisation, people, opinion, documents, votes."""

    candidate = models.ForeignKey(Candidate, on_delete=models.PROTECT, related_name="steps")
    kind = models.CharField("环节", max_length=32, choices=StepKind.choices)
    on = models.DateField("日期")
    org = models.ForeignKey("orgs.Organization", on_delete=models.PROTECT, related_name="+",
                            verbose_name="负责的党组织")
    rule_version = models.CharField("适用细则版本", max_length=8)
    opinion = models.TextField("意见或情况", blank=True)
    document_number = models.CharField("文号或材料编号", max_length=64, blank=True)
    meeting_type = models.CharField("会议类型", max_length=16, choices=MeetingType.choices, blank=True)
    passed = models.BooleanField("通过", null=True, blank=True)
    ends_on = models.DateField("截止日期", null=True, blank=True, help_text="公示截止日期")
    training_days = models.DecimalField("培训天数", max_digits=5, decimal_places=1, null=True, blank=True)
    training_hours = models.DecimalField("培训学时", max_digits=6, decimal_places=1, null=True, blank=True)
    months = models.PositiveSmallIntegerField("月数", null=True, blank=True, help_text="延长预备期或推迟讨论的月数")
    outcome = models.CharField("转正讨论结果", max_length=16, choices=Outcome.choices, blank=True)
    # 支部党员大会: voting members due to attend (预备党员 and 留党察看 excluded), present, and the secret ballot.
    due_count = models.PositiveIntegerField("应到会有表决权的党员", null=True, blank=True)
    excluded_count = models.PositiveIntegerField("不计入的党员（预备党员、留党察看等）", null=True, blank=True)
    present_count = models.PositiveIntegerField("实到会有表决权的党员", null=True, blank=True)
    yes_count = models.PositiveIntegerField("赞成票", null=True, blank=True)
    no_count = models.PositiveIntegerField("反对票", null=True, blank=True)
    abstain_count = models.PositiveIntegerField("弃权票", null=True, blank=True)
    warnings = models.TextField("已确认的提示", blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField("登记时间", auto_now_add=True)

    objects = StepQuerySet.as_manager()

    class Meta:
        verbose_name = "发展党员环节"
        verbose_name_plural = "发展党员环节"
        ordering = ["on", "id"]
        indexes = [models.Index(fields=["candidate", "kind"])]

    def __str__(self):
        return f"{self.candidate}：{self.get_kind_display()}"


class StepPerson(models.Model):
    """谈话人, 培养联系人, 入党介绍人: members of the archive taking part in a step."""

    step = models.ForeignKey(Step, on_delete=models.PROTECT, related_name="people")
    member = models.ForeignKey("members.Member", on_delete=models.PROTECT, related_name="+")
    role = models.CharField("身份", max_length=16, choices=PersonRole.choices)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["step", "member"], name="recruitment_step_person_once")]


class HolidayQuerySet(models.QuerySet):
    def restrict(self, user, perm: str):
        """The calendar is deployment-wide and holds no party data: whoever holds `perm` sees it all."""
        return self if user.has_perm_anywhere(perm) else self.none()


class Holiday(models.Model):
    """A day the administrator marks for a year the built-in calendar does not cover: a public holiday, or an
    adjusted working day (调休上班) on a weekend."""

    day = models.DateField("日期", unique=True)
    is_working_day = models.BooleanField("调休上班", default=False)
    name = models.CharField("名称", max_length=50)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = HolidayQuerySet.as_manager()

    class Meta:
        verbose_name = "节假日"
        verbose_name_plural = "节假日"
        ordering = ["day"]


class DocumentTemplateQuerySet(models.QuerySet):
    def restrict(self, user, perm: str):
        return restrict(self, user, perm, org_field="org", self_q=lambda u: Q(pk__in=[]))


class DocumentTemplate(models.Model):
    """An organisation's own .docx for one document, with {{名称}}-style placeholders; the newest one applies to the
    organisation and the organisations below it (the built-in template otherwise)."""

    org = models.ForeignKey("orgs.Organization", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField("文书", max_length=32, choices=DocumentKind.choices)
    content = models.BinaryField("模板文件")
    filename = models.CharField("文件名", max_length=200)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)

    objects = DocumentTemplateQuerySet.as_manager()

    class Meta:
        ordering = ["-uploaded_at", "-id"]


class ThoughtReportQuerySet(models.QuerySet):
    def restrict(self, user, perm: str):
        return restrict(self, user, perm, org_field="candidate__org", self_q=lambda u: Q(pk__in=[]))


class ThoughtReport(models.Model):
    """思想汇报: what an 入党积极分子, 发展对象 or 预备党员 hands in regularly (at least every `thought_report_months`,
    local practice), with the branch's comment on it. Nothing here is deleted."""

    candidate = models.ForeignKey(Candidate, on_delete=models.PROTECT, related_name="thought_reports")
    submitted_on = models.DateField("递交日期")
    summary = models.TextField("主要内容")
    content = models.BinaryField("原件", null=True, blank=True)
    filename = models.CharField("原件文件名", max_length=200, blank=True)
    content_type = models.CharField("原件类型", max_length=100, blank=True)
    comment = models.TextField("审阅意见", blank=True)
    reviewed_on = models.DateField("审阅日期", null=True, blank=True)
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField("登记时间", auto_now_add=True)

    objects = ThoughtReportQuerySet.as_manager()

    class Meta:
        verbose_name = "思想汇报"
        verbose_name_plural = "思想汇报"
        ordering = ["submitted_on", "id"]
        indexes = [models.Index(fields=["candidate", "submitted_on"])]

    def __str__(self):
        return f"{self.candidate}：思想汇报 {self.submitted_on}"
