from django.apps import AppConfig


class SheetsConfig(AppConfig):
    name = "sheets"
    verbose_name = "つむぎあいシート"

    def ready(self) -> None:
        from cases.models import provide_sheet_links
        from reminders.engine import register

        from .ladder import SheetLadder
        from .models import CaseSheetLinks

        provide_sheet_links(CaseSheetLinks())
        register(SheetLadder())
