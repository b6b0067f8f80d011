from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save


class AreasConfig(AppConfig):
    name = "areas"
    verbose_name = "地域・機関"

    def ready(self) -> None:
        from reminders import engine
        from tenancy import scope

        from .calendar import business_calendar
        from .exports import register_kinds
        from .models import Closure, municipality_of_user

        # The engine counts business days and opening hours with the office calendar.
        engine.use_calendar(business_calendar)
        # A user belongs to the municipality of their memberships' agencies.
        scope.use_resolver(municipality_of_user)
        register_kinds()  # the roster CSVs are written by the worker
        post_save.connect(closure_changed, sender=Closure, dispatch_uid="areas_closure_saved")
        post_delete.connect(closure_changed, sender=Closure, dispatch_uid="areas_closure_deleted")


def closure_changed(sender: type, instance: Any, **kwargs: Any) -> None:
    """Every kind's open deadlines are recounted by the worker, not in the admin's request."""
    from reminders import engine

    engine.calendar_changed(instance.date, instance.municipality_id)
