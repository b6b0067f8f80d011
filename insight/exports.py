"""The insight downloads as export kinds the worker renders (reminders/exports.py).

The request validates the filters and stores them as JSON; the worker computes the file for the
scope of the person who asked, as it stands when it runs: the same rows, the same bytes as the
download the request used to render (UTF-8 with BOM, formula guard; xlsx through the same guard).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.urls import reverse

from areas.calendar import business_calendar
from areas.scope import Scope, scope_of
from reminders.exports import ExportKind, ExportRefused, Rendered, register

from .csvexport import CSV_TYPE, csv_bytes
from .figures import Filters, Names, Period, consultation_figures, figures_csv_rows, table_rows
from .health import handoff_health, indicators
from .results import cycle_figures, result_sheet_rows, results
from .xlsx import XLSX_TYPE, xlsx_bytes

SCOPE_NOTE = (
    "依頼した方の分析の範囲（担当する地区・機関）で、作成する時点の件数を書き出します。"
    "個人を特定できる情報は含みません。"
)


def insight_scope(user: Any) -> Scope:
    scope = scope_of(user)
    if not scope.sees_insight:
        raise ExportRefused("分析を見る権限がなくなりました。")
    return scope


def filters_params(filters: Filters) -> dict[str, Any]:
    return {
        "start": filters.period.start.isoformat(),
        "end": filters.period.end.isoformat(),
        "district": filters.district_id,
        "agency": filters.agency_id,
    }


def filters_of(params: dict[str, Any]) -> Filters:
    period = Period(date.fromisoformat(params["start"]), date.fromisoformat(params["end"]))
    return Filters(period, district_id=params["district"], agency_id=params["agency"])


class FiguresCsv(ExportKind):
    name = "insight.figures_csv"
    label = "相談の集計（CSV）"
    scope_note = SCOPE_NOTE

    def render(self, user: Any, params: dict[str, Any], now: datetime) -> Rendered:
        scope = insight_scope(user)
        filters = filters_of(params)
        names = Names.load()
        figs = consultation_figures(scope, filters, names)
        health = handoff_health(scope, filters, business_calendar(), now, names)
        period = filters.period
        return Rendered(
            csv_bytes(figures_csv_rows(figs, health, filters)),
            f"相談の集計_{period.start:%Y%m%d}-{period.end:%Y%m%d}.csv",
            CSV_TYPE,
        )

    def back_url(self, params: dict[str, Any]) -> str:
        return reverse("insight:figures")


class IndicatorsCsv(ExportKind):
    name = "insight.indicators_csv"
    label = "重層的支援体制整備事業の指標（CSV）"
    scope_note = SCOPE_NOTE

    def render(self, user: Any, params: dict[str, Any], now: datetime) -> Rendered:
        year = int(params["year"])
        table = indicators(insight_scope(user), year)
        return Rendered(
            csv_bytes(table_rows(table)), f"重層的支援体制整備事業_指標_{year}年度.csv", CSV_TYPE
        )

    def back_url(self, params: dict[str, Any]) -> str:
        return f"{reverse('insight:indicators')}?year={int(params['year'])}"


def result_rows(user: Any, year: int, now: datetime) -> list[list[object]]:
    scope = insight_scope(user)
    return result_sheet_rows(results(scope, year), cycle_figures(scope, year, now), now)


class ResultsCsv(ExportKind):
    name = "insight.results_csv"
    label = "事業別の実績（CSV）"
    scope_note = SCOPE_NOTE

    def render(self, user: Any, params: dict[str, Any], now: datetime) -> Rendered:
        year = int(params["year"])
        rows = result_rows(user, year, now)
        return Rendered(csv_bytes(rows), f"事業別実績_{year}年度.csv", CSV_TYPE)

    def back_url(self, params: dict[str, Any]) -> str:
        return f"{reverse('insight:results')}?year={int(params['year'])}"


class ResultsXlsx(ResultsCsv):
    name = "insight.results_xlsx"
    label = "事業別の実績（Excel）"

    def render(self, user: Any, params: dict[str, Any], now: datetime) -> Rendered:
        year = int(params["year"])
        rows = result_rows(user, year, now)
        return Rendered(
            xlsx_bytes(f"{year}年度 事業別実績", rows), f"事業別実績_{year}年度.xlsx", XLSX_TYPE
        )


def register_kinds() -> None:
    for kind in (FiguresCsv(), IndicatorsCsv(), ResultsCsv(), ResultsXlsx()):
        register(kind)
