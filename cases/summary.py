"""The monthly case summaries (CaseMonth, CaseFieldMonth, CaseTagMonth), kept exact.

Why recompute a slice rather than add and subtract one: a case write changes up to three
summaries at once (its month row, one row per field, one per tag), and an edit can move a case
to another district or month or change its tags. Rewriting the (month, district) slices a write
touched — the old one and the new one — from the cases themselves is a DELETE and a grouped
SELECT per table over a few hundred cases (index case_district_received), correct whatever
changed. It runs in the writer's transaction, so no reader ever sees a summary that disagrees
with the cases. Writers of one district take turns (a row lock on the district, in key order so
two of them cannot deadlock): each rewrite then reads the cases the other one committed.

`rebuild()` recomputes everything (the migration that made the tables; bench data written with
SQL); `refresh(keys)` recomputes the slices a write touched.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta
from typing import Any

from django.db import models, transaction
from django.db.models import Count, ExpressionWrapper, Q
from django.db.models.functions import TruncMonth

from areas.models import Area
from tsumugi.lib.dates import TOKYO

from .models import Case, CaseFieldMonth, CaseMonth, CaseTagMonth

Key = tuple[date, int]  # (local month, district id): cases.models.slice_of
SUMMARIES = (CaseMonth, CaseFieldMonth, CaseTagMonth)


def slices_changed(sender: type, keys: Iterable[Key], **kwargs: Any) -> None:
    """Receiver of cases.models.counted_slices_changed."""
    refresh(keys)


def month_start(month: date) -> datetime:
    return datetime(month.year, month.month, 1, tzinfo=TOKYO)


def next_month(month: date) -> date:
    return (month + timedelta(days=32)).replace(day=1)


def refresh(keys: Iterable[Key]) -> None:
    """Rewrite the summary rows of these (month, district) slices from the cases."""
    with transaction.atomic():
        for month, district_id in sorted(set(keys)):
            # the district's writers take turns (see the module docstring)
            list(Area.objects.select_for_update().filter(pk=district_id).values_list("pk"))
            for model in SUMMARIES:
                model.objects.filter(month=month, district_id=district_id).delete()
            window = {
                "district_id": district_id,
                "received_at__gte": month_start(month),
                "received_at__lt": month_start(next_month(month)),
            }
            _write(window, month)


def rebuild(models_of: Any = None) -> None:
    """Recompute every summary row from the cases (three grouped scans). `models_of`: the
    migration's historical app registry (migrations/0006), else the current models."""
    case, summaries = Case, SUMMARIES
    if models_of is not None:
        case = models_of.get_model("cases", "Case")
        summaries = tuple(models_of.get_model("cases", m.__name__) for m in SUMMARIES)
    with transaction.atomic():
        for model in summaries:
            model.objects.all().delete()
        _write({}, None, case, summaries)


def _write(
    window: dict[str, Any], month: date | None, case: Any = Case, summaries: Any = SUMMARIES
) -> None:
    """Insert the grouped counts of the cases in `window` (all in `month` when it is given;
    otherwise grouped by their local month)."""
    case_month, field_month, tag_month = summaries
    cases: Any = case.objects.order_by().filter(**window)
    tags: Any = case.tags.through.objects.order_by().filter(
        **{f"case__{k}": v for k, v in window.items()}
    )
    keys, tag_keys = ["district_id", "agency_id"], ["case__district_id", "case__agency_id"]
    # (migrations/0006 rebuilds with models from before the municipality key)
    keyed = any(f.name == "municipality" for f in case._meta.fields)
    if keyed:
        keys, tag_keys = ["municipality_id", *keys], ["case__municipality_id", *tag_keys]

    def key_of(row: dict[str, Any], prefix: str = "") -> dict[str, Any]:
        return {"municipality_id": row[f"{prefix}municipality_id"]} if keyed else {}

    if month is None:
        cases = cases.annotate(m=TruncMonth("received_at", tzinfo=TOKYO))
        tags = tags.annotate(m=TruncMonth("case__received_at", tzinfo=TOKYO))
        keys, tag_keys = ["m", *keys], ["m", *tag_keys]

    def month_of(row: dict[str, Any]) -> date:
        if month is not None:
            return month
        value = row["m"]
        return value.astimezone(TOKYO).date() if isinstance(value, datetime) else value

    multi = ExpressionWrapper(Q(field_count__gte=2), output_field=models.BooleanField())
    case_month.objects.bulk_create(
        case_month(
            **key_of(r),
            month=month_of(r),
            district_id=r["district_id"],
            agency_id=r["agency_id"],
            channel=r["channel"],
            multi_field=r["multi"],
            n=r["n"],
        )
        for r in cases.annotate(multi=multi)
        .values(*keys, "channel", "multi")
        .annotate(n=Count("pk"))
    )
    field_month.objects.bulk_create(
        field_month(
            **key_of(r, "case__"),
            month=month_of(r),
            district_id=r["case__district_id"],
            agency_id=r["case__agency_id"],
            field_id=r["issuetag__field_id"],
            n=r["n"],
        )
        for r in tags.values(*tag_keys, "issuetag__field_id").annotate(
            n=Count("case_id", distinct=True)
        )
    )
    tag_month.objects.bulk_create(
        tag_month(
            **key_of(r, "case__"),
            month=month_of(r),
            district_id=r["case__district_id"],
            agency_id=r["case__agency_id"],
            tag_id=r["issuetag_id"],
            n=r["n"],
        )
        for r in tags.values(*tag_keys, "issuetag_id").annotate(n=Count("case_id"))
    )
