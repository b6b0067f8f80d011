from django.apps import AppConfig


class InsightConfig(AppConfig):
    name = "insight"
    verbose_name = "集計・分析"

    def ready(self) -> None:
        from .exports import register_kinds

        # The downloads are rendered by the worker (reminders/exports.py).
        register_kinds()
