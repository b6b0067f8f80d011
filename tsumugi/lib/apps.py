from django.apps import AppConfig


class LibConfig(AppConfig):
    """The shared plain modules; no models. Registers the project's query lookups."""

    name = "tsumugi.lib"
    label = "tsumugi_lib"
    verbose_name = "共通部品"

    def ready(self) -> None:
        from .lookups import register

        register()
