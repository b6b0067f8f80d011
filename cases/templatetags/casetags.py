"""Template helpers for case and sheet pages: 和暦 dates in Tokyo time."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django import template
from django.utils import timezone

from tsumugi.lib.dates import TOKYO, wareki

register = template.Library()


@register.filter
def wareki_date(value: datetime | date | None) -> str:
    if value is None:
        return "—"
    if isinstance(value, datetime):
        value = value.astimezone(TOKYO).date()
    return wareki(value)


@register.filter
def wareki_dt(value: datetime | None) -> str:
    if value is None:
        return "—"
    local = value.astimezone(TOKYO)
    return f"{wareki(local.date())} {local:%H:%M}"


@register.filter
def iso_local(value: datetime | None) -> str:
    return "" if value is None else value.astimezone(TOKYO).isoformat()


@register.simple_tag
def now_utc() -> datetime:
    return timezone.now()


@register.filter
def is_overdue(sheet: Any, now: datetime) -> bool:
    return bool(sheet.next_due_at and sheet.next_due_at <= now)
