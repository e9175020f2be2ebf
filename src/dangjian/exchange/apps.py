from django.apps import AppConfig


class ExchangeConfig(AppConfig):
    name = "dangjian.exchange"
    label = "exchange"
    verbose_name = "数据交换"
