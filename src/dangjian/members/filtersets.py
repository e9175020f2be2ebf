"""Member filters shared by the list page and the API."""

import django_filters
from django.db.models import Q

from dangjian.accounts import roles
from dangjian.core.forms import BootstrapForm
from dangjian.orgs.models import Organization

from .choices import Category, MemberStatus, OccupationCategory
from .models import Member
from .search import search_q

YES_NO = [("true", "是"), ("false", "否")]


class MemberFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(label="姓名 / 拼音首字母 / 公民身份号码", method="filter_q")
    org = django_filters.NumberFilter(label="党组织（含下级）", method="filter_org")
    occupation_category = django_filters.ChoiceFilter(label="人员类别", choices=OccupationCategory.choices, empty_label="全部人员类别")
    category = django_filters.ChoiceFilter(label="党员类别", choices=Category.choices, empty_label="全部党员类别")
    status = django_filters.ChoiceFilter(label="党籍状态", choices=MemberStatus.choices, empty_label="全部状态")
    is_mobile = django_filters.BooleanFilter(label="流动党员")
    lost_contact = django_filters.BooleanFilter(label="失联党员")

    class Meta:
        model = Member
        form = BootstrapForm
        fields = ["q", "org", "occupation_category", "category", "status", "is_mobile", "lost_contact"]

    def filter_q(self, queryset, name, value):
        return queryset.filter(search_q(value))

    def filter_org(self, queryset, name, value):
        user = getattr(self.request, "user", None)
        org = Organization.objects.restrict(user, roles.ORG_VIEW).filter(pk=value).first()
        if org is None:
            return queryset.none()
        return queryset.filter(Q(org__path__startswith=org.path))
