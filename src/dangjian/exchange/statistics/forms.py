"""The choice of organisation and cut-off day, shared by the page and the API."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils.translation import gettext as _, gettext_lazy

from dangjian.accounts import roles
from dangjian.core.forms import BootstrapForm, DateInput
from dangjian.orgs.models import Organization

EARLIEST = dt.date(1921, 7, 1)  # nothing in a Party archive precedes the founding of the Party


def last_year_end(today: dt.date | None = None) -> dt.date:
    """The default cut-off: the last 31 December that has passed."""
    today = today or dt.date.today()
    return dt.date(today.year - 1, 12, 31)


def date_refusal(on: dt.date) -> str | None:
    if on > dt.date.today():
        return _("统计截止日期不能晚于今天")
    if on < EARLIEST:
        return _("统计截止日期不能早于1921年7月1日")
    return None


def parse_on(value) -> dt.date:
    """A cut-off day from a query parameter (blank: the last 31 December); a Chinese refusal otherwise."""
    if value in (None, ""):
        return last_year_end()
    try:
        on = dt.date.fromisoformat(str(value).strip())
    except ValueError:
        raise ValidationError({"on": _("统计截止日期格式应为“年-月-日”，如 2025-12-31")}) from None
    refusal = date_refusal(on)
    if refusal:
        raise ValidationError({"on": refusal})
    return on


def scoped_org(user, value) -> Organization | None:
    """The organisation named by `value` if the user may see its statistics; one that exists outside the user's
    scope is a 404 (as for any object out of scope); a value that is no id at all is None."""
    try:
        pk = int(str(value).strip())
    except (TypeError, ValueError):
        return None
    org = Organization.objects.restrict(user, roles.STATISTICS_VIEW).filter(pk=pk).first()
    if org is None:
        raise Http404(_("党组织不存在或不在您的管理范围内"))
    return org


class StatisticsForm(BootstrapForm):
    org = forms.ModelChoiceField(label=gettext_lazy("党组织"), queryset=Organization.objects.none(),
                                 help_text=gettext_lazy("统计该党组织及其全部下级党组织"),
                                 error_messages={"required": gettext_lazy("请选择党组织"),
                                                 "invalid_choice": gettext_lazy("所选党组织不存在或不在您的管理范围内")})
    on = forms.DateField(label=gettext_lazy("统计截止日期"), widget=DateInput(format="%Y-%m-%d"),
                         help_text=gettext_lazy("年报一般为12月31日；统计期为截止日期前一年"),
                         error_messages={"required": gettext_lazy("请填写统计截止日期"),
                                         "invalid": gettext_lazy("统计截止日期格式应为“年-月-日”，如 2025-12-31")})

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        orgs = Organization.objects.restrict(user, roles.STATISTICS_VIEW).only("pk", "name", "depth", "path")
        self.fields["org"].queryset = orgs
        self.fields["org"].label_from_instance = lambda o: "\u3000" * max(o.depth - 1, 0) + o.name

    def clean_on(self):
        on = self.cleaned_data["on"]
        refusal = date_refusal(on)
        if refusal:
            raise ValidationError(refusal)
        return on
