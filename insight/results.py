"""実績 against the city's targets, per 事業 of the 重層的支援体制整備事業, and the figures a
coordinator needs about the 多機関協働 cycle.

Which record counts towards which 事業 (one fiscal year, April–March, Asia/Tokyo; the district
is the case's for case records and the body's area for meetings):

- 包括的相談支援: 相談受付件数 = every consultation (Case) received in the year, whichever
  counter received it (断らない相談); うち複数分野 = those with issues in two or more fields.
- 多機関協働: 支援決定件数 = SupportDecisions made in the year; プラン作成件数 = plans
  created in the year, every version (a 再プラン is a new plan); 重層的支援会議の開催回数 =
  meetings of a 重層的支援会議 body dated in the year and held.
- アウトリーチ等を通じた継続的支援: consultations received by 訪問 or 出前相談; 対象者数 = cases
  whose plan, approved in the year, has a 役割分担 marked アウトリーチ.
- 参加支援: 対象者数 = cases whose plan, approved in the year, has a 役割分担 marked 参加支援;
  agenda items tagged 参加支援 at meetings held in the year.
- 地域づくり: agenda items tagged 地域支援 at meetings held in the year; meetings of the
  districts' くらし連携会議 held in the year.

対象者数 counts cases (one consultation, usually one household), not the people on them: a plan
is made for a case. A meeting counts when its minutes are approved (Meeting.Status.HELD): a
meeting that is only scheduled has not happened. A record of a city-level body counts in the
市域 column. The one field that had to be added is GoalTask.project (plans migration 0004):
what an agency does for a goal says which 事業 it is.

What a viewer may count follows the rest of insight (insight_case_filter): the city office
counts the city, a coordinator their districts, a supervisor their agencies' cases; meetings by
the body's area for coordinators and by the roster for supervisors. Targets are the city's.

Every figure is a GROUP BY query on integer keys: nine queries, whatever the amount of data.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.db import transaction
from django.db.models import Count, Exists, OuterRef, Q, Sum
from django.db.models.functions import Coalesce, TruncDate

from areas.models import Area, Body, RosterEntry
from areas.scope import Scope
from cases.models import CaseMonth, Channel
from meetings.models import AgendaItem, Meeting
from plans.models import GoalEvaluation, GoalTask, Plan, Project, SupportDecision
from tsumugi.lib.dates import TOKYO, format_date, format_fiscal_year

from .figures import NOTHING, Period, insight_case_filter, scoped
from .health import weighted_percentile
from .models import Target

CITY_COLUMN = "市域"
OUTREACH_CHANNELS = (Channel.VISIT, Channel.OUTREACH)


@dataclass(frozen=True)
class Indicator:
    code: str
    project: Project
    label: str
    unit: str


INDICATORS: tuple[Indicator, ...] = (
    Indicator("consultations", Project.CONSULTATION, "相談受付件数", "件"),
    Indicator("multi_field", Project.CONSULTATION, "うち複数分野にわたる相談", "件"),
    Indicator("decisions", Project.MULTI_AGENCY, "多機関協働の支援決定件数", "件"),
    Indicator("plans", Project.MULTI_AGENCY, "プラン作成件数", "件"),
    Indicator("juusou_meetings", Project.MULTI_AGENCY, "重層的支援会議の開催回数", "回"),
    Indicator("outreach_consultations", Project.OUTREACH, "訪問・出前相談による相談受付件数", "件"),
    Indicator("outreach_people", Project.OUTREACH, "アウトリーチの対象者数", "人"),
    Indicator("participation_people", Project.PARTICIPATION, "参加支援の対象者数", "人"),
    Indicator("participation_items", Project.PARTICIPATION, "会議で協議した参加支援の議題数", "件"),
    Indicator("community_items", Project.COMMUNITY, "会議で協議した地域支援の議題数", "件"),
    Indicator("district_meetings", Project.COMMUNITY, "くらし連携会議の開催回数", "回"),
)
INDICATOR_BY_CODE = {i.code: i for i in INDICATORS}


def meeting_filter(scope: Scope, prefix: str = "") -> Q | None:
    """Meetings a viewer may count: all for the city office, their districts' bodies for a
    coordinator, bodies with their agencies on the roster for a supervisor."""
    if scope.city_wide:
        return None
    q = NOTHING
    if scope.coordinator_district_ids:
        q |= Q(**{f"{prefix}body__area_id__in": sorted(scope.coordinator_district_ids)})
    if scope.supervisor_agency_ids:
        on_roster = RosterEntry.objects.filter(
            body_id=OuterRef(f"{prefix}body_id"),
            membership__agency_id__in=sorted(scope.supervisor_agency_ids),
        )
        q |= Q(Exists(on_roster))
    return q


# --- 実績 vs target -------------------------------------------------------------------------------


@dataclass
class ResultRow:
    indicator: Indicator
    target: int | None
    cells: list[int]  # one per column of ResultTable.columns

    @property
    def actual(self) -> int:
        return sum(self.cells)

    @property
    def rate(self) -> float | None:
        """達成率 in percent, one decimal; None without a target (or a target of 0)."""
        if not self.target:
            return None
        return round(100 * self.actual / self.target, 1)


@dataclass
class ResultTable:
    year: int
    columns: list[str]  # the districts, then 市域
    rows: list[ResultRow]
    city_wide: bool

    @property
    def title(self) -> str:
        return f"{format_fiscal_year(self.year)}の事業別実績"

    def by_project(self) -> list[tuple[str, list[ResultRow]]]:
        groups: dict[str, list[ResultRow]] = {}
        for row in self.rows:
            groups.setdefault(row.indicator.project.label, []).append(row)
        return list(groups.items())


class _Counts:
    """Counts per (indicator, column key); a column key is a district id or None (市域)."""

    def __init__(self, district_ids: list[int]) -> None:
        self.district_ids = district_ids
        self.known = set(district_ids)
        self.cells: dict[str, dict[int | None, int]] = {i.code: {} for i in INDICATORS}

    def add(self, code: str, area_id: int | None, n: int | None) -> None:
        key = area_id if area_id in self.known else None
        line = self.cells[code]
        line[key] = line.get(key, 0) + (n or 0)

    def add_rows(self, code: str, rows: Iterable[Mapping[str, Any]], area_key: str) -> None:
        for r in rows:
            self.add(code, r[area_key], r["n"])

    def line(self, code: str) -> list[int]:
        counted = self.cells[code]
        return [counted.get(pk, 0) for pk in self.district_ids] + [counted.get(None, 0)]


def targets_for(year: int) -> dict[str, int | None]:
    return dict(Target.objects.filter(fiscal_year=year).values_list("indicator", "value"))


def results(scope: Scope, year: int) -> ResultTable:
    """Nine queries: the districts, the targets and seven GROUP BY counts."""
    period = Period.fiscal(year)
    start, end = period.start_at, period.end_before
    # 1. the districts, so every district has a column even with nothing to count
    districts = list(Area.objects.districts().values_list("id", "name"))
    counts = _Counts([pk for pk, _ in districts])
    # 2. the targets
    targets = targets_for(year)
    # 3. consultations from the monthly summary (cases/summary.py): a few thousand rows a year
    months = scoped(CaseMonth.objects.order_by(), insight_case_filter(scope)).filter(
        month__gte=period.start, month__lte=period.end
    )
    for r in months.values("district_id").annotate(
        total=Sum("n"),
        multi=Coalesce(Sum("n", filter=Q(multi_field=True)), 0),
        outreach=Coalesce(Sum("n", filter=Q(channel__in=OUTREACH_CHANNELS)), 0),
    ):
        counts.add("consultations", r["district_id"], r["total"])
        counts.add("multi_field", r["district_id"], r["multi"])
        counts.add("outreach_consultations", r["district_id"], r["outreach"])
    case_q = insight_case_filter(scope, prefix="case__")
    # 4. 支援決定
    counts.add_rows(
        "decisions",
        scoped(SupportDecision.objects.order_by(), case_q)
        .filter(decided_at__gte=start, decided_at__lt=end)
        .values("case__district_id")
        .annotate(n=Count("pk")),
        "case__district_id",
    )
    # 5. plans created (every version)
    counts.add_rows(
        "plans",
        scoped(Plan.objects.order_by(), case_q)
        .filter(created_at__gte=start, created_at__lt=end)
        .values("case__district_id")
        .annotate(n=Count("pk")),
        "case__district_id",
    )
    # 6. cases with an アウトリーチ or 参加支援 task in a plan approved in the year
    tasks = scoped(
        GoalTask.objects.order_by(), insight_case_filter(scope, prefix="goal__plan__case__")
    ).filter(
        goal__plan__approved_at__gte=start,
        goal__plan__approved_at__lt=end,
        project__in=[Project.OUTREACH, Project.PARTICIPATION],
    )
    for t in tasks.values("project", "goal__plan__case__district_id").annotate(
        n=Count("goal__plan__case_id", distinct=True)
    ):
        code = "outreach_people" if t["project"] == Project.OUTREACH else "participation_people"
        counts.add(code, t["goal__plan__case__district_id"], t["n"])
    held = {"status": Meeting.Status.HELD, "date__gte": period.start, "date__lte": period.end}
    # 7. meetings held, by body kind
    meetings = scoped(Meeting.objects.order_by(), meeting_filter(scope)).filter(
        body__kind__in=[Body.Kind.JUUSOU, Body.Kind.DISTRICT], **held
    )
    for m in meetings.values("body__kind", "body__area_id").annotate(n=Count("pk")):
        code = "juusou_meetings" if m["body__kind"] == Body.Kind.JUUSOU else "district_meetings"
        counts.add(code, m["body__area_id"], m["n"])
    # 8. agenda items tagged 参加支援 / 地域支援 at meetings held in the year
    items = scoped(AgendaItem.objects.order_by(), meeting_filter(scope, prefix="meeting__")).filter(
        support__in=[AgendaItem.Support.PARTICIPATION, AgendaItem.Support.COMMUNITY],
        **{f"meeting__{k}": v for k, v in held.items()},
    )
    for a in items.values("support", "meeting__body__area_id").annotate(n=Count("pk")):
        code = (
            "participation_items"
            if a["support"] == AgendaItem.Support.PARTICIPATION
            else "community_items"
        )
        counts.add(code, a["meeting__body__area_id"], a["n"])
    rows = [ResultRow(i, targets.get(i.code), counts.line(i.code)) for i in INDICATORS]
    return ResultTable(year, [name for _, name in districts] + [CITY_COLUMN], rows, scope.city_wide)


# --- the coordinator's figures ------------------------------------------------------------------


@dataclass
class CycleFigures:
    approvals: int
    median_days: int | None
    p90_days: int | None
    overdue: list[tuple[str, int]]  # (district, plans overdue for review now)
    outcomes: list[tuple[str, list[int]]]  # (result, [long, short, total])
    outcome_columns: list[str] = field(default_factory=lambda: ["長期目標", "短期目標", "合計"])

    @property
    def overdue_total(self) -> int:
        return sum(n for _, n in self.overdue)


def _local_day(value: datetime | date) -> date:
    if isinstance(value, datetime):
        return (value.astimezone(TOKYO) if value.tzinfo else value).date()
    return value


def cycle_figures(scope: Scope, year: int, now: datetime) -> CycleFigures:
    """Four queries: three GROUP BY counts and the districts' names.

    Days from 支援決定 to approval are calendar days, for the first version of each plan
    approved in the year (a re-plan's approval is not a first answer to the decision)."""
    period = Period.fiscal(year)
    case_q = insight_case_filter(scope, prefix="case__")
    plans = scoped(Plan.objects.order_by(), case_q)
    # 1. (decided day, approved day) pairs
    pairs = (
        plans.filter(version=1, approved_at__gte=period.start_at, approved_at__lt=period.end_before)
        .values(
            start=TruncDate("decision__decided_at", tzinfo=TOKYO),
            end=TruncDate("approved_at", tzinfo=TOKYO),
        )
        .annotate(n=Count("pk"))
    )
    values = [(max((_local_day(r["end"]) - _local_day(r["start"])).days, 0), r["n"]) for r in pairs]
    # 2. plans overdue for review now, by district
    names = dict(Area.objects.districts().values_list("id", "name"))
    overdue_rows = plans.due_for_review(now).values("case__district_id").annotate(n=Count("pk"))
    overdue = sorted(
        ((names.get(r["case__district_id"], "（不明）"), r["n"]) for r in overdue_rows),
        key=lambda kv: kv[0],
    )
    # 3. evaluated goals by result × term, evaluated in the year
    evaluations = scoped(
        GoalEvaluation.objects.order_by(), insight_case_filter(scope, prefix="goal__plan__case__")
    ).filter(evaluated_at__gte=period.start_at, evaluated_at__lt=period.end_before)
    grid = {
        (r["result"], r["goal__term"]): r["n"]
        for r in evaluations.values("result", "goal__term").annotate(n=Count("pk"))
    }
    outcomes = []
    for value, label in GoalEvaluation.Result.choices:
        long, short = grid.get((value, "long"), 0), grid.get((value, "short"), 0)
        outcomes.append((label, [long, short, long + short]))
    return CycleFigures(
        approvals=sum(n for _, n in values),
        median_days=weighted_percentile(values, 0.5),
        p90_days=weighted_percentile(values, 0.9),
        overdue=overdue,
        outcomes=outcomes,
    )


# --- CSV and xlsx rows (counts and names of districts and indicators only) ----------------------


def result_sheet_rows(table: ResultTable, cycle: CycleFigures, now: datetime) -> list[list[object]]:
    rows: list[list[object]] = [
        [table.title, f"{format_date(now.astimezone(TOKYO).date())}現在"],
        [],
        ["事業", "指標", "単位", "目標", "実績", "達成率（%）", *table.columns],
    ]
    for row in table.rows:
        rows.append(
            [
                row.indicator.project.label,
                row.indicator.label,
                row.indicator.unit,
                row.target if row.target is not None else "",
                row.actual,
                row.rate if row.rate is not None else "",
                *row.cells,
            ]
        )
    rows += [
        [],
        ["多機関協働の経過"],
        ["支援決定からプラン承認まで（初版）", "件数", "中央値（日）", "90パーセンタイル（日）"],
        [
            "",
            cycle.approvals,
            "" if cycle.median_days is None else cycle.median_days,
            "" if cycle.p90_days is None else cycle.p90_days,
        ],
        [],
        ["見直し期日を過ぎたプラン", "件数"],
        *[[name, n] for name, n in cycle.overdue],
        ["合計", cycle.overdue_total],
        [],
        ["評価した目標の結果", *cycle.outcome_columns],
        *[[label, *cells] for label, cells in cycle.outcomes],
    ]
    return rows


# --- entering targets ---------------------------------------------------------------------------


def set_targets(year: int, values: Mapping[str, int | None], *, by: Any, now: datetime) -> int:
    """Save the year's targets; only changed ones are written (each change is one history
    row). Returns how many changed."""
    unknown = set(values) - set(INDICATOR_BY_CODE)
    if unknown:
        raise ValueError(f"unknown indicators: {sorted(unknown)}")
    with transaction.atomic():
        current = {
            t.indicator: t for t in Target.objects.select_for_update().filter(fiscal_year=year)
        }
        changed = 0
        for code, value in values.items():
            row = current.get(code)
            if row is None and value is None:
                continue
            if row is not None and row.value == value:
                continue
            if row is None:
                row = Target(fiscal_year=year, indicator=code)
            row.value, row.updated_by, row.updated_at = value, by, now
            row.save()
            changed += 1
    return changed
