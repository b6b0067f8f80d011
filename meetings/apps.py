from django.apps import AppConfig


class MeetingsConfig(AppConfig):
    name = "meetings"
    verbose_name = "会議"

    def ready(self) -> None:
        from reminders.engine import register

        from .ladder import ActionItemLadder

        # 宿題 are reminded like sheets, by the same engine.
        register(ActionItemLadder())
