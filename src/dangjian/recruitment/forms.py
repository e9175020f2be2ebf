"""Forms of the recruitment pages. The regulation checks live in the actions; a form only shows the fields a step
needs and turns them into the action's data."""

from __future__ import annotations

from django import forms

from dangjian.core.forms import BootstrapForm, DateInput
from dangjian.members.choices import Education, Gender, MemberStatus, OccupationCategory

from .choices import DocumentKind, MeetingType, Outcome, PersonRole, StepKind

K = StepKind
PICK = {"invalid_choice": "所选对象不存在或不在您的管理范围内", "required": "请选择"}
PASSED_LABELS = {
    K.PUBLIC_NOTICE: ("公示结果", "无影响发展的问题", "有影响发展的问题"),
    K.POLITICAL_REVIEW: ("政治审查结论", "合格", "不合格"),
    K.PRE_REVIEW: ("预审结果", "通过预审", "未通过"),
    K.ADMISSION_APPROVAL: ("审批结果", "批准为预备党员", "不批准"),
    K.CONVERSION_APPROVAL: ("审批结果", "批准支部大会的决议", "不批准"),
}
# The fields each step shows besides the date, the opinion and the document number.
STEP_FIELDS = {
    K.APPLICATION_TALK: ["talkers"],
    K.ACTIVIST_DETERMINATION: ["meeting_type"],
    K.CONTACT_PERSONS: ["contacts"],
    K.PUBLIC_NOTICE: ["ends_on", "passed"],
    K.INTRODUCERS: ["introducers"],
    K.POLITICAL_REVIEW: ["passed"],
    K.TRAINING: ["training_days", "training_hours"],
    K.PRE_REVIEW: ["org", "passed"],
    K.ADMISSION_MEETING: ["present_count", "yes_count", "no_count", "abstain_count"],
    K.CONVERSION_MEETING: ["present_count", "yes_count", "no_count", "abstain_count", "outcome", "months"],
    K.COMMITTEE_TALK: ["org", "talkers"],
    K.ADMISSION_APPROVAL: ["org", "passed"],
    K.CONVERSION_APPROVAL: ["org", "passed"],
    K.TARGET_CONSENT: ["org"],
    K.TARGET_FILING: ["org"],
    K.ACTIVIST_FILING: ["org"],
    K.APPROVAL_FILING: ["org"],
    K.GENERAL_BRANCH_REVIEW: ["org"],
    K.CONVERSION_POSTPONEMENT: ["months"],
    K.NOT_RECOGNISED: ["org"],
}
# What the opinion field asks for, where it is the substance of the step.
OPINION_LABELS = {K.CLOSURE: "终止发展的原因", K.NOT_RECOGNISED: "不予承认的原因（违反规定发展、不符合党员条件的情形）"}
PEOPLE = {"talkers": PersonRole.TALKER, "contacts": PersonRole.CONTACT, "introducers": PersonRole.INTRODUCER}


def _member_label(m):
    return f"{m.name}（{m.org.short_name or m.org.name}）"


class ApplicationForm(BootstrapForm):
    org = forms.ModelChoiceField(label="受理的党支部", queryset=None, error_messages=PICK)
    name = forms.CharField(label="姓名", max_length=50)
    id_number = forms.CharField(label="公民身份号码", max_length=18)
    gender = forms.ChoiceField(label="性别", choices=[("", "按身份证号")] + list(Gender.choices), required=False)
    birth_date = forms.DateField(label="出生日期", widget=DateInput, required=False, help_text="留空则按身份证号")
    education = forms.ChoiceField(label="学历", choices=[("", "—")] + list(Education.choices), required=False)
    occupation_category = forms.ChoiceField(label="人员类别", choices=OccupationCategory.choices)
    work_unit_and_post = forms.CharField(label="工作单位及职务", max_length=100, required=False)
    applied_on = forms.DateField(label="递交入党申请书日期", widget=DateInput)
    expected_leave_on = forms.DateField(label="预计离开本单位日期", widget=DateInput, required=False,
                                        help_text="三个月内将离开工作、学习单位的，一般不办理接收手续")

    def __init__(self, *args, orgs=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["org"].queryset = orgs


class StepForm(BootstrapForm):
    on = forms.DateField(label="日期", widget=DateInput)
    org = forms.ModelChoiceField(label="办理的上级党组织", queryset=None, error_messages=PICK, required=False,
                                 help_text="审批只能由党委办理，党总支只能审议")
    meeting_type = forms.ChoiceField(label="决定的会议", choices=MeetingType.choices, required=False)
    talkers = forms.ModelMultipleChoiceField(label="谈话人", queryset=None, required=False, error_messages=PICK)
    contacts = forms.ModelMultipleChoiceField(label="培养联系人（1～2 名正式党员）", queryset=None, required=False,
                                              error_messages=PICK)
    introducers = forms.ModelMultipleChoiceField(label="入党介绍人（2 名正式党员）", queryset=None, required=False,
                                                 error_messages=PICK)
    ends_on = forms.DateField(label="公示截止日期", widget=DateInput, required=False,
                              help_text="公示期不少于 5 个工作日（节假日不计）")
    passed = forms.TypedChoiceField(label="结论", choices=[("", "请选择"), ("1", "通过"), ("0", "不通过")],
                                    coerce=lambda v: v == "1", empty_value=None, required=False)
    training_days = forms.DecimalField(label="培训天数", min_value=0, max_digits=5, decimal_places=1, required=False)
    training_hours = forms.DecimalField(label="培训学时", min_value=0, max_digits=6, decimal_places=1, required=False)
    present_count = forms.IntegerField(label="实到会有表决权的党员（人）", min_value=0, required=False,
                                       help_text="应到会人数由系统按党员档案计算，预备党员和留党察看的党员不计入")
    yes_count = forms.IntegerField(label="赞成票", min_value=0, required=False)
    no_count = forms.IntegerField(label="反对票", min_value=0, required=False)
    abstain_count = forms.IntegerField(label="弃权票", min_value=0, required=False)
    outcome = forms.ChoiceField(label="讨论结果", choices=[("", "请选择")] + list(Outcome.choices), required=False)
    months = forms.IntegerField(label="月数", min_value=1, max_value=24, required=False,
                                help_text="延长预备期 6～12 个月；转入的预备党员推迟讨论转正不超过 6 个月")
    opinion = forms.CharField(label="意见或情况", widget=forms.Textarea(attrs={"rows": 3}), required=False)
    document_number = forms.CharField(label="文号或材料编号", max_length=64, required=False)
    acknowledge = forms.BooleanField(label="已知悉上述提示，确属特殊情况", required=False)

    def __init__(self, *args, kind=None, members=None, orgs=None, **kwargs):
        super().__init__(*args, **kwargs)
        keep = {"on", "opinion", "document_number", "acknowledge", *STEP_FIELDS.get(kind, [])}
        for name in list(self.fields):
            if name not in keep:
                del self.fields[name]
        for name in PEOPLE:
            if name in self.fields:
                self.fields[name].queryset = members.filter(status=MemberStatus.NORMAL).select_related("org")
                self.fields[name].label_from_instance = _member_label
        if "org" in self.fields:
            self.fields["org"].queryset = orgs
        if kind in OPINION_LABELS:
            self.fields["opinion"].label = OPINION_LABELS[kind]
        if kind in PASSED_LABELS and "passed" in self.fields:
            label, yes, no = PASSED_LABELS[kind]
            self.fields["passed"].label = label
            self.fields["passed"].choices = [("", "请选择"), ("1", yes), ("0", no)]

    def action_data(self) -> tuple[dict, dict, bool]:
        data = {k: v for k, v in self.cleaned_data.items() if k not in PEOPLE and k != "acknowledge"}
        people = {PEOPLE[k]: list(v) for k, v in self.cleaned_data.items() if k in PEOPLE and v}
        return data, people, bool(self.cleaned_data.get("acknowledge"))


class TransferredInForm(BootstrapForm):
    member = forms.ModelChoiceField(label="转入的预备党员", queryset=None, error_messages=PICK,
                                    help_text="预备期从其入党日期（支部大会通过之日）起算；转入后可推迟讨论转正，最长 6 个月")

    def __init__(self, *args, members=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["member"].queryset = members
        self.fields["member"].label_from_instance = _member_label


class HolidayForm(BootstrapForm):
    day = forms.DateField(label="日期", widget=DateInput)
    name = forms.CharField(label="名称", max_length=50, help_text="如：国庆节、国庆调休上班")
    is_working_day = forms.BooleanField(label="调休上班（周末上班）", required=False)


class TemplateForm(BootstrapForm):
    org = forms.ModelChoiceField(label="适用的党组织（含下级）", queryset=None, error_messages=PICK)
    kind = forms.ChoiceField(label="文书", choices=DocumentKind.choices)
    file = forms.FileField(label="模板文件（.docx）")

    def __init__(self, *args, orgs=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["org"].queryset = orgs


class ThoughtReportForm(BootstrapForm):
    submitted_on = forms.DateField(label="递交日期", widget=DateInput)
    summary = forms.CharField(label="主要内容", widget=forms.Textarea(attrs={"rows": 3}))
    file = forms.FileField(label="原件（PDF、Word 或照片，可不上传）", required=False)


class ThoughtReportReviewForm(BootstrapForm):
    comment = forms.CharField(label="审阅意见", widget=forms.Textarea(attrs={"rows": 2}))


class MoveFileForm(BootstrapForm):
    org = forms.ModelChoiceField(label="接收的党支部", queryset=None, error_messages=PICK,
                                 help_text="须同时有转出和接收党支部的管理权限；已完成的环节保留，由接收党支部继续办理")
    on = forms.DateField(label="转移日期", widget=DateInput)
    reason = forms.CharField(label="转移原因", max_length=500, help_text="如工作单位变动、居住地变动")

    def __init__(self, *args, orgs=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["org"].queryset = orgs
