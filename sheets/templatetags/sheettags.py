"""The home page's dashboard, "what needs me now": sheets waiting for my agencies, my agencies'
sheets whose receiver is late, my agencies' open cases, then what others did on our sheets.

Every row is recognisable (number, district, tags and the person as cases/privacy.py lets this
viewer see them); a constant number of queries whatever the volume, each one a clause of the
visible_to choke points (receiver / sender / owning agency in my agencies)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django import template
from django.db.models import Q, prefetch_related_objects
from django.utils import timezone

from areas.scope import scope_of
from cases.audit import record_accesses
from cases.models import Case, Event
from cases.privacy import case_views
from sheets.models import Sheet, Status

register = template.Library()

DASHBOARD_ROWS = 10
RECENT_DAYS = 14


@register.inclusion_tag("cases/_dashboard.html", takes_context=True)
def dashboard(context: dict[str, Any]) -> dict[str, Any]:
    request = context["request"]
    scope = scope_of(request.user)
    now = timezone.now()
    if not scope.agency_ids:
        return {"works_on_cases": False}
    mine = scope.agency_ids
    related = ("case__district", "sender_agency", "receiver_agency", "assignee")
    waiting = list(
        Sheet.objects.inbox_of(mine)
        .open()
        .filter(Q(status=Status.SENT) | Q(next_due_at__lte=now))
        .select_related(*related)
        .order_by("next_due_at", "id")[:DASHBOARD_ROWS]
    )
    late = list(
        Sheet.objects.outbox_of(mine)
        .open()
        .overdue(now)
        .select_related(*related)
        .order_by("next_due_at", "id")[:DASHBOARD_ROWS]
    )
    open_cases = list(
        Case.objects.filter(agency_id__in=mine)
        .open()
        .select_related("district", "agency")
        .order_by("-received_at", "-id")[:DASHBOARD_ROWS]
    )
    recent = list(
        Event.objects.filter(at__gte=now - timedelta(days=RECENT_DAYS), sheet__isnull=False)
        .filter(Q(sheet__sender_agency_id__in=mine) | Q(sheet__receiver_agency_id__in=mine))
        .exclude(agency_id__in=mine)
        .select_related("sheet", "agency")
        .order_by("-at", "-id")[:DASHBOARD_ROWS]
    )
    cases = [s.case for s in waiting + late] + open_cases
    prefetch_related_objects(cases, "tags")
    views = case_views(cases, request.user, now)
    record_accesses(request, [v.case for v in views.values() if v.shows_people], "ホーム")
    return {
        "works_on_cases": True,
        "request": request,  # for the 宿題 tag inside
        "csrf_token": context.get("csrf_token"),
        "waiting": [(s, views[s.case_id]) for s in waiting],
        "late": [(s, views[s.case_id]) for s in late],
        "open_cases": [(c, views[c.pk]) for c in open_cases],
        "recent": recent,
        "recent_days": RECENT_DAYS,
        "now": now,
    }
