"""The office calendar the engine counts business days with, registered by the app that owns
closures (areas) so the engine imports no domain app."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings

from tsumugi.lib.dates import BusinessCalendar

_calendar: list[Callable[[], BusinessCalendar]] = []


def use_calendar(provider: Callable[[], BusinessCalendar]) -> None:
    """The app that owns the office calendar (closures) registers how to read it."""
    _calendar[:] = [provider]


def business_calendar() -> BusinessCalendar:
    if not _calendar:
        return BusinessCalendar(
            closures=frozenset(), opens=settings.BUSINESS_DAY_OPENS, ends=settings.BUSINESS_DAY_ENDS
        )
    return _calendar[0]()
