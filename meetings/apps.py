from django.apps import AppConfig


class MeetingsConfig(AppConfig):
    name = "meetings"
    verbose_name = "会議"

    def ready(self) -> None:
        from areas.hooks import register_open_work
        from reminders.engine import register

        from . import tasks  # noqa: F401  (registers the packet task by name)
        from .confidentiality import register_roster_column
        from .handover import ActionItems, MeetingRoles
        from .ladder import ActionItemLadder

        # 宿題 are reminded like sheets, by the same engine.
        register(ActionItemLadder())
        # The roster of a 支援会議 shows who confirmed the 守秘義務 (areas/hooks.py).
        register_roster_column()
        # 人事異動: open 宿題 and roles in meetings not yet held (areas/handover.py).
        register_open_work(ActionItems())
        register_open_work(MeetingRoles())
