"""Insight: figures over consultations and hand-offs, aggregated in the database.

Every figure is a GROUP BY query; Python only reshapes the few grouped rows (a handful of
districts, agencies, fields, months). What a viewer may count is decided in one place per model:
`insight_case_filter(scope)` and `insight_sheet_filter(scope)`.

Failure-mode metrics live in `cases/insight_failures.py`, charts in `cases/insight_svg.py`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.db.models import Count, Q
from django.utils import timezone

from areas.models import Area
from areas.scope import Scope
from tsumugi.lib.dates import BusinessCalendar, fiscal_year, local_date

from .models import Case

NOTHING = Q(pk__in=[])


# --- who may count what ------------------------------------------------------------------------


def insight_case_filter(scope: Scope) -> Q | None:
    """Cases a viewer may count: the city for the coordination office (None: no filter at all,
    so the planner keeps its plain index scans), their districts for a coordinator, the cases
    received by their agencies for a supervisor."""
    if scope.city_wide:
        return None
    q = NOTHING
    if scope.supervisor_agency_ids:
        q |= Q(agency_id__in=sorted(scope.supervisor_agency_ids))
    if scope.coordinator_district_ids:
        q |= Q(district_id__in=sorted(scope.coordinator_district_ids))
    return q


def insight_sheet_filter(scope: Scope, case_prefix: str = "case__") -> Q | None:
    """Sheets a viewer may count: all for the city office, their districts' sheets for a
    coordinator, sheets to or from their agencies for a supervisor."""
    if scope.city_wide:
        return None
    q = NOTHING
    if scope.supervisor_agency_ids:
        ids = sorted(scope.supervisor_agency_ids)
        q |= Q(sender_agency_id__in=ids) | Q(receiver_agency_id__in=ids)
    if scope.coordinator_district_ids:
        q |= Q(**{f"{case_prefix}district_id__in": sorted(scope.coordinator_district_ids)})
    return q


def scoped(queryset: Any, q: Q | None) -> Any:
    return queryset if q is None else queryset.filter(q)


# --- periods -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    """Local (Asia/Tokyo) dates, both ends included."""

    start: date
    end: date

    @classmethod
    def fiscal(cls, year: int) -> Period:
        return cls(date(year, 4, 1), date(year + 1, 3, 31))

    @property
    def start_at(self) -> datetime:
        return _local_midnight(self.start)

    @property
    def end_before(self) -> datetime:
        return _local_midnight(self.end + timedelta(days=1))

    def months(self) -> list[date]:
        months, day = [], self.start.replace(day=1)
        while day <= self.end:
            months.append(day)
            day = (day + timedelta(days=32)).replace(day=1)
        return months


def _local_midnight(day: date) -> datetime:
    from tsumugi.lib.dates import TOKYO

    return datetime(day.year, day.month, day.day, tzinfo=TOKYO)


def current_fiscal_year(now: datetime | None = None) -> int:
    return fiscal_year(local_date(now or timezone.now()))


# --- business-day cut-offs ---------------------------------------------------------------------


def quiet_since_cutoff(calendar: BusinessCalendar, today: date, n: int) -> datetime:
    """The first moment that is *not* yet n business days ago.

    Something that last happened on local day D has been quiet for n business days when
    `calendar.business_days_between(D, today) >= n`. The latest such D is found by walking back
    over n business days; everything strictly before the next local midnight qualifies. So one
    indexed `< cutoff` comparison in SQL replaces a per-row business-day count.
    """
    day, counted = today, 0
    while counted < n:
        if calendar.is_business_day(day):
            counted += 1
        day -= timedelta(days=1)
    return _local_midnight(day + timedelta(days=1))


# --- the district figures (also used by the meeting packet) ------------------------------------


def district_figures(district: Area, now: datetime | None = None) -> dict[str, Any]:
    """One district at a glance: open cases by issue field, sheets by status. Three queries.

    Not scoped to a viewer: callers (the 地区カルテ, a district meeting's packet) have already
    checked that the reader covers the district. Counts only, never personal data.
    """
    from sheets.models import Sheet, Status

    now = now or timezone.now()
    open_cases = Case.objects.filter(district=district, status=Case.Status.OPEN)
    # 1. open cases and multi-field open cases
    totals = open_cases.aggregate(
        open_cases=Count("pk"), multi_field=Count("pk", filter=Q(field_count__gte=2))
    )
    # 2. open cases by issue field (a case with two tags in one field counts once there)
    by_field = list(
        Case.tags.through.objects.filter(case__in=open_cases)
        .values("issuetag__field_id", "issuetag__field__name", "issuetag__field__order")
        .annotate(count=Count("case_id", distinct=True))
        .order_by("issuetag__field__order", "issuetag__field_id")
    )
    # 3. sheets of the district's cases by status, with the overdue ones among the open
    rows = (
        Sheet.objects.filter(case__district=district)
        .values("status")
        .annotate(count=Count("pk"), overdue=Count("pk", filter=Q(next_due_at__lte=now)))
    )
    counts = {r["status"]: r for r in rows}
    sheets_by_status = [
        {"status": value, "label": label, "count": counts.get(value, {}).get("count", 0)}
        for value, label in Status.choices
    ]
    return {
        "district": district,
        "as_of": now,
        "open_cases": totals["open_cases"],
        "multi_field_open_cases": totals["multi_field"],
        "cases_by_field": [
            {
                "field_id": r["issuetag__field_id"],
                "field": r["issuetag__field__name"],
                "count": r["count"],
            }
            for r in by_field
        ],
        "sheets_by_status": sheets_by_status,
        "open_sheets": sum(counts.get(s, {}).get("count", 0) for s in Sheet.OPEN_STATUSES),
        "overdue_sheets": sum(r["overdue"] for r in counts.values()),
    }
