from django.apps import AppConfig


class AnalyticsConfig(AppConfig):
    name = "dangjian.analytics"
    label = "analytics"
    verbose_name = "行为数据与统计分析"
