"""Template helpers for case and sheet pages: 和暦 dates in Tokyo time, and the dashboard."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django import template
from django.utils import timezone

from areas.scope import scope_of
from tsumugi.lib.dates import TOKYO, wareki

register = template.Library()

DASHBOARD_ROWS = 10


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


@register.inclusion_tag("cases/_dashboard.html", takes_context=True)
def dashboard(context: dict[str, Any]) -> dict[str, Any]:
    """My overdue inbox items and my agencies' open cases: two queries whatever the volume.
    Both are clauses of the visible_to choke points (receiver / owning agency in my agencies)."""
    from cases.models import Case
    from sheets.models import Sheet

    request = context["request"]
    scope = scope_of(request.user)
    now = timezone.now()
    if not scope.agency_ids:
        return {"works_on_cases": False}
    overdue = list(
        Sheet.objects.inbox_of(scope.agency_ids)
        .overdue(now)
        .select_related("case", "sender_agency", "receiver_agency", "assignee")
        .order_by("next_due_at", "id")[:DASHBOARD_ROWS]
    )
    open_cases = list(
        Case.objects.filter(agency_id__in=scope.agency_ids)
        .open()
        .select_related("district", "agency")
        .order_by("-received_at", "-id")[:DASHBOARD_ROWS]
    )
    return {"works_on_cases": True, "overdue": overdue, "open_cases": open_cases, "now": now}
