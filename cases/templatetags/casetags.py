"""Template helpers for case and sheet pages: 和暦 dates in Tokyo time."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django import template
from django.utils import timezone

from tsumugi.lib import datetags

register = template.Library()


# Old names of the one date format (tsumugi.lib.datetags), kept while other branches still use
# them; new templates write |jdate and |jdatetime.
register.filter("wareki_date", datetags.register.filters["jdate"])
register.filter("wareki_dt", datetags.register.filters["jdatetime"])


@register.simple_tag
def now_utc() -> datetime:
    return timezone.now()


@register.filter
def is_overdue(sheet: Any, now: datetime) -> bool:
    return bool(sheet.next_due_at and sheet.next_due_at <= now)


@register.filter
def consent_in_force(consent: Any, now: datetime) -> bool:
    return bool(consent.in_force(now))


@register.filter
def contains(collection: Any, item: Any) -> bool:
    return item in collection
