from django import forms

from dangjian.core.forms import BootstrapFormMixin, DateInput

from .models import Organization


def effective_on_field(label="生效日期"):
    return forms.DateField(label=label, required=False, widget=DateInput,
                           help_text="变更在组织历史中生效的日期，不填为今天；不能早于该组织上一次变更的日期")


class OrganizationForm(BootstrapFormMixin, forms.ModelForm):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    effective_on = effective_on_field("名称或类别变更的生效日期")

    class Meta:
        model = Organization
        fields = ["name", "short_name", "code", "org_type", "unit_relation", "founded_on", "contact_name",
                  "contact_phone", "sort_order"]
        widgets = {"founded_on": DateInput}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["version"].initial = self.instance.version
        else:
            del self.fields["effective_on"]

    def validate_unique(self):
        """Uniqueness is checked by the action, inside its transaction."""


class MoveForm(BootstrapFormMixin, forms.Form):
    parent = forms.ModelChoiceField(label="新的上级党组织", queryset=Organization.objects.none(),
                                    error_messages={"invalid_choice": "所选党组织不存在或不在您的管理范围内",
                                                    "required": "请选择新的上级党组织"})
    effective_on = effective_on_field()

    def __init__(self, *args, parents=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["parent"].queryset = parents
        self.fields["parent"].label_from_instance = lambda o: f"{o.code} {o.name}"


class DissolveForm(BootstrapFormMixin, forms.Form):
    dissolved_on = forms.DateField(label="撤销日期", widget=DateInput)
    dissolved_reason = forms.CharField(label="撤销原因", max_length=200, widget=forms.Textarea(attrs={"rows": 3}))


class MergeForm(BootstrapFormMixin, forms.Form):
    into = forms.ModelChoiceField(label="并入的党组织", queryset=Organization.objects.none(),
                                  error_messages={"invalid_choice": "所选党组织不存在或不在您的管理范围内",
                                                  "required": "请选择并入的党组织"})
    effective_on = forms.DateField(label="合并生效日期", widget=DateInput,
                                   error_messages={"required": "请填写合并生效日期"})
    reason = forms.CharField(label="合并原因", max_length=200, widget=forms.Textarea(attrs={"rows": 3}),
                             error_messages={"required": "请填写合并原因"})

    def __init__(self, *args, targets=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["into"].queryset = targets
        self.fields["into"].label_from_instance = lambda o: f"{o.code} {o.name}"


class AsOfForm(BootstrapFormMixin, forms.Form):
    date = forms.DateField(label="查询日期", widget=DateInput, error_messages={"invalid": "请输入有效日期，如 2025-12-31"})
