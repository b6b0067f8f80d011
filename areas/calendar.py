from tenancy import scope
from tenancy.models import defaults_of
from tsumugi.lib.dates import BusinessCalendar

from .models import Closure


def business_calendar() -> BusinessCalendar:
    """The office calendar of the municipality the code works for: its hours and its closures
    (Closure is narrowed to it; one small query, and one a minute for the hours)."""
    defaults = defaults_of(scope.current_id())
    return BusinessCalendar(
        closures=Closure.objects.closed_dates(), opens=defaults.opens, ends=defaults.closes
    )
