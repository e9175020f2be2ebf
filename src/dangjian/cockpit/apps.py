from django.apps import AppConfig


class CockpitConfig(AppConfig):
    name = "dangjian.cockpit"
    label = "cockpit"
    verbose_name = "数字驾驶舱"
