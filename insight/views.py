"""Insight pages: figures, failure modes, 地区カルテ, indicators, and their CSV downloads (asked
for here, rendered by the worker: insight/exports.py).

Only supervisors, coordinators and the coordination office reach these pages; anyone else gets
a 404, as for a guessed URL. Every figure is computed by `insight/*` within the viewer's
scope.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.db.models import Prefetch
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone

from areas.calendar import business_calendar
from areas.models import Area, Body, RosterEntry
from areas.scope import Scope, scope_of
from cases.audit import record_accesses
from meetings.models import ActionItem, Meeting
from reminders.exports import request_export
from sheets.district import district_figures
from sheets.models import Sheet
from tsumugi.lib.lookups import plain_id
from tsumugi.lib.reauth import reauthentication_required

from . import exports, svg
from .failures import Clock, drill_down, failure_counts, mode_by_code
from .figures import (
    Names,
    Period,
    consultation_figures,
    district_months,
)
from .forms import FiguresFilterForm, TargetsForm, TargetYearForm, YearForm
from .health import handoff_health, indicators
from .results import (
    INDICATORS,
    ResultTable,
    cycle_figures,
    results,
    set_targets,
    targets_for,
)

View = Callable[..., HttpResponse]
KARTE_SHEET_LIMIT = 100


def insight_required(view: View) -> View:
    @login_required
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not scope_of(request.user).sees_insight:
            raise Http404("分析を見る権限がありません。")
        return view(request, *args, **kwargs)

    return wrapped


def covered_districts(scope: Scope) -> list[Area]:
    return list(Area.objects.districts().filter(pk__in=sorted(scope.coordinator_district_ids)))


@insight_required
def figures(request: HttpRequest) -> HttpResponse:
    scope = scope_of(request.user)
    form = FiguresFilterForm(request.GET or None)
    filters = form.filters()
    names = Names.load()
    figs = consultation_figures(scope, filters, names)
    health = handoff_health(scope, filters, business_calendar(), timezone.now(), names)
    return render(
        request,
        "insight/figures.html",
        {
            "form": form,
            "filters": filters,
            "figures": figs,
            "health": health,
            "charts": figures_charts(figs),
            "karte_districts": covered_districts(scope),
            "csv_query": request.GET.urlencode(),
        },
    )


def figures_charts(figs: dict[str, Any]) -> dict[str, Any]:
    by_district = figs["by_district_month"].rows_with_totals()
    by_field = figs["by_field_district"].rows_with_totals()
    return {
        "months": svg.column_chart(
            chart_id="chart-months",
            title="月ごとの相談件数",
            desc="月ごとの相談件数の棒グラフ。数値は下の表「地区×月の相談件数」と同じです。",
            labels=[f"{m.month}月" for m in figs["months"]],
            values=figs["month_totals"],
        ),
        "fields": svg.bar_chart(
            chart_id="chart-fields",
            title="分野ごとの相談件数",
            desc="分野ごとの相談件数の横棒グラフ。1件の相談が複数の分野に数えられます。",
            labels=[r[0] for r in by_field],
            values=[r[2] for r in by_field],
        ),
        "districts": svg.bar_chart(
            chart_id="chart-districts",
            title="地区ごとの相談件数",
            desc="地区ごとの相談件数の横棒グラフ。",
            labels=[r[0] for r in by_district],
            values=[r[2] for r in by_district],
        ),
    }


def ask_export(request: HttpRequest, kind: str, params: dict[str, Any]) -> HttpResponse:
    """The worker renders the file; the person waits on its page (reminders/exports.py)."""
    export = request_export(request.user.pk, kind, params)
    return redirect("exports:detail", export.pk)


def refused_filters(request: HttpRequest, page: str) -> HttpResponse:
    # The page shows why the filters are refused; nothing is asked of the worker.
    return redirect(f"{reverse(page)}?{request.GET.urlencode()}")


@insight_required
@reauthentication_required
def figures_csv(request: HttpRequest) -> HttpResponse:
    form = FiguresFilterForm(request.GET or None)
    if form.is_bound and not form.is_valid():
        return refused_filters(request, "insight:figures")
    return ask_export(request, exports.FiguresCsv.name, exports.filters_params(form.filters()))


def int_param(request: HttpRequest, name: str) -> int | None:
    value = request.GET.get(name, "")
    return int(value) if value.isascii() and value.isdigit() and len(value) < 12 else None


@insight_required
@transaction.atomic
def failures(request: HttpRequest) -> HttpResponse:
    scope = scope_of(request.user)
    clock = Clock.at(business_calendar(), timezone.now())
    mode = mode_by_code(request.GET.get("mode", ""))
    agency_id = int_param(request, "agency")
    district_id = None if agency_id else int_param(request, "district")
    detail = drill_down(request.user, scope, clock, mode, agency_id, district_id) if mode else None
    if detail is not None:
        # A row with a resident's name is a read of that case: recorded with the page.
        record_accesses(request, detail.named_cases, "連携のつまずきの一覧")
    names = Names.load()
    counts = failure_counts(scope, clock, names)
    tables = [
        ("機関ごとのつまずき", counts.agency_table, "機関", "agency"),
        ("地区ごとのつまずき", counts.district_table, "地区", "district"),
    ]
    return render(
        request,
        "insight/failures.html",
        {
            "counts": counts,
            "tables": tables,
            "detail": detail,
            "detail_filter": (names.agency(agency_id) if agency_id else names.district(district_id))
            if agency_id or district_id
            else "",
            "clock": clock,
            "karte_districts": covered_districts(scope),
        },
    )


@insight_required
def karte(request: HttpRequest, key: str) -> HttpResponse:
    pk = plain_id(key)
    lookup = {"pk": pk} if pk is not None else {"code": key}
    district = get_object_or_404(Area.objects.districts(), **lookup)
    scope = scope_of(request.user)
    if not scope.covers_district(district.pk):
        raise Http404("この地区のカルテは見られません。")
    now = timezone.now()
    year = Period.fiscal(YearForm(request.GET or None).year_or_default())
    return render(
        request,
        "insight/karte.html",
        {
            "district": district,
            "now": now,
            "period": year,
            "year_form": YearForm(request.GET or None),
            "karte_districts": covered_districts(scope),
            **karte_context(request, district, year, now),
        },
    )


def karte_context(request: HttpRequest, district: Area, year: Period, now: Any) -> dict[str, Any]:
    figs = district_figures(district, now)
    months = district_months(district, year)
    open_sheets = list(
        Sheet.objects.filter(
            case__district=district, status__in=Sheet.OPEN_STATUSES, next_due_at__isnull=False
        )
        .select_related("case", "sender_agency", "receiver_agency", "assignee")
        .defer("request", "shared_info", "sender_continuing", "case__summary")
        .order_by("next_due_at", "pk")[:KARTE_SHEET_LIMIT]
    )
    visible_meetings = Meeting.objects.visible_to(request.user).filter(body__area=district)
    roster = RosterEntry.objects.select_related("membership__user", "membership__agency")
    return {
        "figures": figs,
        "month_chart": svg.column_chart(
            chart_id="chart-karte-months",
            title=f"{district.name}の月ごとの相談件数",
            desc="受付月ごとの相談件数。数値は下の表と同じです。",
            labels=[f"{m.month}月" for m, _ in months],
            values=[n for _, n in months],
        ),
        "field_chart": svg.bar_chart(
            chart_id="chart-karte-fields",
            title=f"{district.name}の対応中の相談（分野別）",
            desc="対応中の相談を分野ごとに数えた横棒グラフ。数値は右の表と同じです。",
            labels=[r["field"] for r in figs["cases_by_field"]],
            values=[r["count"] for r in figs["cases_by_field"]],
            width=440,
        ),
        "months": months,
        "overdue_sheets": [s for s in open_sheets if s.is_overdue(now)],
        "open_sheets": [s for s in open_sheets if not s.is_overdue(now)],
        "sheet_limit": KARTE_SHEET_LIMIT,
        "agencies": list(district.agencies.active().order_by("kind", "name")),
        "bodies": list(
            Body.objects.filter(area=district).prefetch_related(Prefetch("roster", roster))
        ),
        "meetings": list(visible_meetings.select_related("body").order_by("-date")[:5]),
        "action_items": list(
            ActionItem.objects.open()
            .filter(item__meeting__in=visible_meetings)
            .select_related("owner_agency", "owner_user", "item__meeting__body")
            .order_by("due_at", "pk")[:50]
        ),
    }


@insight_required
def indicators_page(request: HttpRequest) -> HttpResponse:
    form = YearForm(request.GET or None)
    year = form.year_or_default()
    table = indicators(scope_of(request.user), year)
    return render(
        request,
        "insight/indicators.html",
        {
            "form": form,
            "year": year,
            "table": table,
            "csv_query": request.GET.urlencode(),
            "karte_districts": covered_districts(scope_of(request.user)),
        },
    )


def year_export(request: HttpRequest, kind: str, page: str) -> HttpResponse:
    form = YearForm(request.GET or None)
    if form.is_bound and not form.is_valid():
        return refused_filters(request, page)
    return ask_export(request, kind, {"year": form.year_or_default()})


@insight_required
@reauthentication_required
def indicators_csv(request: HttpRequest) -> HttpResponse:
    return year_export(request, exports.IndicatorsCsv.name, "insight:indicators")


# --- 事業別の実績と目標 ---------------------------------------------------------------------------


def results_chart(table: ResultTable) -> Any:
    return svg.target_chart(
        chart_id="chart-results",
        title=f"{table.title}（達成率）",
        desc="指標ごとの実績÷目標の横棒グラフ。破線が目標（100%）。数値は下の表と同じです。",
        labels=[r.indicator.label for r in table.rows],
        actuals=[r.actual for r in table.rows],
        targets=[r.target for r in table.rows],
    )


@insight_required
def results_page(request: HttpRequest) -> HttpResponse:
    scope = scope_of(request.user)
    form = YearForm(request.GET or None)
    year = form.year_or_default()
    table = results(scope, year)
    return render(
        request,
        "insight/results.html",
        {
            "form": form,
            "table": table,
            "chart": results_chart(table),
            "cycle": cycle_figures(scope, year, timezone.now()),
            "may_set_targets": scope.city_wide,
            "export_query": request.GET.urlencode(),
            "karte_districts": covered_districts(scope),
        },
    )


@insight_required
@reauthentication_required
def results_csv(request: HttpRequest) -> HttpResponse:
    return year_export(request, exports.ResultsCsv.name, "insight:results")


@insight_required
@reauthentication_required
def results_xlsx(request: HttpRequest) -> HttpResponse:
    return year_export(request, exports.ResultsXlsx.name, "insight:results")


@insight_required
def targets(request: HttpRequest) -> HttpResponse:
    """The city's targets for a year: the coordination office (くらし連携支援室) only."""
    if not scope_of(request.user).city_wide:
        raise Http404("目標値を入力する権限がありません。")
    year_form = TargetYearForm(request.POST or request.GET or None)
    year = year_form.year_or_default()
    if request.method == "POST":
        form = TargetsForm(request.POST, indicators=INDICATORS)
        if form.is_valid():
            changed = set_targets(year, form.cleaned_data, by=request.user, now=timezone.now())
            messages.success(request, f"{year}年度の目標値を保存しました（変更 {changed} 件）。")
            return redirect(f"{request.path}?year={year}")
    else:
        form = TargetsForm(initial=targets_for(year), indicators=INDICATORS)
    return render(
        request,
        "insight/targets.html",
        {"year_form": year_form, "year": year, "form": form},
        status=400 if request.method == "POST" else 200,
    )
