from django.apps import AppConfig


class SheetsConfig(AppConfig):
    name = "sheets"
    verbose_name = "つむぎあいシート"

    def ready(self) -> None:
        from django.db.models.signals import post_save

        from areas.hooks import register_open_work
        from cases.models import counted_slices_changed, provide_sheet_links
        from reminders.engine import register
        from reminders.topics import register_subject
        from tenancy.models import Municipality

        from . import (
            summary,
            tasks,  # noqa: F401  (registers the printout task by name)
        )
        from .handover import AsAssignee, AsLiaison
        from .ladder import SheetLadder
        from .models import CaseSheetLinks, add_default_outcomes, sheet_counted
        from .subjects import SheetSubjects

        post_save.connect(add_default_outcomes, sender=Municipality, dispatch_uid="sheets_outcomes")
        # The insight summaries, in the writer's transaction (sheets/summary.py).
        sheet_counted.connect(summary.sheet_counted, dispatch_uid="sheets_summary")
        counted_slices_changed.connect(summary.case_changed, dispatch_uid="sheets_case_summary")
        provide_sheet_links(CaseSheetLinks())
        register(SheetLadder())
        # 人事異動: the open sheets a member holds as 担当者 and 連携担当 (areas/handover.py).
        register_open_work(AsAssignee())
        register_open_work(AsLiaison())
        # The notification centre describes a sheet's group of notices through this.
        register_subject(SheetSubjects())
