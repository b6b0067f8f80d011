from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "cases"
    verbose_name = "相談"

    def ready(self) -> None:
        from . import summary
        from .models import counted_slices_changed

        counted_slices_changed.connect(summary.slices_changed, dispatch_uid="cases_summary")
