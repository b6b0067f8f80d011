"""Insight: figures over consultations and hand-offs, aggregated in the database.

Every figure is a GROUP BY query; Python only reshapes the few grouped rows (a handful of
districts, agencies, fields, months). What a viewer may count is decided in one place per model:
`insight_case_filter`, `insight_sheet_filter` and `insight_action_item_filter` below.

Failure-mode metrics live in `insight/failures.py`, hand-off health and indicators in
`insight/health.py`, charts in `insight/svg.py`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.db.models import Count, Q, Sum
from django.db.models.functions import Coalesce, TruncMonth
from django.utils import timezone

from areas.models import Agency, Area, Field
from areas.scope import Scope
from cases.models import (
    Case,
    CaseFieldMonth,
    CaseMonth,
    CaseTag,
    CaseTagMonth,
    Channel,
    IssueTag,
    Person,
)
from sheets.models import Sheet
from tsumugi.lib.dates import TOKYO, fiscal_year, format_date, format_month, local_date

if TYPE_CHECKING:
    from django.db.models import QuerySet


NOTHING = Q(pk__in=[])
# insight_sheet_summary_filter's answer where the summaries cannot count what the viewer may
NOT_SUMMED = Q(pk__in=[-1])
# The receiving side of the hand-offs outside tsumugi (電話・FAX・手渡し), one row in the tables by
# agency: counted apart, since nobody there answers in the system.
OUTSIDE_LABEL = "システム外への引継ぎ"


# --- who may count what ------------------------------------------------------------------------


def insight_case_filter(scope: Scope, prefix: str = "") -> Q | None:
    """Cases a viewer may count: the city for the coordination office (None: no filter at all,
    so the planner keeps its plain index scans), their districts for a coordinator, the cases
    received by their agencies for a supervisor."""
    if scope.city_wide:
        return None
    q = NOTHING
    if scope.supervisor_agency_ids:
        q |= Q(**{f"{prefix}agency_id__in": sorted(scope.supervisor_agency_ids)})
    if scope.coordinator_district_ids:
        q |= Q(**{f"{prefix}district_id__in": sorted(scope.coordinator_district_ids)})
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


def insight_sheet_summary_filter(scope: Scope, filters: Filters | None) -> Q | None:
    """The same choice as insight_sheet_filter, on the sheet summaries (sheets.models
    SheetMonth, SheetLagMonth), or NOTHING_SUMMED when they cannot make it: they have no
    sender, so a viewer who counts by agency (a supervisor) and the 機関 filter count the
    sheets (insight_sheet_filter). A period that is not whole months does too."""
    if filters is not None and (filters.agency_id or not filters.period.is_whole_months):
        return NOT_SUMMED
    if scope.city_wide:
        return None
    if scope.supervisor_agency_ids:
        return NOT_SUMMED
    return Q(district_id__in=sorted(scope.coordinator_district_ids))


def sheet_summary[Q_T: QuerySet[Any]](queryset: Q_T, scope: Scope, filters: Filters) -> Q_T | None:
    """The summary rows a viewer may count for these filters, or None where the sheets must be
    counted instead (insight_sheet_summary_filter)."""
    q = insight_sheet_summary_filter(scope, filters)
    if q is NOT_SUMMED:
        return None
    period = filters.period
    qs = scoped(queryset, q).filter(month__gte=period.start, month__lte=period.end)
    if filters.district_id:
        qs = qs.filter(district_id=filters.district_id)
    return qs


def insight_action_item_filter(scope: Scope) -> Q | None:
    """Action items a viewer may count: all for the city office, those of their districts'
    bodies for a coordinator, those owned by their agencies for a supervisor."""
    if scope.city_wide:
        return None
    q = Q(pk__in=[])
    if scope.supervisor_agency_ids:
        q |= Q(owner_agency_id__in=sorted(scope.supervisor_agency_ids))
    if scope.coordinator_district_ids:
        q |= Q(item__meeting__body__area_id__in=sorted(scope.coordinator_district_ids))
    return q


def scoped[Q_T: QuerySet[Any]](queryset: Q_T, q: Q | None) -> Q_T:
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

    @property
    def is_whole_months(self) -> bool:
        """From a 1st to the last day of a month: the monthly summaries can count it."""
        return self.start.day == 1 and (self.end + timedelta(days=1)).day == 1

    def months(self) -> list[date]:
        months, day = [], self.start.replace(day=1)
        while day <= self.end:
            months.append(day)
            day = (day + timedelta(days=32)).replace(day=1)
        return months


def _local_midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=TOKYO)


def current_fiscal_year(now: datetime | None = None) -> int:
    return fiscal_year(local_date(now or timezone.now()))


def district_months(district: Area, period: Period) -> list[tuple[date, int]]:
    """Cases received in the district per month of the period (one GROUP BY query, over the
    monthly summary when the period is whole months)."""
    rows: Any
    if period.is_whole_months:
        rows = (
            CaseMonth.objects.order_by()
            .filter(district=district, month__gte=period.start, month__lte=period.end)
            .values("month")
            .annotate(total=Sum("n"))
        )
        counts = {r["month"]: r["total"] for r in rows}
        return [(m, counts.get(m, 0)) for m in period.months()]
    rows = (
        Case.objects.order_by()
        .filter(
            district=district,
            received_at__gte=period.start_at,
            received_at__lt=period.end_before,
        )
        .annotate(month=TruncMonth("received_at", tzinfo=TOKYO))
        .values("month")
        .annotate(n=Count("pk"))
    )
    counts = {local_month(r["month"]): r["n"] for r in rows}
    return [(m, counts.get(m, 0)) for m in period.months()]


# --- filters shared by the figures page, its CSV and the indicators ----------------------------


@dataclass(frozen=True)
class Filters:
    period: Period
    district_id: int | None = None
    agency_id: int | None = None


def filtered_cases(scope: Scope, filters: Filters) -> QuerySet[Case]:
    qs = scoped(Case.objects.order_by(), insight_case_filter(scope)).filter(
        received_at__gte=filters.period.start_at, received_at__lt=filters.period.end_before
    )
    if filters.district_id:
        qs = qs.filter(district_id=filters.district_id)
    if filters.agency_id:
        qs = qs.filter(agency_id=filters.agency_id)
    return qs


def _case_tags(scope: Scope, filters: Filters) -> QuerySet[Any]:
    """Rows of the case↔tag table for the cases `filtered_cases` would give (joined, not IN)."""
    through = CaseTag.objects.order_by()
    qs: QuerySet[Any] = scoped(through, insight_case_filter(scope, prefix="case__")).filter(
        case__received_at__gte=filters.period.start_at,
        case__received_at__lt=filters.period.end_before,
    )
    if filters.district_id:
        qs = qs.filter(case__district_id=filters.district_id)
    if filters.agency_id:
        qs = qs.filter(case__agency_id=filters.agency_id)
    return qs


def filtered_sheets(scope: Scope, filters: Filters | None) -> QuerySet[Sheet]:

    qs = scoped(Sheet.objects.order_by(), insight_sheet_filter(scope))
    if filters is None:
        return qs
    qs = qs.filter(sent_at__gte=filters.period.start_at, sent_at__lt=filters.period.end_before)
    return narrow_sheets(qs, filters)


def narrow_sheets(qs: QuerySet[Sheet], filters: Filters) -> QuerySet[Sheet]:
    if filters.district_id:
        qs = qs.filter(case__district_id=filters.district_id)
    if filters.agency_id:
        qs = qs.filter(
            Q(sender_agency_id=filters.agency_id) | Q(receiver_agency_id=filters.agency_id)
        )
    return qs


def local_month(value: datetime | date) -> date:
    if isinstance(value, datetime):
        return (value.astimezone(TOKYO) if value.tzinfo else value).date().replace(day=1)
    return value.replace(day=1)


def local_day(value: datetime | date) -> date:
    if isinstance(value, datetime):
        return (value.astimezone(TOKYO) if value.tzinfo else value).date()
    return value


@dataclass
class Table:
    """A cross table of counts: rows × columns, with totals; what templates and CSV both read."""

    title: str
    row_header: str
    columns: list[str]
    rows: list[tuple[str, list[int]]]
    # False where the rows count unlike things (the indicators: cases, sheets, redirects): each
    # row still has its total over the columns, but no 合計 row adds the rows up.
    rows_add_up: bool = True

    @property
    def column_totals(self) -> list[int]:
        return [sum(r[1][i] for r in self.rows) for i in range(len(self.columns))]

    @property
    def total(self) -> int:
        return sum(self.column_totals)

    def rows_with_totals(self) -> list[tuple[str, list[int], int]]:
        return [(label, cells, sum(cells)) for label, cells in self.rows]


def cross_table(
    title: str,
    row_header: str,
    rows: list[dict[str, Any]],
    row_key: str,
    row_label: str,
    col_keys: list[Any],
    col_labels: list[str],
    col_key: str,
    value: str = "n",
) -> Table:
    labels: dict[Any, str] = {}
    cells: dict[Any, list[int]] = {}
    index = {k: i for i, k in enumerate(col_keys)}
    for r in rows:
        key = r[row_key]
        labels.setdefault(key, r[row_label])
        line = cells.setdefault(key, [0] * len(col_keys))
        if r[col_key] in index:
            line[index[r[col_key]]] += r[value]
    return Table(title, row_header, col_labels, [(labels[k], cells[k]) for k in cells])


@dataclass(frozen=True)
class Names:
    """Names and orders of the small tables, loaded once per page (four tiny queries).

    The big GROUP BY queries group by integer ids only: grouping or sorting by Japanese text
    costs collation work on every row, which on a million sheets is most of the time spent.
    """

    districts: dict[int, tuple[int, str]]
    agencies: dict[int, str]
    fields: dict[int, tuple[int, str]]
    tags: dict[int, tuple[str, int]]

    @classmethod
    def load(cls) -> Names:
        return cls(
            districts={
                pk: (order, name)
                for pk, order, name in Area.objects.districts().values_list("pk", "order", "name")
            },
            agencies=dict(Agency.objects.values_list("pk", "name")),
            fields={
                pk: (order, name)
                for pk, order, name in Field.objects.values_list("pk", "order", "name")
            },
            tags={
                pk: (name, field)
                for pk, name, field in IssueTag.objects.values_list("pk", "name", "field_id")
            },
        )

    def district(self, pk: int | None) -> str:
        return self.districts.get(pk or 0, (0, "（不明）"))[1]

    def district_order(self, pk: int | None) -> tuple[int, int]:
        return (self.districts.get(pk or 0, (0, ""))[0], pk or 0)

    def agency(self, pk: int | None) -> str:
        return self.agencies.get(pk or 0, "（不明）")

    def field(self, pk: int | None) -> str:
        return self.fields.get(pk or 0, (0, "（不明）"))[1]


# --- 1. consultation figures -------------------------------------------------------------------


class CaseRows:
    """The four grouped row sets behind the consultation figures. For a period of whole months
    (a fiscal year, the default, or a range from a 1st to a month's end) they come from the
    monthly summaries (cases/summary.py): a few thousand rows, whatever the number of cases.
    Any other range counts the cases themselves. Both give the same rows (tests compare them)."""

    def __init__(self, scope: Scope, filters: Filters, *, use_summary: bool = True) -> None:
        self.scope, self.filters = scope, filters
        self.from_summary = use_summary and filters.period.is_whole_months

    def _summary(self, model: Any) -> Any:
        period = self.filters.period
        qs = scoped(model.objects.order_by(), insight_case_filter(self.scope)).filter(
            month__gte=period.start, month__lte=period.end
        )
        if self.filters.district_id:
            qs = qs.filter(district_id=self.filters.district_id)
        if self.filters.agency_id:
            qs = qs.filter(agency_id=self.filters.agency_id)
        return qs

    def district_month(self) -> Iterable[Any]:
        if self.from_summary:
            multi = Coalesce(Sum("n", filter=Q(multi_field=True)), 0)
            return (
                {**r, "n": r["total"]}
                for r in self._summary(CaseMonth)
                .values("district_id", "month")
                .annotate(total=Sum("n"), multi=multi)
            )
        return (
            filtered_cases(self.scope, self.filters)
            .values("district_id")
            .annotate(month=TruncMonth("received_at", tzinfo=TOKYO))
            .annotate(n=Count("pk"), multi=Count("pk", filter=Q(field_count__gte=2)))
        )

    def channel_agency(self) -> Iterable[Any]:
        if self.from_summary:
            return (
                {**r, "n": r["total"]}
                for r in self._summary(CaseMonth)
                .values("channel", "agency_id")
                .annotate(total=Sum("n"))
            )
        cases = filtered_cases(self.scope, self.filters)
        return cases.values("channel", "agency_id").annotate(n=Count("pk"))

    def tag(self) -> Iterable[dict[str, Any]]:
        if self.from_summary:
            return (
                {"issuetag_id": r["tag_id"], "n": r["total"]}
                for r in self._summary(CaseTagMonth).values("tag_id").annotate(total=Sum("n"))
            )
        # The grouped rows of the join model (CaseTag) are typed here.
        rows: Iterable[dict[str, Any]] = (
            _case_tags(self.scope, self.filters).values("issuetag_id").annotate(n=Count("case_id"))
        )
        return rows

    def field_district_month(self) -> Iterable[dict[str, Any]]:
        if self.from_summary:
            return (
                {
                    "issuetag__field_id": r["field_id"],
                    "case__district_id": r["district_id"],
                    "month": r["month"],
                    "n": r["total"],
                }
                for r in self._summary(CaseFieldMonth)
                .values("field_id", "district_id", "month")
                .annotate(total=Sum("n"))
            )
        rows: Iterable[dict[str, Any]] = (
            _case_tags(self.scope, self.filters)
            .values("issuetag__field_id", "case__district_id")
            .annotate(month=TruncMonth("case__received_at", tzinfo=TOKYO))
            .annotate(n=Count("case_id", distinct=True))
        )
        return rows


def consultation_figures(
    scope: Scope, filters: Filters, names: Names, *, use_summary: bool = True
) -> dict[str, Any]:
    """Four GROUP BY queries on integer keys, whatever the amount of data: over the monthly
    summaries for whole months, else over the cases (CaseRows)."""
    rows = CaseRows(scope, filters, use_summary=use_summary)
    months = filters.period.months()
    month_labels = [format_month(m) for m in months]
    # 1. cases by district × month, with the multi-field ones
    by_dm: list[Any] = sorted(
        (
            {
                **r,
                "month": local_month(r["month"]),
                "district__name": names.district(r["district_id"]),
                "district__order": names.district_order(r["district_id"]),
            }
            for r in rows.district_month()
        ),
        key=lambda r: r["district__order"],
    )
    # 2. cases by channel × receiving counter
    by_channel: dict[str, int] = {}
    agency_counts: dict[str, int] = {}
    for r in rows.channel_agency():
        by_channel[r["channel"]] = by_channel.get(r["channel"], 0) + r["n"]
        name = names.agency(r["agency_id"])
        agency_counts[name] = agency_counts.get(name, 0) + r["n"]
    # 3. cases by issue tag
    by_tag = sorted(
        (
            {
                "issuetag__name": names.tags.get(r["issuetag_id"], ("", 0))[0],
                "issuetag__field__name": names.field(names.tags.get(r["issuetag_id"], ("", 0))[1]),
                "n": r["n"],
            }
            for r in rows.tag()
        ),
        key=lambda r: (-r["n"], r["issuetag__name"]),
    )
    # 4. cases by issue field × district × month; a case counts once per field
    by_field: list[Any] = sorted(
        (
            {
                **r,
                "month": local_month(r["month"]),
                "issuetag__field__name": names.field(r["issuetag__field_id"]),
                "case__district__name": names.district(r["case__district_id"]),
            }
            for r in rows.field_district_month()
        ),
        key=lambda r: (
            names.fields.get(r["issuetag__field_id"], (0, ""))[0],
            r["issuetag__field_id"],
        ),
    )
    total = sum(r["n"] for r in by_dm)
    multi = sum(r["multi"] for r in by_dm)
    district_keys = sorted(
        {(r["district__order"], r["district_id"], r["district__name"]) for r in by_dm}
    )
    month_totals = [sum(r["n"] for r in by_dm if r["month"] == m) for m in months]
    return {
        "total": total,
        "multi_field": multi,
        "multi_field_share": round(100 * multi / total, 1) if total else 0.0,
        "months": months,
        "month_labels": month_labels,
        "month_totals": month_totals,
        "by_district_month": cross_table(
            "地区×月の相談件数",
            "地区",
            by_dm,
            "district_id",
            "district__name",
            months,
            month_labels,
            "month",
        ),
        "multi_by_district_month": cross_table(
            "地区×月の複数分野の相談件数",
            "地区",
            by_dm,
            "district_id",
            "district__name",
            months,
            month_labels,
            "month",
            value="multi",
        ),
        "by_field_month": cross_table(
            "分野×月の相談件数",
            "分野",
            by_field,
            "issuetag__field_id",
            "issuetag__field__name",
            months,
            month_labels,
            "month",
        ),
        "by_field_district": cross_table(
            "分野×地区の相談件数",
            "分野",
            by_field,
            "issuetag__field_id",
            "issuetag__field__name",
            [k[1] for k in district_keys],
            [k[2] for k in district_keys],
            "case__district_id",
        ),
        "by_tag": [
            {"label": r["issuetag__name"], "field": r["issuetag__field__name"], "n": r["n"]}
            for r in by_tag
        ],
        "by_channel": [
            {"label": label, "n": by_channel.get(value, 0)} for value, label in Channel.choices
        ],
        "by_agency": [
            {"label": name, "n": n}
            for name, n in sorted(agency_counts.items(), key=lambda kv: (-kv[1], kv[0]))
        ],
    }


# --- names in drill-down lists -----------------------------------------------------------------


def visible_names(user: Any, case_ids: list[int]) -> dict[int, str]:
    """The main person's name of each listed case the viewer may see in person; one query.

    The one rule's SQL twin (cases/privacy.py) as a subquery, so a list of 200 cases costs
    one query instead of 200.
    """
    from cases.privacy import named_case_ids, viewer_of

    viewer = viewer_of(user)
    if not case_ids or not viewer.agency_ids:
        return {}
    names: dict[int, str] = {}
    for case_id, name in (
        Person.objects.filter(case_id__in=named_case_ids(viewer, case_ids))
        .order_by("case_id", "-is_primary", "id")
        .values_list("case_id", "name")
    ):
        names.setdefault(case_id, name)
    return names


# --- CSV rows (no personal data: counts and the names of districts, fields and agencies) ------


def table_rows(table: Table) -> list[list[object]]:
    rows: list[list[object]] = [[table.title], [table.row_header, *table.columns, "合計"]]
    rows += [[label, *cells, total] for label, cells, total in table.rows_with_totals()]
    if table.rows_add_up:
        rows.append(["合計", *table.column_totals, table.total])
    rows.append([])
    return rows


def figures_csv_rows(
    figures: dict[str, Any], health: dict[str, Any], filters: Filters
) -> list[list[object]]:
    period = filters.period
    rows: list[list[object]] = [
        ["相談の集計", f"{format_date(period.start)}〜{format_date(period.end)}"],
        ["相談件数", figures["total"]],
        ["うち複数分野", figures["multi_field"]],
        ["複数分野の割合（%）", figures["multi_field_share"]],
        [],
    ]
    for key in (
        "by_district_month",
        "multi_by_district_month",
        "by_field_month",
        "by_field_district",
    ):
        rows += table_rows(figures[key])
    for title, key in (
        ("課題タグ", "by_tag"),
        ("受付方法", "by_channel"),
        ("受付機関", "by_agency"),
    ):
        rows += [[f"{title}別の相談件数"], [title, "件数"]]
        rows += [[r["label"], r["n"]] for r in figures[key]]
        rows.append([])
    rows += table_rows(health["by_agency"]) + table_rows(health["by_district"])
    rows += [["受理・終結までの開庁日数", "件数", "中央値", "90パーセンタイル"]]
    for label, key in (("送付から受理まで", "ack"), ("送付から終結まで", "close")):
        d = health[key]
        rows.append([label, d["count"], d["median"], d["p90"]])
    rows.append([])
    rows += table_rows(health["overdue"])
    return rows
