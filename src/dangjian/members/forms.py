from django import forms

from dangjian.core.forms import BootstrapFormMixin, DateInput
from .models import Member
from .choices import MemberStatus


SENSITIVE_FIELDS = ("id_number", "phone", "address")


class MemberForm(BootstrapFormMixin, forms.ModelForm):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = Member
        fields = ["name", "gender", "ethnicity", "id_number", "birth_date", "native_place", "education", "degree",
                  "occupation_category", "work_unit_and_post", "applied_on", "activist_on", "development_target_on",
                  "joined_on", "converted_on", "category", "org",
                  "phone", "address", "is_mobile", "lost_contact"]
        widgets = {
            "id_number": forms.TextInput(attrs={"autocomplete": "off", "maxlength": 18}),
            "phone": forms.TextInput(attrs={"autocomplete": "off", "inputmode": "tel"}),
            "address": forms.TextInput(attrs={"autocomplete": "off"}),
            "birth_date": DateInput, "applied_on": DateInput, "activist_on": DateInput,
            "development_target_on": DateInput, "joined_on": DateInput, "converted_on": DateInput,
        }

    def __init__(self, *args, orgs=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["org"].queryset = orgs
        self.fields["org"].label_from_instance = lambda o: f"{o.name}（{o.code}）"
        self.fields["org"].error_messages["invalid_choice"] = "所选党组织不存在或不在您的管理范围内"
        self.fields["birth_date"].required = False
        self.fields["gender"].required = False
        self.fields["birth_date"].help_text = "可不填，将按公民身份号码自动填写"
        if self.instance.pk:
            self.fields["version"].initial = self.instance.version
            # Editing never shows the stored sensitive values (that is an audited reveal): the mask is a
            # placeholder, and a field left blank keeps what is stored.
            for name in SENSITIVE_FIELDS:
                field = self.fields[name]
                field.required = False
                field.widget.attrs["placeholder"] = getattr(self.instance, f"masked_{name}") or ""
                field.help_text = "不修改请留空"
                self.initial[name] = ""

    def changed_sensitive_data(self, cleaned: dict) -> dict:
        """The cleaned data without the sensitive fields left blank on an edit."""
        if not self.instance.pk:
            return cleaned
        return {k: v for k, v in cleaned.items() if not (k in SENSITIVE_FIELDS and not v)}

    def _post_clean(self):
        """Model validation runs in the action, in one place, with every field checked together."""


class StatusForm(BootstrapFormMixin, forms.Form):
    status = forms.ChoiceField(label="新的党籍状态", choices=MemberStatus.choices)
    status_changed_on = forms.DateField(label="变更日期", widget=DateInput)
    status_reason = forms.CharField(label="变更原因", max_length=200, widget=forms.Textarea(attrs={"rows": 3}))


class TransferForm(BootstrapFormMixin, forms.Form):
    to_org = forms.CharField(label="接收党组织代码", max_length=32,
                             help_text="接收党组织的组织代码（可在党组织页面查到）；接收方可以是全系统内任一党支部")
    reason = forms.CharField(label="转接原因", max_length=200, help_text="如：工作调动、迁居、升学")

    def clean_to_org(self):
        from dangjian.orgs.models import Organization

        code = self.cleaned_data["to_org"].strip()
        org = Organization.objects.filter(code__iexact=code).first()
        if org is None:
            raise forms.ValidationError(f"找不到组织代码为“{code}”的党组织")
        return org


class LetterForm(BootstrapFormMixin, forms.Form):
    to_org_name = forms.CharField(label="接收党组织（全称）", max_length=100,
                                  help_text="本系统以外的党组织；本系统内的请用“组织关系转接”")
    reason = forms.CharField(label="转接原因", max_length=200)
    issued_on = forms.DateField(label="开具日期", widget=DateInput)


LETTER_FIELDS = ("number", "from_org_name", "issued_on", "valid_until", "received_on", "dues_paid_until",
                 "overdue_note")


class IncomingLetterForm(MemberForm):
    """登记转入介绍信: the letter as it reads, then the member's record as the letter and the member give it."""

    number = forms.CharField(label="介绍信编号", max_length=64)
    from_org_name = forms.CharField(label="开具介绍信的党组织（全称）", max_length=100)
    issued_on = forms.DateField(label="开具日期", widget=DateInput)
    valid_until = forms.DateField(label="有效期至", widget=DateInput)
    received_on = forms.DateField(label="报到日期", widget=DateInput, help_text="党员持介绍信来报到的日期，自该日起编入本组织")
    dues_paid_until = forms.DateField(label="党费交至", required=False, widget=DateInput,
                                      help_text="介绍信所载党费交至的月份（填该月任一日）")
    overdue_note = forms.CharField(label="逾期说明", max_length=200, required=False,
                                   help_text="超过有效期报到的，须写明原因并附党支部证明")

    field_order = [*LETTER_FIELDS]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["org"].label = "接收党组织"
        self.fields["id_number"].help_text = "曾从本系统转出的党员，将恢复其原有档案"

    def letter(self) -> dict:
        return {k: self.cleaned_data.get(k) for k in LETTER_FIELDS}

    def member_data(self) -> dict:
        return {k: v for k, v in self.cleaned_data.items() if k not in LETTER_FIELDS and k not in ("org", "version")}
