from django.apps import AppConfig


class MeetingsConfig(AppConfig):
    name = "meetings"
    verbose_name = "会議"

    def ready(self) -> None:
        # Registers 宿題 with the reminder engine, so the sweep reminds them like sheets.
        from . import deadlines  # noqa: F401
