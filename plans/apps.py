from django.apps import AppConfig


class PlansConfig(AppConfig):
    name = "plans"
    verbose_name = "多機関協働（支援プラン）"

    def ready(self) -> None:
        from cases import hooks

        # Registers the review date with the reminder engine, like meetings' 宿題.
        from . import deadlines  # noqa: F401
        from .panels import case_panel, close_refusal

        hooks.register_close_guard("plans", close_refusal)
        hooks.register_case_panel("plans", case_panel)
