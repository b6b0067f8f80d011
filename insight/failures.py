"""The five ways a hand-off fails (DESIGN.md), counted per agency and per district.

Each mode is one definition (`Mode`) used both by the counts and by the drill-down list, so the
number on the page and the rows behind it can never disagree. All counts describe *now*: what is
wrong with the open sheets and open cases today.

Quiet periods are business days of the office calendar: "no activity for N business days" means
`calendar.business_days_between(last local day, today) >= N`, turned once into a cut-off time
(`BusinessCalendar.quiet_cutoff`) so the database compares one indexed column.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db.models import Count, F, Func, Q, TextField, Value
from django.db.models.functions import Length, Replace, Trim
from django.db.models.lookups import In, LessThan, LessThanOrEqual

from areas.models import Area
from areas.scope import Scope
from cases.models import Case
from meetings.models import ActionItem
from sheets.models import Handover, OpenSheetCount, Sheet, Status
from tsumugi.lib.dates import BusinessCalendar, local_date

from .figures import (
    OUTSIDE_LABEL,
    Names,
    insight_action_item_filter,
    insight_case_filter,
    insight_sheet_filter,
    scoped,
    visible_names,
)

if TYPE_CHECKING:
    from django.db.models import QuerySet


# What a sender writes when it means "nothing": shorter than three characters, or one of these.
TRIVIAL_CONTINUING = (
    "なし",
    "無し",
    "特になし",
    "特に無し",
    "とくになし",
    "なし。",
    "特になし。",
    "未定",
    "不明",
    "同上",
    "送付のみ",
    "お任せ",
    "おまかせ",
    "お願いします",
    "よろしくお願いします",
)
MIN_CONTINUING_CHARS = 3


@dataclass(frozen=True)
class Mode:
    code: str
    name: str
    seed: str
    definition: str
    subject: str  # "sheet" or "case" or "action_item"
    attributed_to: str  # whose number it is on the per-agency table


def modes() -> list[Mode]:
    idle = settings.SILENT_SHEET_BUSINESS_DAYS
    holding = settings.HOLDING_FLAG_BUSINESS_DAYS
    return [
        Mode(
            "marunage",
            "丸投げ",
            "押しつける",
            "対応中のシート（受理待ち・対応中）のうち、送付元の「当方の継続対応」が空に等しい"
            f"（{MIN_CONTINUING_CHARS}文字未満、または「なし」「特になし」「送付のみ」など）もの、"
            f"または、送付してから相談を受け付けた機関の記録が{idle}開庁日以上ないもの。",
            "sheet",
            "送付元機関",
        ),
        Mode(
            "holding",
            "抱え込み",
            "抱え込む",
            f"2つ以上の分野にまたがる対応中の相談で、受付から{holding}開庁日以上たっても"
            "つむぎあいシートを1枚も出していないもの。",
            "case",
            "受付機関",
        ),
        Mode(
            "no_response",
            "無応答",
            "レスポンスが無い",
            "受理期限を過ぎても受理されていない（受理待ちのままの）シート。",
            "sheet",
            "送付先機関",
        ),
        Mode(
            "fading",
            "自然消滅",
            "自然消滅",
            "受理済みで対応中のシートのうち、経過報告期限を過ぎたもの、"
            f"または{idle}開庁日以上なんの記録もないもの。",
            "sheet",
            "送付先機関",
        ),
        Mode(
            "vague",
            "あいまい",
            "あいまい",
            "受理済みで対応中なのに担当者か役割分担が書かれていないシートと、"
            "会議の宿題のうち、担当者か期限が決まっていないもの。",
            "sheet",
            "送付先機関",
        ),
    ]


def mode_by_code(code: str) -> Mode | None:
    return next((m for m in modes() if m.code == code), None)


@dataclass(frozen=True)
class Clock:
    now: datetime
    idle_cutoff: datetime  # last activity before this: quiet for SILENT_SHEET_BUSINESS_DAYS
    holding_cutoff: datetime  # received before this: HOLDING_FLAG_BUSINESS_DAYS ago

    @classmethod
    def at(cls, calendar: BusinessCalendar, now: datetime) -> Clock:
        today = local_date(now)
        return cls(
            now=now,
            idle_cutoff=calendar.quiet_cutoff(today, settings.SILENT_SHEET_BUSINESS_DAYS),
            holding_cutoff=calendar.quiet_cutoff(today, settings.HOLDING_FLAG_BUSINESS_DAYS),
        )


def squeezed(field: str) -> Func:
    """The text with surrounding blanks removed, as SQL. TRIM only strips ASCII spaces, so line
    breaks, tabs and the full-width space (U+3000, common in Japanese input) become spaces first.
    """
    text: Func = Replace(F(field), Value("\r"), Value(" "), output_field=TextField())
    for blank in ("\n", "\t", "\u3000"):
        text = Replace(text, Value(blank), Value(" "), output_field=TextField())
    return Trim(text, output_field=TextField())


# A near-empty text is short: comparing the raw length first lets the length indexes
# (sheet_insight_continuing_len, sheet_insight_status_roles) find the few candidates instead of
# reading every open sheet's text. The longest phrase above fits with a blank or two around it.
SHORT_TEXT_CHARS = 12


def trivial_continuing() -> Q:
    trimmed = squeezed("sender_continuing")
    return Q(LessThanOrEqual(Length("sender_continuing"), SHORT_TEXT_CHARS)) & (
        Q(In(trimmed, list(TRIVIAL_CONTINUING)))
        | Q(LessThan(Length(trimmed), MIN_CONTINUING_CHARS))
    )


def blank_roles() -> Q:
    return Q(LessThanOrEqual(Length("roles"), SHORT_TEXT_CHARS)) & Q(
        LessThan(Length(squeezed("roles")), 1)
    )


def idle_case(clock: Clock) -> Q:
    return Q(case__last_activity_at__lt=clock.idle_cutoff, sent_at__lt=clock.idle_cutoff)


def no_assignee() -> Q:
    """Acknowledged without a 担当者: no user, and outside tsumugi no name written down."""
    return Q(assignee__isnull=True, outside_assignee="")


def sheet_condition(code: str, clock: Clock) -> Q:
    """The condition of a sheet-based mode, on open sheets."""

    if code == "marunage":
        return trivial_continuing() | idle_case(clock)
    if code == "no_response":
        return Q(status=Status.SENT, ack_due_at__lte=clock.now)
    if code == "fading":
        return Q(status=Status.ACKNOWLEDGED) & (
            Q(follow_up_due_at__lte=clock.now) | Q(last_event_at__lt=clock.idle_cutoff)
        )
    if code == "vague":
        return Q(status=Status.ACKNOWLEDGED) & (no_assignee() | blank_roles())
    raise ValueError(code)


# The sheet-based modes charged to the receiving agency (丸投げ is the sender's).
RECEIVING_MODES = ("no_response", "fading", "vague")
# The row of the hand-offs outside tsumugi (電話・FAX・手渡し) in the tables by agency.
OUTSIDE_KEY = (OUTSIDE_LABEL, 0)


def holding_cases(scope: Scope, clock: Clock) -> QuerySet[Case]:

    return scoped(Case.objects.order_by(), insight_case_filter(scope)).holding(clock.holding_cutoff)


def open_sheets(scope: Scope) -> QuerySet[Sheet]:

    # An open sheet always has a next deadline; saying so lets PostgreSQL use the partial
    # indexes on open sheets (sheet_insight_open). A coordinator's districts are the sheet's
    # own (Sheet.district, its case's), so choosing them joins no case.
    return scoped(Sheet.objects.order_by(), insight_sheet_filter(scope, case_prefix="")).filter(
        status__in=Sheet.OPEN_STATUSES, next_due_at__isnull=False
    )


@dataclass
class FailureCounts:
    modes: list[Mode]
    agencies: list[tuple[str, int, dict[str, int]]]  # name, id, counts by mode
    districts: list[tuple[str, int, dict[str, int]]]
    totals: dict[str, int]

    @property
    def mode_totals(self) -> list[tuple[Mode, int]]:
        return [(m, self.totals.get(m.code, 0)) for m in self.modes]

    def _table(
        self, rows: list[tuple[str, int, dict[str, int]]]
    ) -> list[tuple[str, int, list[tuple[str, int]]]]:
        return [
            (name, pk, [(m.code, counts.get(m.code, 0)) for m in self.modes])
            for name, pk, counts in rows
        ]

    @property
    def agency_table(self) -> list[tuple[str, int, list[tuple[str, int]]]]:
        return self._table(self.agencies)

    @property
    def district_table(self) -> list[tuple[str, int, list[tuple[str, int]]]]:
        return self._table(self.districts)


def quiet_case_counts(scope: Scope, clock: Clock) -> Counter[tuple[int, int]]:
    """丸投げ because the case went quiet (idle_case), by sender × district: nearly every open
    sheet (143,000 of 151,000 on 1,000,000 sheets; joining them all to their cases took 280-500
    ms). So for the city and for coordinators it is the open sheets of each sender and
    district (sheets.OpenSheetCount, kept in the writers' transactions, with no time in it)
    less the open sheets that are not quiet: sent since the cut-off, or of a case active since
    then (case_open_activity, then the case's sheets on sheet_case) — a few thousand rows.
    A supervisor counts the sheets to or from their agencies, which the summary (no receiver)
    cannot choose: from the sheets, as few as those agencies' own."""

    def by_sender_district(condition: Q) -> list[tuple[int, int, int]]:
        return list(
            open_sheets(scope)
            .filter(condition)
            .values_list("sender_agency_id", "district_id")
            .annotate(n=Count("pk"))
        )

    counts: Counter[tuple[int, int]] = Counter()
    if scope.supervisor_agency_ids and not scope.city_wide:
        for sender_id, district_id, n in by_sender_district(idle_case(clock)):
            counts[sender_id, district_id] += n
        return counts
    summary = OpenSheetCount.objects.order_by()
    if not scope.city_wide:
        summary = summary.filter(district_id__in=sorted(scope.coordinator_district_ids))
    for sender_id, district_id, n in summary.values_list("sender_id", "district_id", "n"):
        counts[sender_id, district_id] += n
    for active in (
        Q(sent_at__gte=clock.idle_cutoff),
        # An open sheet's case is open (no closing while a sheet is open): saying so lets
        # the partial index case_open_activity find the few active cases (161 -> 37 ms).
        Q(
            sent_at__lt=clock.idle_cutoff,
            case__status=Case.Status.OPEN,
            case__last_activity_at__gte=clock.idle_cutoff,
        ),
    ):
        for sender_id, district_id, n in by_sender_district(active):
            counts[sender_id, district_id] -= n
    return counts


def failure_counts(scope: Scope, clock: Clock, names: Names) -> FailureCounts:
    """Seven GROUP BY queries (five for a supervisor), each reading the few rows it counts:
    the quiet cases' 丸投げ (three, or one), the short texts twice, the overdue or quiet sheets,
    held cases, vague action items."""

    # By the sheet's own district (Sheet.district), and by the side each mode is charged to:
    # 丸投げ to the sender, the others to the receiver (grouping 3 by both made 9,900 groups of
    # its 41,000 sheets on 1,000,000; by the receiver alone there are a few hundred).
    receiving = ("receiver_agency_id", "district_id", "handover")
    # 1. 丸投げ because the case went quiet, by sender × district
    dumped = quiet_case_counts(scope, clock)
    # 2. the text-based half of 丸投げ, on the few short texts (sheet_insight_continuing_len),
    # excluding what 1 has already counted
    for sender_id, district_id, n in (
        open_sheets(scope)
        .filter(trivial_continuing() & ~idle_case(clock))
        .values_list("sender_agency_id", "district_id")
        .annotate(n=Count("pk"))
    ):
        dumped[sender_id, district_id] += n
    zero = {code: 0 for code in RECEIVING_MODES}
    sheet_rows: list[Any] = []
    # 3. 無応答, 自然消滅 and the no-担当者 half of あいまい: 41,000 of 151,000 open sheets on
    # 1,000,000, index-only on sheet_insight_open (4,000 buffers; joined to their cases for
    # the district it was 127,000, 124,000 of them probes of case_insight_id)
    no_response = sheet_condition("no_response", clock)
    fading = sheet_condition("fading", clock)
    unassigned = Q(status=Status.ACKNOWLEDGED) & no_assignee()
    sheet_rows += [
        {**zero, **r}
        for r in open_sheets(scope)
        .filter(no_response | fading | unassigned)
        .values(*receiving)
        .annotate(
            no_response=Count("pk", filter=no_response),
            fading=Count("pk", filter=fading),
            vague=Count("pk", filter=unassigned),
        )
    ]
    # 4. the blank-roles half of あいまい, on the few short texts (sheet_insight_status_roles)
    sheet_rows += [
        {**zero, **r}
        for r in open_sheets(scope)
        .filter(blank_roles(), ~no_assignee(), status=Status.ACKNOWLEDGED)
        .values(*receiving)
        .annotate(vague=Count("pk"))
    ]
    # 5. held multi-field cases by receiving counter × district
    case_rows: list[Any] = list(
        holding_cases(scope, clock).values("agency_id", "district_id").annotate(n=Count("pk"))
    )
    # 6. meeting action items without an owner or a due date, by body's district
    item_rows = vague_action_item_counts(scope)
    agencies: dict[tuple[str, int], dict[str, int]] = {}
    districts: dict[tuple[tuple[int, int], str], dict[str, int]] = {}
    empty = {m.code: 0 for m in modes()}

    def add(table: dict[Any, dict[str, int]], key: Any, code: str, n: int) -> None:
        if n:
            table.setdefault(key, dict(empty))[code] += n

    def district_key(pk: int) -> tuple[tuple[int, int], str]:
        return (names.district_order(pk), names.district(pk))

    def agency_key(pk: int) -> tuple[str, int]:
        return (names.agency(pk), pk)

    for (sender_id, district_id), n in dumped.items():
        add(agencies, agency_key(sender_id), "marunage", n)
        add(districts, district_key(district_id), "marunage", n)
    for r in sheet_rows:
        district = district_key(r["district_id"])
        # The receiving side of a hand-off outside tsumugi is one row of its own.
        receiver = (
            OUTSIDE_KEY if r["handover"] != Handover.SYSTEM else agency_key(r["receiver_agency_id"])
        )
        for code in RECEIVING_MODES:
            add(agencies, receiver, code, r[code])
            add(districts, district, code, r[code])
    for r in case_rows:
        add(agencies, agency_key(r["agency_id"]), "holding", r["n"])
        add(districts, district_key(r["district_id"]), "holding", r["n"])
    for r in item_rows:
        if r["agency_id"]:
            add(agencies, agency_key(r["agency_id"]), "vague", r["n"])
        if r["district"]:
            add(districts, district_key(r["district_id"]), "vague", r["n"])
    totals = {code: sum(r[code] for r in sheet_rows) for code in RECEIVING_MODES} | {
        "marunage": sum(dumped.values()),
        "holding": sum(r["n"] for r in case_rows),
    }
    totals["vague"] += sum(r["n"] for r in item_rows)
    return FailureCounts(
        modes=modes(),
        agencies=[
            (name, pk, counts)
            # the row outside tsumugi after every agency
            for (name, pk), counts in sorted(
                agencies.items(), key=lambda kv: (kv[0] == OUTSIDE_KEY, kv[0])
            )
        ],
        districts=[(name, order[1], counts) for (order, name), counts in sorted(districts.items())],
        totals=totals,
    )


def vague_action_items(scope: Scope) -> QuerySet[ActionItem]:
    # Today's model requires both an owner and a due date, so this stays at zero unless the
    # rule is loosened (or rows come from an import); the metric watches that it stays so.
    return scoped(ActionItem.objects.open().order_by(), insight_action_item_filter(scope)).filter(
        Q(owner_user__isnull=True) | Q(owner_agency__isnull=True) | Q(due_date__isnull=True)
    )


def vague_action_item_counts(scope: Scope) -> list[dict[str, Any]]:
    """Open meeting action items without an owner or a due date, by agency and district."""
    rows = (
        vague_action_items(scope)
        .values(
            agency_id=F("owner_agency_id"),
            area_id=F("item__meeting__body__area_id"),
            layer=F("item__meeting__body__area__layer"),
        )
        .annotate(n=Count("pk"))
    )
    return [
        {
            "agency_id": r["agency_id"],
            "district": r["layer"] == Area.Layer.DISTRICT,
            "district_id": r["area_id"],
            "n": r["n"],
        }
        for r in rows
    ]


DRILL_DOWN_LIMIT = 200


@dataclass
class DrillDown:
    mode: Mode
    sheets: list[Sheet]
    cases: list[Case]
    action_items: list[ActionItem]
    names: dict[int, str]
    limit: int = DRILL_DOWN_LIMIT

    @property
    def sheet_rows(self) -> list[tuple[Sheet, str]]:
        return [(s, self.names.get(s.case_id, "")) for s in self.sheets]

    @property
    def named_cases(self) -> list[Case]:
        """The cases whose resident's name the rows show, once each."""
        cases = {c.pk: c for c in [*self.cases, *(s.case for s in self.sheets)]}
        return [cases[pk] for pk in sorted(self.names) if pk in cases]

    @property
    def case_rows(self) -> list[tuple[Case, str]]:
        return [(c, self.names.get(c.pk, "")) for c in self.cases]


def drill_down(
    user: Any,
    scope: Scope,
    clock: Clock,
    mode: Mode,
    agency_id: int | None = None,
    district_id: int | None = None,
) -> DrillDown:
    """The rows behind one mode's number, optionally behind one cell of the agency or district
    table: two or three queries, whatever the data size (the rows, the names the viewer may
    see, and for あいまい the action items)."""

    sheets: list[Sheet] = []
    cases: list[Case] = []
    items: list[ActionItem] = []
    if mode.code == "holding":
        held = holding_cases(scope, clock)
        if agency_id:
            held = held.filter(agency_id=agency_id)
        if district_id:
            held = held.filter(district_id=district_id)
        cases = list(
            held.select_related("agency", "district").order_by("received_at", "pk")[
                :DRILL_DOWN_LIMIT
            ]
        )
        case_ids = [c.pk for c in cases]
    else:
        rows = open_sheets(scope).filter(sheet_condition(mode.code, clock))
        if agency_id:
            side = "sender_agency_id" if mode.code == "marunage" else "receiver_agency_id"
            rows = rows.filter(**{side: agency_id})
        if district_id:
            rows = rows.filter(district_id=district_id)
        sheets = list(
            rows.select_related("case", "case__district", "sender_agency", "receiver_agency")
            .defer("request", "shared_info", "case__summary")
            .order_by("next_due_at", "sent_at", "pk")[:DRILL_DOWN_LIMIT]
        )
        case_ids = sorted({s.case_id for s in sheets})
    if mode.code == "vague":
        vague = vague_action_items(scope)
        if agency_id:
            vague = vague.filter(owner_agency_id=agency_id)
        if district_id:
            vague = vague.filter(item__meeting__body__area_id=district_id)
        items = list(
            vague.select_related("item__meeting__body", "owner_agency").order_by("due_date", "pk")[
                :DRILL_DOWN_LIMIT
            ]
        )
    return DrillDown(mode, sheets, cases, items, visible_names(user, case_ids))
