from typing import Any

from django.apps import AppConfig
from django.db import transaction
from django.db.models.signals import post_delete, post_save


class SheetsConfig(AppConfig):
    name = "sheets"
    verbose_name = "つむぎあいシート"

    def ready(self) -> None:
        from areas.models import Closure
        from cases.models import provide_sheet_links

        from .models import CaseSheetLinks

        provide_sheet_links(CaseSheetLinks())

        post_save.connect(closure_changed, sender=Closure, dispatch_uid="sheets_closure_saved")
        post_delete.connect(closure_changed, sender=Closure, dispatch_uid="sheets_closure_deleted")


def closure_changed(sender: type, instance: Any, **kwargs: Any) -> None:
    from .deadlines import recompute_open_deadlines

    day = instance.date
    transaction.on_commit(lambda: recompute_open_deadlines(day))
