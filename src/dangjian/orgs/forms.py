from django import forms

from dangjian.core.forms import BootstrapFormMixin, DateInput

from .models import Organization


class OrganizationForm(BootstrapFormMixin, forms.ModelForm):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = Organization
        fields = ["name", "short_name", "code", "org_type", "unit_relation", "founded_on", "contact_name",
                  "contact_phone", "sort_order"]
        widgets = {"founded_on": DateInput}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["version"].initial = self.instance.version

    def validate_unique(self):
        """Uniqueness is checked by the action, inside its transaction."""


class MoveForm(BootstrapFormMixin, forms.Form):
    parent = forms.ModelChoiceField(label="新的上级党组织", queryset=Organization.objects.none(),
                                    error_messages={"invalid_choice": "所选党组织不存在或不在您的管理范围内",
                                                    "required": "请选择新的上级党组织"})

    def __init__(self, *args, parents=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["parent"].queryset = parents
        self.fields["parent"].label_from_instance = lambda o: f"{o.code} {o.name}"


class DissolveForm(BootstrapFormMixin, forms.Form):
    dissolved_on = forms.DateField(label="撤销日期", widget=DateInput)
    dissolved_reason = forms.CharField(label="撤销原因", max_length=200, widget=forms.Textarea(attrs={"rows": 3}))
