"""The home page's dashboard: my agencies' overdue inbox items and open cases."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils import timezone

from areas.scope import scope_of
from cases.models import Case
from sheets.models import Sheet

register = template.Library()

DASHBOARD_ROWS = 10


@register.inclusion_tag("cases/_dashboard.html", takes_context=True)
def dashboard(context: dict[str, Any]) -> dict[str, Any]:
    """My overdue inbox items and my agencies' open cases: two queries whatever the volume.
    Both are clauses of the visible_to choke points (receiver / owning agency in my agencies)."""
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
