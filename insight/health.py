"""Hand-off health and the 重層的支援体制整備事業 indicators (GROUP BY queries over sheets)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db.models import Count, F, Max, Min, OuterRef, Q, Subquery, Sum
from django.db.models.functions import Coalesce, TruncDate

from areas.models import Area
from areas.scope import Scope
from cases.models import CaseMonth
from sheets.models import Handover, MultiAgencyCaseMonth, Sheet, SheetLagMonth, SheetMonth, Status
from tsumugi.lib.dates import TOKYO, BusinessCalendar, format_fiscal_year, local_date

from .figures import (
    OUTSIDE_LABEL,
    Filters,
    Names,
    Period,
    Table,
    cross_table,
    filtered_cases,
    filtered_sheets,
    insight_case_filter,
    insight_sheet_filter,
    local_day,
    narrow_sheets,
    scoped,
    sheet_summary,
)

# --- 2. hand-off health ------------------------------------------------------------------------


def _business_ordinals(calendar: BusinessCalendar, days: set[date]) -> dict[date, int]:
    """Business-day ordinal of each day: business days between a and b = ord[b] - ord[a].

    One pass over the calendar between the earliest and the latest day, so converting thousands
    of (sent, acknowledged) date pairs costs one calendar walk, not one per pair.
    """
    if not days:
        return {}
    first, last = min(days), max(days)
    ordinals, count, day = {}, 0, first
    while day <= last:
        if day != first and calendar.is_business_day(day):
            count += 1
        ordinals[day] = count
        day += timedelta(days=1)
    return ordinals


def weighted_percentile(values: list[tuple[int, int]], p: float) -> int | None:
    """Nearest-rank percentile of (value, how many) pairs."""
    total = sum(n for _, n in values)
    if not total:
        return None
    rank = max(1, math.ceil(p * total - 1e-9))
    seen = 0
    for value, n in sorted(values):
        seen += n
        if seen >= rank:
            return value
    return sorted(values)[-1][0]


def _durations(calendar: BusinessCalendar, pairs: list[dict[str, Any]]) -> dict[str, int | None]:
    rows = [(local_day(r["start"]), local_day(r["end"]), r["n"]) for r in pairs]
    ordinals = _business_ordinals(calendar, {d for s, e, _ in rows for d in (s, e)})
    return _spread([(max(ordinals[e] - ordinals[s], 0), n) for s, e, n in rows])


def _spread(values: list[tuple[int, int]]) -> dict[str, int | None]:
    """Count, median and 90th percentile of (business days, how many) pairs."""
    return {
        "count": sum(n for _, n in values),
        "median": weighted_percentile(values, 0.5),
        "p90": weighted_percentile(values, 0.9),
    }


def ladder_cutoffs(calendar: BusinessCalendar, now: datetime) -> list[tuple[int, datetime]]:
    """For each step of the escalation ladder, the latest due time that has reached it.

    Step 1 at the due time, step 2 and 3 a number of business days after it (DESIGN.md); a due
    time is the end of a business day, so the step of a sheet follows from its due time alone.
    """

    steps = [
        (1, 0),
        (2, settings.ESCALATE_SUPERVISORS_AFTER_DAYS),
        (3, settings.ESCALATE_COORDINATORS_AFTER_DAYS),
    ]
    cutoffs = []
    for step, days in steps:
        day = local_date(now)
        while not (
            calendar.is_business_day(day)
            and calendar.shift_business_days(calendar.end_of_day(day), days) <= now
        ):
            day -= timedelta(days=1)
        cutoffs.append((step, calendar.end_of_day(day)))
    return cutoffs


def receiving(row: Mapping[str, Any], names: Names) -> dict[str, Any]:
    """The row key and label of the receiving side: the agency, or one row for every hand-off
    outside tsumugi (they are counted apart: nobody there answers in the system)."""
    if row["handover"] != Handover.SYSTEM:
        return {"receiving_key": "outside", "receiver_agency__name": OUTSIDE_LABEL}
    pk = row["receiver_agency_id"]
    return {"receiving_key": pk, "receiver_agency__name": names.agency(pk)}


def receiving_order(row: dict[str, Any]) -> tuple[bool, str]:
    return (row["receiving_key"] == "outside", row["receiver_agency__name"])


def handoff_health(
    scope: Scope,
    filters: Filters,
    calendar: BusinessCalendar,
    now: datetime,
    names: Names,
    *,
    use_summary: bool = True,
) -> dict[str, Any]:
    """Three GROUP BY queries over the monthly sheet summaries (sheets/summary.py) and one over
    the open sheets; where the summaries cannot count what the viewer may (by agency, or a
    period that is not whole months: insight_sheet_summary_filter), four over the sheets. Both
    give the same figures (tests compare them).

    Percentiles: the lag summary counts sheets by business days to 受理 / 終結. Over the sheets,
    SQL groups them by (local sent date, local acknowledged/closed date); Python turns each
    distinct pair into business days with the office calendar and takes the weighted
    percentile. Distinct pairs are bounded by days × days, never by the number of sheets.
    """

    sheets = filtered_sheets(scope, filters)
    months = sheet_summary(SheetMonth.objects.order_by(), scope, filters) if use_summary else None
    grouped: Any
    if months is not None:
        grouped = (
            {
                "receiver_agency_id": r["receiver"] or None,
                "case__district_id": r["district_id"],
                "status": r["status"],
                "handover": r["handover"],
                "n": r["total"],
            }
            for r in months.values("receiver", "district_id", "status", "handover").annotate(
                total=Sum("n")
            )
        )
    else:
        grouped = sheets.values(
            "receiver_agency_id", "case__district_id", "status", "handover"
        ).annotate(n=Count("pk"))
    # 1. sheets by receiving agency × district × status; hand-offs outside tsumugi (電話・FAX・
    # 手渡し) are one row of their own, whoever received them
    rows: list[Any] = [
        {
            **r,
            **receiving(r, names),
            "case__district__name": names.district(r["case__district_id"]),
            "case__district__order": names.district_order(r["case__district_id"]),
        }
        for r in grouped
    ]
    statuses = [value for value, _ in Status.choices]
    status_labels = [label for _, label in Status.choices]
    by_agency = cross_table(
        "受け手の機関ごとのシート",
        "送付先機関",
        sorted(rows, key=receiving_order),
        "receiving_key",
        "receiver_agency__name",
        statuses,
        status_labels,
        "status",
    )
    by_district = cross_table(
        "地区ごとのシート",
        "地区",
        sorted(rows, key=lambda r: r["case__district__order"]),
        "case__district_id",
        "case__district__name",
        statuses,
        status_labels,
        "status",
    )
    # 2. business days to 受理 and to 終結: from the lag summary (one query), or from the
    # sheets' (sent day, acknowledged day) and (sent day, closed day) pairs (two)
    lags = sheet_summary(SheetLagMonth.objects.order_by(), scope, filters) if use_summary else None
    if lags is not None:
        spread: dict[str, list[tuple[int, int]]] = {"ack": [], "close": []}
        for r in lags.values("kind", "days").annotate(total=Sum("n")):
            spread[r["kind"]].append((r["days"], r["total"]))
        ack, close = _spread(spread["ack"]), _spread(spread["close"])
    else:
        ack_pairs: list[Any] = list(
            sheets.filter(acknowledged_at__isnull=False)
            .values(
                start=TruncDate("sent_at", tzinfo=TOKYO),
                end=TruncDate("acknowledged_at", tzinfo=TOKYO),
            )
            .annotate(n=Count("pk"))
        )
        close_pairs: list[Any] = list(
            sheets.filter(status=Status.CLOSED)
            .values(
                start=TruncDate("sent_at", tzinfo=TOKYO), end=TruncDate("ended_at", tzinfo=TOKYO)
            )
            .annotate(n=Count("pk"))
        )
        ack, close = _durations(calendar, ack_pairs), _durations(calendar, close_pairs)
    # 4. open sheets overdue now, by receiving agency and ladder step (whatever the period)
    cutoffs = ladder_cutoffs(calendar, now)
    overdue_qs = narrow_sheets(
        scoped(Sheet.objects.order_by(), insight_sheet_filter(scope)), filters
    ).filter(status__in=Sheet.OPEN_STATUSES, next_due_at__lte=now)
    overdue_rows: list[Any] = sorted(
        (
            {**r, **receiving(r, names)}
            for r in overdue_qs.values("receiver_agency_id", "handover").annotate(
                **{f"s{step}": Count("pk", filter=Q(next_due_at__lte=cut)) for step, cut in cutoffs}
            )
        ),
        key=receiving_order,
    )
    # A sheet on step 3 has passed steps 1 and 2 too: show each sheet once, at its highest step.
    steps: dict[Any, tuple[str, list[int]]] = {}
    for r in overdue_rows:
        _, counts = steps.setdefault(r["receiving_key"], (r["receiver_agency__name"], [0, 0, 0]))
        for i, n in enumerate((r["s1"] - r["s2"], r["s2"] - r["s3"], r["s3"])):
            counts[i] += n
    overdue = list(steps.values())
    return {
        "by_agency": by_agency,
        "by_district": by_district,
        "ack": ack,
        "close": close,
        "overdue": Table(
            "期限切れ（督促の段階別）",
            "送付先機関",
            ["段階1 期限切れ", "段階2 責任者へ", "段階3 調整役へ"],
            overdue,
        ),
    }


# --- 5. indicators of the 重層的支援体制整備事業 -------------------------------------------------


INDICATOR_LABELS = [
    ("cases", "相談受付件数"),
    ("multi_field", "うち複数分野にわたる相談"),
    ("multi_agency", "多機関協働の事例数"),
    ("sheets", "関係機関間の情報連携（シート送付数）"),
    ("redirected", "うち転送（つなぎ直し）"),
    ("acknowledged", "うち受理されたもの"),
]


def indicators(scope: Scope, year: int, *, use_summary: bool = True) -> Table:
    """Four GROUP BY queries over the monthly summaries (three over cases and sheets where the
    sheet summary cannot count what the viewer may): the figures a municipality reports for
    one fiscal year.

    多機関協働の事例数 counts the cases received in the year that involve two or more fields, or
    whose sheets went to two or more distinct agencies.
    """

    filters = Filters(Period.fiscal(year))
    # 1. the districts, so every district has a column even with nothing to count
    districts = list(Area.objects.districts().values_list("id", "name"))
    if not use_summary:
        return _indicator_table(year, districts, *_indicators_counted(scope, filters))
    period = filters.period
    case_q = insight_case_filter(scope)
    # 2. cases by district (CaseMonth)  3. the cases of 多機関協働 with fewer than two fields
    case_rows: dict[Any, Any] = {
        r["district_id"]: r
        for r in scoped(CaseMonth.objects.order_by(), case_q)
        .filter(month__gte=period.start, month__lte=period.end)
        .values("district_id")
        .annotate(cases=Sum("n"), multi_field=Coalesce(Sum("n", filter=Q(multi_field=True)), 0))
    }
    for r in (
        scoped(MultiAgencyCaseMonth.objects.order_by(), case_q)
        .filter(month__gte=period.start, month__lte=period.end)
        .values("district_id")
        .annotate(n=Sum("n"))
    ):
        case_rows.setdefault(r["district_id"], {"cases": 0, "multi_field": 0})["more"] = r["n"]
    for r in case_rows.values():
        r["multi_agency"] = r["multi_field"] + r.get("more", 0)
    # 4. sheets sent in the year by district of their case
    months = sheet_summary(SheetMonth.objects.order_by(), scope, filters)
    if months is None:
        sheet_rows = _indicator_sheets_counted(scope, filters)
    else:
        sheet_rows = {
            r["district_id"]: r
            for r in months.values("district_id").annotate(
                sheets=Sum("n"),
                redirected=Coalesce(Sum("n", filter=Q(redirected=True)), 0),
                acknowledged=Coalesce(Sum("n", filter=Q(acknowledged=True)), 0),
            )
        }
    return _indicator_table(year, districts, case_rows, sheet_rows)


def _indicators_counted(scope: Scope, filters: Filters) -> tuple[dict[Any, Any], dict[Any, Any]]:
    """The indicators' case and sheet rows counted from the cases and sheets themselves."""
    cases = filtered_cases(scope, filters)
    # A case reached ≥ 2 distinct receiving agencies when the smallest and the largest receiver
    # of its sheets differ: two index-only probes per case (sheet_case), instead of
    # grouping every sheet of the table by case.
    receivers = Sheet.objects.filter(case_id=OuterRef("pk")).order_by().values("case_id")
    cases = cases.annotate(
        first_receiver=Subquery(receivers.annotate(m=Min("receiver_agency_id")).values("m")),
        last_receiver=Subquery(receivers.annotate(m=Max("receiver_agency_id")).values("m")),
    )
    case_rows: dict[Any, Any] = {
        r["district_id"]: r
        for r in cases.values("district_id").annotate(
            cases=Count("pk"),
            multi_field=Count("pk", filter=Q(field_count__gte=2)),
            multi_agency=Count(
                "pk", filter=Q(field_count__gte=2) | Q(first_receiver__lt=F("last_receiver"))
            ),
        )
    }
    return case_rows, _indicator_sheets_counted(scope, filters)


def _indicator_sheets_counted(scope: Scope, filters: Filters) -> dict[Any, Any]:
    return {
        r["case__district_id"]: r
        for r in filtered_sheets(scope, filters)
        .values("case__district_id")
        .annotate(
            sheets=Count("pk"),
            redirected=Count("pk", filter=Q(parent__isnull=False)),
            acknowledged=Count("pk", filter=Q(acknowledged_at__isnull=False)),
        )
    }


def _indicator_table(
    year: int,
    districts: list[tuple[int, str]],
    case_rows: dict[Any, Any],
    sheet_rows: dict[Any, Any],
) -> Table:
    rows = []
    for key, label in INDICATOR_LABELS:
        source = sheet_rows if key in {"sheets", "redirected", "acknowledged"} else case_rows
        rows.append((label, [source.get(pk, {}).get(key, 0) for pk, _ in districts]))
    return Table(
        f"{format_fiscal_year(year)}の指標",
        "指標",
        [name for _, name in districts],
        rows,
        # 相談件数 + シート枚数 + 転送 is no figure at all.
        rows_add_up=False,
    )
