"""Forms of the organisational-life pages. The regulation checks live in the actions, not here."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.utils import timezone

from dangjian.core.forms import BootstrapForm, DateInput

from .choices import Grade, MeetingKind, Recurrence
from .models import MeetingFile

PICK = {"invalid_choice": "所选对象不存在或不在您的管理范围内", "required": "请选择"}


class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%dT%H:%M", **kwargs)


def _datetime_field(label, **kw):
    return forms.DateTimeField(label=label, widget=DateTimeInput(), input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
                               **kw)


class MemberChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, m):
        return m.name


class MeetingForm(BootstrapForm):
    kind = forms.ChoiceField(label="会议类别", choices=MeetingKind.choices)
    topic = forms.CharField(label="议题", max_length=200)
    starts_at = _datetime_field("开始时间")
    ends_at = _datetime_field("结束时间")
    place = forms.CharField(label="地点", max_length=200, required=False)
    also_counts_as = forms.MultipleChoiceField(label="同时计为", choices=MeetingKind.choices, required=False,
                                               widget=forms.CheckboxSelectMultiple,
                                               help_text="如主题党日同时召开支部党员大会、讲党课")
    latitude = forms.DecimalField(label="会场纬度", max_digits=9, decimal_places=6, required=False)
    longitude = forms.DecimalField(label="会场经度", max_digits=9, decimal_places=6, required=False)
    checkin_radius = forms.IntegerField(label="签到范围（米）", required=False, min_value=1,
                                        help_text="填写后，扫码签到须在会场该范围内；留空不校验位置")


class PlanForm(BootstrapForm):
    kind = forms.ChoiceField(label="会议类别", choices=MeetingKind.choices)
    topic = forms.CharField(label="议题", max_length=200)
    recurrence = forms.ChoiceField(label="周期", choices=Recurrence.choices)
    first_starts_at = _datetime_field("首次开始时间")
    duration_minutes = forms.IntegerField(label="时长（分钟）", initial=90)
    occurrences = forms.IntegerField(label="次数", initial=3, help_text="最多 12 次")
    place = forms.CharField(label="地点", max_length=200, required=False)


class RescheduleForm(BootstrapForm):
    starts_at = _datetime_field("开始时间")
    ends_at = _datetime_field("结束时间")
    place = forms.CharField(label="地点", max_length=200, required=False)


class SelfAssessmentForm(forms.Form):
    entry = forms.IntegerField(widget=forms.HiddenInput)
    self_assessment = forms.CharField(label="个人自评", widget=forms.Textarea(attrs={"rows": 5, "class": "form-control"}))


class RecordForm(BootstrapForm):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    topic = forms.CharField(label="议题", max_length=200)
    chair = MemberChoiceField(label="主持人", queryset=None, required=False, error_messages=PICK)
    recorder = MemberChoiceField(label="记录人", queryset=None, required=False, error_messages=PICK)
    minutes = forms.CharField(label="会议记录", widget=forms.Textarea(attrs={"rows": 8}))
    decisions = forms.CharField(label="决议决定", widget=forms.Textarea(attrs={"rows": 3}), required=False)
    study_hours = forms.DecimalField(label="计入学时", max_digits=4, decimal_places=1, required=False,
                                     help_text="出席党员每人计入的学时")

    def __init__(self, *args, members=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["chair"].queryset = members
        self.fields["recorder"].queryset = members


class LeaveForm(BootstrapForm):
    member = MemberChoiceField(label="党员", queryset=None, error_messages=PICK)
    approved = forms.TypedChoiceField(label="是否批准", choices=[("1", "批准"), ("0", "不批准")], coerce=lambda v: v == "1")
    leave_reason = forms.CharField(label="请假事由", max_length=200)

    def __init__(self, *args, members=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["member"].queryset = members


class OnBehalfForm(BootstrapForm):
    member = MemberChoiceField(label="代为签到的党员", queryset=None, error_messages=PICK)

    def __init__(self, *args, members=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["member"].queryset = members


class VoteForm(BootstrapForm):
    motion = forms.CharField(label="表决事项", max_length=200)
    yes = forms.IntegerField(label="赞成", min_value=0)
    no = forms.IntegerField(label="反对", min_value=0, initial=0)
    abstain = forms.IntegerField(label="弃权", min_value=0, initial=0)


class ReasonForm(BootstrapForm):
    reason = forms.CharField(label="原因", max_length=500, widget=forms.Textarea(attrs={"rows": 3}))


class FileForm(BootstrapForm):
    kind = forms.ChoiceField(label="类型", choices=MeetingFile.Kind.choices)
    file = forms.FileField(label="文件", help_text="照片：JPEG、PNG；附件：PDF、Word（.docx）、Excel（.xlsx）、JPEG、PNG")


class CheckInForm(forms.Form):
    token = forms.CharField(widget=forms.HiddenInput, required=False)
    latitude = forms.CharField(widget=forms.HiddenInput, required=False)
    longitude = forms.CharField(widget=forms.HiddenInput, required=False)


class TalkForm(BootstrapForm):
    held_on = forms.DateField(label="谈话日期", widget=DateInput)
    initiator = MemberChoiceField(label="谈话人", queryset=None, error_messages=PICK)
    counterpart = MemberChoiceField(label="谈话对象", queryset=None, error_messages=PICK)
    topic = forms.CharField(label="谈话主题", max_length=200)
    follow_up = forms.CharField(label="后续跟进", max_length=500, required=False)

    def __init__(self, *args, members=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["initiator"].queryset = members
        self.fields["counterpart"].queryset = members


class AppraisalOpenForm(BootstrapForm):
    year = forms.IntegerField(label="年度", initial=lambda: timezone.localdate().year)


class AssessForm(BootstrapForm):
    entry = forms.ModelChoiceField(label="党员", queryset=None, error_messages=PICK)
    self_assessment = forms.CharField(label="个人自评", widget=forms.Textarea(attrs={"rows": 3}), required=False)
    mutual_assessment = forms.CharField(label="党员互评意见", widget=forms.Textarea(attrs={"rows": 3}), required=False)
    votes_excellent = forms.IntegerField(label="测评：优秀", min_value=0, initial=0)
    votes_qualified = forms.IntegerField(label="测评：合格", min_value=0, initial=0)
    votes_basically_qualified = forms.IntegerField(label="测评：基本合格", min_value=0, initial=0)
    votes_unqualified = forms.IntegerField(label="测评：不合格", min_value=0, initial=0)

    def __init__(self, *args, entries=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["entry"].queryset = entries
        self.fields["entry"].label_from_instance = lambda e: e.member.name


class DecideForm(BootstrapForm):
    decided_on = forms.DateField(label="评定日期", widget=DateInput, initial=dt.date.today)

    def __init__(self, *args, entries=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.entries = list(entries)
        for e in self.entries:
            if e.probationary:
                continue
            self.fields[f"grade_{e.member_id}"] = forms.ChoiceField(
                label=e.member.name, choices=[("", "请选择"), *Grade.choices], required=False)
            self.fields[f"grade_{e.member_id}"].widget.attrs["class"] = "form-select"

    def grades(self) -> dict:
        return {e.member_id: self.cleaned_data.get(f"grade_{e.member_id}") or "" for e in self.entries
                if not e.probationary}


class CloseFollowUpForm(BootstrapForm):
    closed_on = forms.DateField(label="办结日期", widget=DateInput)
    closing_note = forms.CharField(label="办结情况", max_length=500)
