"""Pages of the cockpit (数字驾驶舱): the big screen (1920×1080, dark, without the site's navigation) and the phone
view of one organisation's subtree. Both render the cockpit data once and then poll the API for it; the data itself
is read by `queries.cockpit` through `.restrict(user, "analytics.view")`."""

from __future__ import annotations

from django.conf import settings
from django.http import Http404
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.generic import TemplateView

from dangjian.accounts import roles
from dangjian.core.views import ScopedViewMixin
from dangjian.orgs.models import Organization

from . import queries
from .api.views import CockpitSerializer

URL_ID = 2147483647  # stands in for the organisation id in the drill-down address given to the script


def labels() -> dict:
    """The words the script writes into the page (all translated here, none in the script)."""
    return {
        "red": _("红灯"), "yellow": _("黄灯"), "green": _("绿灯"), "no_light": _("无预警数据"),
        "members": _("党员"), "person": _("人"), "orgs": _("个组织"),
        "vs_previous": _("较上月末"), "no_previous": _("无上月末数据"),
        "trend_members": _("党员总数与未整改预警（近12个月）"), "trend_index": _("指数趋势（近12个月，%/分）"),
        "alerts": _("未整改预警"), "refreshed": _("已刷新"), "refresh_failed": _("刷新失败，将自动重试"),
        "no_data": _("暂无数据"), "no_children": _("无下级组织"), "as_of": _("统计截止"), "computed_at": _("指标计算于"),
        "since_month": _("较上月末"), "since_year": _("较12个月前"), "drill": _("点击查看该组织的驾驶舱"),
    }


class CockpitView(ScopedViewMixin, TemplateView):
    """大屏: KPI cards, trends, structure, the org tree coloured by warning lights, branch rankings."""

    template_name = "cockpit/screen.html"
    scoped_model = Organization
    perm = roles.ANALYTICS_VIEW
    mode = "screen"
    url_name = "cockpit:screen"
    other_url_name = "cockpit:phone"

    def get_org(self):
        if "pk" in self.kwargs:
            return self.get_scoped_object()
        org = queries.default_org(self.request.user)
        if org is None:
            raise Http404
        return org

    def get_context_data(self, **kwargs):
        org = self.get_org()
        data = CockpitSerializer(queries.cockpit(org, self.request.user)).data
        config = {
            "mode": self.mode, "api": reverse("cockpit-detail", args=[org.pk]),
            "org_url": reverse(self.url_name, args=[URL_ID]).replace(str(URL_ID), "{id}"),
            "refresh_seconds": max(10, int(settings.COCKPIT_REFRESH_SECONDS)), "labels": labels(), "data": data,
        }
        return super().get_context_data(
            org=org, data=data, config=config, mode=self.mode,
            other_url=reverse(self.other_url_name, args=[org.pk]),
            parent_url=reverse(self.url_name, args=[data["parent"]["id"]]) if data["parent"] else "", **kwargs)


class PhoneView(CockpitView):
    """手机版: the same cockpit in one touch-friendly column, with the children as a list to tap."""

    template_name = "cockpit/phone.html"
    mode = "phone"
    url_name = "cockpit:phone"
    other_url_name = "cockpit:screen"
