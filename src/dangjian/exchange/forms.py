from django import forms

from dangjian.core.forms import BootstrapFormMixin

from .models import ImportJob


class ImportForm(BootstrapFormMixin, forms.Form):
    kind = forms.ChoiceField(label="导入内容", choices=ImportJob.Kind.choices, initial=ImportJob.Kind.MEMBERS)
    org = forms.ModelChoiceField(label="导入到党组织", queryset=None,
                                 help_text="文件中的“所在党组织”可写该组织或其下级组织的代码或全称；不填即为该组织")
    file = forms.FileField(label="文件", help_text="支持 .xlsx、.xls、.csv；请使用下载的模板或含相同列名的表格")
    keep_valid = forms.BooleanField(label="有错误时只导入无误的行", required=False,
                                    help_text="不勾选时，只要有一行有错误就不导入任何数据")

    def __init__(self, *args, orgs=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["org"].queryset = orgs
        self.fields["org"].label_from_instance = lambda o: f"{'　' * max(o.depth - 1, 0)}{o.name}（{o.code}）"
        self.fields["org"].error_messages["invalid_choice"] = "所选党组织不存在或不在您的管理范围内"
        self.fields["file"].widget.attrs["accept"] = ".xlsx,.xls,.csv"


class CommitForm(forms.Form):
    keep_valid = forms.BooleanField(required=False)
