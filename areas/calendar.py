from django.conf import settings

from tsumugi.lib.dates import BusinessCalendar

from .models import Closure


def business_calendar() -> BusinessCalendar:
    """The office calendar with today's admin closures (one small query)."""
    return BusinessCalendar(
        closures=Closure.objects.closed_dates(),
        opens=settings.BUSINESS_DAY_OPENS,
        ends=settings.BUSINESS_DAY_ENDS,
    )
