from django.apps import AppConfig


class InsightConfig(AppConfig):
    name = "insight"
    verbose_name = "集計・分析"
