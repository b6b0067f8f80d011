from django.apps import AppConfig


class RemindersConfig(AppConfig):
    """The deadline and notice engine. It imports no domain app: each domain registers its
    deadline kinds (and the business calendar) from its own AppConfig.ready()."""

    name = "reminders"
    verbose_name = "督促と通知"

    def ready(self) -> None:
        from . import tasks  # noqa: F401  (registers the Celery tasks the engine sends by name)
