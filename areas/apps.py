from django.apps import AppConfig


class AreasConfig(AppConfig):
    name = "areas"
    verbose_name = "地域・機関"

    def ready(self) -> None:
        from . import checks  # noqa: F401  (registers the one-municipality check)
