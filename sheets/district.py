"""A district's counts of cases and sheets: the 地区カルテ (insight) and a district meeting's
packet (meetings) both show them, so they live here, below both, and never disagree."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import Count, Q, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from areas.models import Area, Field
from cases.models import Case
from tsumugi.lib.dates import TOKYO, fiscal_year, local_date

from .models import Sheet, SheetMonth, Status


def district_figures(district: Area, now: datetime | None = None) -> dict[str, Any]:
    """One district at a glance: open cases by issue field, this fiscal year's sheets by status,
    open and overdue sheets. Five queries.

    Not scoped to a viewer: callers (the 地区カルテ, a district meeting's packet) have already
    checked that the reader covers the district. Counts only, never personal data.
    """
    now = now or timezone.now()
    open_cases = Case.objects.filter(district=district, status=Case.Status.OPEN)
    # 1. open cases and multi-field open cases
    totals = open_cases.aggregate(
        open_cases=Count("pk"), multi_field=Count("pk", filter=Q(field_count__gte=2))
    )
    # 2. open cases by issue field (a case with two tags in one field counts once there);
    # grouped by the field's id alone, so the sort behind COUNT(DISTINCT) compares integers
    field_counts: dict[int, int] = {
        r["issuetag__field_id"]: r["n"]
        for r in Case.tags.through.objects.filter(
            case__district=district, case__status=Case.Status.OPEN
        )
        .order_by()
        .values("issuetag__field_id")
        .annotate(n=Count("case_id", distinct=True))
    }
    # 3. the names of the fields, in their order
    by_field = [
        {"field_id": pk, "field": name, "count": field_counts[pk]}
        for pk, name in Field.objects.values_list("pk", "name")
        if pk in field_counts
    ]
    # 4. sheets of the district's cases by status: those sent this fiscal year, and every open
    # one whatever its year (the monthly summary, sheets/summary.py: an open sheet is one in an
    # open status)   5. the open ones past their deadline now (a range of sheet_insight_open)
    year = fiscal_year(local_date(now))
    year_start = datetime(year, 4, 1, tzinfo=TOKYO)
    this_year = Q(month__gte=year_start.date())
    is_open = Q(status__in=Sheet.OPEN_STATUSES)
    rows: Any = (
        SheetMonth.objects.order_by()
        .filter(district=district)
        .filter(this_year | is_open)
        .values("status")
        .annotate(
            count=Coalesce(Sum("n", filter=this_year), 0),
            open=Coalesce(Sum("n", filter=is_open), 0),
        )
    )
    counts: dict[str, Any] = {r["status"]: r for r in rows}
    overdue = Sheet.objects.filter(
        case__district=district, next_due_at__isnull=False, next_due_at__lte=now
    ).count()
    sheets_by_status = [
        {"status": value, "label": label, "count": counts.get(value, {}).get("count", 0)}
        for value, label in Status.choices
    ]
    return {
        "district": district,
        "as_of": now,
        "fiscal_year_start": year_start,
        "open_cases": totals["open_cases"],
        "multi_field_open_cases": totals["multi_field"],
        "cases_by_field": by_field,
        "sheets_by_status": sheets_by_status,
        "open_sheets": sum(r["open"] for r in counts.values()),
        "overdue_sheets": overdue,
    }
