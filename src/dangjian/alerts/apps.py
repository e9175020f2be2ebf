from django.apps import AppConfig


class AlertsConfig(AppConfig):
    name = "dangjian.alerts"
    label = "alerts"
    verbose_name = "亮灯预警与督办"
