from django.apps import AppConfig


class PlansConfig(AppConfig):
    name = "plans"
    verbose_name = "多機関協働（支援プラン）"

    def ready(self) -> None:
        from areas.hooks import register_open_work
        from cases import hooks
        from meetings import hooks as meeting_hooks
        from reminders.engine import register

        from .handover import Coordinator, Tasks
        from .ladder import PlanReviewLadder
        from .packet import packet_plans
        from .panels import case_panel, close_refusal

        # The review date is reminded like sheets and 宿題, by the same engine.
        register(PlanReviewLadder())

        hooks.register_close_guard("plans", close_refusal)
        hooks.register_case_panel("plans", case_panel)
        meeting_hooks.register_packet_part("plans", packet_plans)
        # 人事異動: live plans as 担当コーディネーター and their 役割分担 (areas/handover.py).
        register_open_work(Coordinator())
        register_open_work(Tasks())
