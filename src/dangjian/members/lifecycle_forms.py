"""Forms of the member lifecycle pages: absences, contacts, proposals, death, discipline, mobile members."""

from django import forms

from dangjian.core.forms import BootstrapFormMixin, DateInput

from .models import Absence, DisciplinaryAction, MemberContact, MobileRecord, StatusChangeProposal


class AbsenceForm(BootstrapFormMixin, forms.Form):
    kind = forms.ChoiceField(label="情形", choices=Absence.Kind.choices)
    since = forms.DateField(label="起始日期", widget=DateInput, help_text="失去联系或出国（境）的日期，用于计算处置期限")
    note = forms.CharField(label="情况说明", max_length=200, required=False)


class ContactForm(BootstrapFormMixin, forms.Form):
    on = forms.DateField(label="联系日期", widget=DateInput)
    method = forms.ChoiceField(label="联系方式", choices=MemberContact.Method.choices)
    reached = forms.BooleanField(label="已联系上", required=False)
    note = forms.CharField(label="联系情况", max_length=200, required=False)


class ProposalForm(BootstrapFormMixin, forms.Form):
    kind = forms.ChoiceField(label="事项", choices=StatusChangeProposal.Kind.choices)
    ground = forms.ChoiceField(label="依据", choices=StatusChangeProposal.Ground.choices)
    reason = forms.CharField(label="情况说明", max_length=300, widget=forms.Textarea(attrs={"rows": 3}),
                             help_text="联系经过、核实情况、支部意见等")
    branch_meeting_on = forms.DateField(label="支部党员大会日期", widget=DateInput, required=False,
                                        help_text="除名须经支部党员大会讨论决定")


class DeathForm(BootstrapFormMixin, forms.Form):
    died_on = forms.DateField(label="死亡日期", widget=DateInput)
    note = forms.CharField(label="说明", max_length=150, required=False)


class DisciplineForm(BootstrapFormMixin, forms.Form):
    kind = forms.ChoiceField(label="处分种类", choices=DisciplinaryAction.Kind.choices)
    decided_on = forms.DateField(label="处分决定日期", widget=DateInput)
    deciding_body = forms.CharField(label="作出决定的党组织", max_length=100)
    document_number = forms.CharField(label="处分决定文号", max_length=64, required=False)
    starts_on = forms.DateField(label="处分生效日期", widget=DateInput)
    ends_on = forms.DateField(label="处分期（影响期）截止日期", widget=DateInput, required=False,
                              help_text="留党察看填察看期满日期（一年或二年）；警告等不填时按影响期计算；开除党籍不填")
    reason = forms.CharField(label="处分事由", widget=forms.Textarea(attrs={"rows": 3}),
                             help_text="加密保存，列表中不显示，查看完整内容须授权并记入审计")


class OutflowForm(BootstrapFormMixin, forms.Form):
    inflow_org = forms.CharField(label="流入党组织代码（本系统内）", max_length=32, required=False,
                                 help_text="流入地党组织在本系统内时填写其组织代码，由其办理流入登记")
    destination = forms.CharField(label="流入地点", max_length=100, required=False,
                                  help_text="地区、单位或本系统以外的党组织")
    out_since = forms.DateField(label="外出日期", widget=DateInput)
    reason = forms.CharField(label="外出原因", max_length=100)
    contact_phone = forms.CharField(label="外出期间联系电话", max_length=20, required=False)
    certificate_number = forms.CharField(label="流动党员活动证编号", max_length=32, required=False)
    certificate_issued_on = forms.DateField(label="活动证发放日期", widget=DateInput, required=False)
    certificate_valid_until = forms.DateField(label="活动证有效期至", widget=DateInput, required=False)

    def clean_inflow_org(self):
        from dangjian.orgs.models import Organization

        code = (self.cleaned_data.get("inflow_org") or "").strip()
        if not code:
            return None
        org = Organization.objects.filter(code__iexact=code).first()
        if org is None:
            raise forms.ValidationError(f"找不到组织代码为“{code}”的党组织")
        return org


class CertificateForm(BootstrapFormMixin, forms.Form):
    certificate_number = forms.CharField(label="流动党员活动证编号", max_length=32)
    certificate_issued_on = forms.DateField(label="活动证发放日期", widget=DateInput)
    certificate_valid_until = forms.DateField(label="活动证有效期至", widget=DateInput)


CLOSURE_CHOICES = MobileRecord.Closure.choices
