from django import forms

from dangjian.core.forms import BootstrapFormMixin, DateInput

from .choices import BaseKind, DuesCategory
from .models import DuesPayment, DuesRelief


class CalculatorForm(BootstrapFormMixin, forms.Form):
    category = forms.ChoiceField(label="党员类别", choices=DuesCategory.choices)
    base = forms.CharField(label="月收入（基数，元）", required=False,
                           help_text="在职：每月工资收入中相对固定、经常性的部分（税后）；离退休：实领的离退休费；"
                                     "农民、学生、下岗失业、低保等按固定数额交纳，可不填")


class StandardForm(BootstrapFormMixin, forms.Form):
    category = forms.ChoiceField(label="党员类别", choices=DuesCategory.choices)
    base_kind = forms.ChoiceField(label="基数口径", choices=[("", "—")] + list(BaseKind.choices), required=False)
    base = forms.CharField(label="月基数（元）", required=False)
    effective_from = forms.CharField(label="起始月份", widget=forms.TextInput(attrs={"type": "month"}),
                                     help_text="每年年初核定；工资变动的，从领取新工资的月份起按新标准交纳")


class PaymentForm(BootstrapFormMixin, forms.Form):
    member = forms.IntegerField(widget=forms.HiddenInput)
    first_month = forms.CharField(label="自", widget=forms.TextInput(attrs={"type": "month"}))
    last_month = forms.CharField(label="至", widget=forms.TextInput(attrs={"type": "month"}))
    method = forms.ChoiceField(label="方式", choices=DuesPayment.Method.choices)
    paid_by = forms.CharField(label="代缴人", required=False, max_length=50)
    paid_on = forms.DateField(label="缴纳日期", widget=DateInput)
    key = forms.CharField(widget=forms.HiddenInput, max_length=40)


class ReliefForm(BootstrapFormMixin, forms.Form):
    kind = forms.ChoiceField(label="类型", choices=DuesRelief.Kind.choices)
    monthly_amount = forms.CharField(label="减免后每月交纳（元）", required=False, help_text="免交不填")
    first_month = forms.CharField(label="起始月份", widget=forms.TextInput(attrs={"type": "month"}))
    last_month = forms.CharField(label="截止月份", widget=forms.TextInput(attrs={"type": "month"}))
    discussed_on = forms.DateField(label="支部讨论日期", widget=DateInput)
    reason = forms.CharField(label="困难情况", max_length=300, widget=forms.Textarea(attrs={"rows": 3}))
