from django.urls import include, path

urlpatterns = [
    path("", include("dangjian.core.urls")),
    path("accounts/", include(("dangjian.accounts.urls", "accounts"))),
    path("orgs/", include(("dangjian.orgs.urls", "orgs"))),
    path("members/", include(("dangjian.members.urls", "members"))),
    path("dues/", include(("dangjian.dues.urls", "dues"))),
    path("alerts/", include(("dangjian.alerts.urls", "alerts"))),
    path("recruitment/", include(("dangjian.recruitment.urls", "recruitment"))),  # 发展党员
    path("imports/", include(("dangjian.exchange.urls", "imports"))),
    path("export/", include(("dangjian.exchange.export_urls", "export"))),
    path("orglife/", include(("dangjian.orglife.urls", "orglife"))),  # organisational life (组织生活)
    path("cockpit/", include(("dangjian.cockpit.urls", "cockpit"))),  # 数字驾驶舱
    path("analytics/", include(("dangjian.analytics.urls", "analytics"))),  # 指标计算、党员活力指数
    path("statistics/", include(("dangjian.exchange.statistics.urls", "statistics"))),  # 党内统计年报
    path("api/v1/", include("dangjian.config.api_urls")),
]

handler404 = "dangjian.core.views.not_found"
handler500 = "dangjian.core.views.server_error"
handler403 = "dangjian.core.views.forbidden"
