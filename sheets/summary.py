"""The sheet summaries (monthly: SheetMonth, SheetLagMonth, MultiAgencyCaseMonth; and the open
sheets per district × sender, OpenSheetCount, for the failure modes), kept exact.

Why move one sheet's count rather than rewrite a slice, as cases/summary.py does: a sheet's
(month, district) slice holds thousands of sheets on a city's data (1,000,000 sheets: ~3,000),
and a move (受理, 終結, 転送, 取下げ) is the commonest write there is; rewriting the slice would
read all of them on every move. A move changes exactly one sheet, so its counts go from the
row of its old state to the row of its new one: a DELETE or UPDATE of one row, and an
INSERT ... ON CONFLICT that adds one. Both are row-level, so writers of different sheets never
wait for each other beyond the one summary row they share, and the statement is atomic under
concurrency on both databases. It runs in the writer's transaction (sheets.models
`sheet_counted`), so no reader ever sees a summary that disagrees with the sheets.

The district is the sheet's own (Sheet.district, its case's), read under the case's row lock,
which every writer of a sheet takes first: a case edit that moves the case to another district
(cases.models `counted_slices_changed`) holds the same lock while it moves the case's sheets
and their counts, so a move and an edit of the same case take turns and each counts what the
other committed.

MultiAgencyCaseMonth is keyed by the case's slice, like the case summaries, and rewritten the
same way (the slice's district row locked): on a case edit, which can change the number of
fields; a new sheet adds one when it gives its case a second receiving agency.

The lag rows count business days of the office calendar. A closure added, edited or removed
changes those days, so the worker recounts them with the open deadlines (`recount_lags`, a
grouped scan, called by the sheet ladder's recount: reminders/engine.py `calendar_changed`),
never in the admin's request; until it has run the lags count the old calendar.

`rebuild()` recomputes everything (the migration that made the tables; bench data written with
SQL).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from django.db import connection, models, transaction
from django.db.models import Count, ExpressionWrapper, F, Max, Min, OuterRef, Q, Subquery
from django.db.models.functions import TruncDate, TruncMonth

from areas.calendar import business_calendar
from areas.models import Area, Closure
from cases.models import Case
from tenancy import scope
from tsumugi.lib.dates import TOKYO, BusinessCalendar, local_date

from .models import (
    MultiAgencyCaseMonth,
    OpenSheetCount,
    Sheet,
    SheetLagMonth,
    SheetMonth,
    Status,
    counted_state,
)

# A counted fact: (model, its key as sorted (column, value) pairs).
Fact = tuple[type[models.Model], tuple[tuple[str, Any], ...]]
SUMMARIES: tuple[type[models.Model], ...] = (
    SheetMonth,
    SheetLagMonth,
    MultiAgencyCaseMonth,
    OpenSheetCount,
)
KEYS: dict[type[models.Model], tuple[str, ...]] = {
    SheetMonth: (
        "municipality_id",
        "month",
        "district_id",
        "receiver",
        "handover",
        "status",
        "acknowledged",
        "redirected",
    ),
    SheetLagMonth: ("municipality_id", "month", "district_id", "kind", "days"),
    MultiAgencyCaseMonth: ("municipality_id", "month", "district_id", "agency_id"),
    OpenSheetCount: ("municipality_id", "district_id", "sender_id"),
}


def month_of(moment: datetime) -> date:
    return local_date(moment).replace(day=1)


def facts(
    sheet: Sheet, state: dict[str, Any], district_id: int, calendar: BusinessCalendar
) -> list[Fact]:
    """What one sheet in `state` (counted_state) adds to the summaries."""
    month = month_of(sheet.sent_at)
    common = (("district_id", district_id), ("month", month))
    key = (("municipality_id", sheet.municipality_id), *common)
    found: list[Fact] = [
        (
            SheetMonth,
            (
                *key,
                ("receiver", sheet.receiver_agency_id or 0),
                ("handover", sheet.handover),
                ("status", state["status"]),
                ("acknowledged", state["acknowledged_at"] is not None),
                ("redirected", sheet.parent_id is not None),
            ),
        )
    ]
    if state["status"] in Sheet.OPEN_STATUSES:
        found.append(
            (
                OpenSheetCount,
                (
                    ("municipality_id", sheet.municipality_id),
                    ("district_id", district_id),
                    ("sender_id", sheet.sender_agency_id),
                ),
            )
        )
    sent = local_date(sheet.sent_at)
    ends = [(SheetLagMonth.Kind.ACK, state["acknowledged_at"])]
    if state["status"] == Status.CLOSED:
        ends.append((SheetLagMonth.Kind.CLOSE, state["ended_at"]))
    for kind, end in ends:
        if end is not None:
            days = calendar.business_days_between(sent, local_date(end))
            found.append((SheetLagMonth, (*key, ("kind", str(kind)), ("days", days))))
    return found


def sheet_counted(sender: type, sheet: Sheet, before: dict[str, Any] | None, **kwargs: Any) -> None:
    """Receiver of sheets.models.sheet_counted: move the sheet's counts to its new state. The
    writer holds the case's row lock (Sheet._create's caller, Sheet._lock) and the district is
    the sheet's own (Sheet.district), read under it."""
    calendar = business_calendar()
    change: Counter[Fact] = Counter(facts(sheet, counted_state(sheet), sheet.district_id, calendar))
    if before is not None:
        change.subtract(facts(sheet, before, sheet.district_id, calendar))
        apply(change)
        return
    apply(change)
    case = Case.objects.values("agency_id", "received_at", "field_count").get(pk=sheet.case_id)
    if sheet.receiver_agency_id and case["field_count"] < 2:
        others = set(
            Sheet.objects.filter(case_id=sheet.case_id, receiver_agency__isnull=False)
            .exclude(pk=sheet.pk)
            .values_list("receiver_agency_id", flat=True)
            .distinct()[:2]
        )
        if len(others) == 1 and sheet.receiver_agency_id not in others:
            # the case's second receiving agency: one more case of 多機関協働
            lock_districts([sheet.district_id])
            key = (
                ("municipality_id", sheet.municipality_id),
                ("month", month_of(case["received_at"])),
                ("district_id", sheet.district_id),
                ("agency_id", case["agency_id"]),
            )
            apply(Counter({(MultiAgencyCaseMonth, key): 1}))


def case_changed(
    sender: type,
    keys: Iterable[tuple[date, int]],
    case_id: int | None = None,
    districts: tuple[int, int] | None = None,
    **kwargs: Any,
) -> None:
    """Receiver of cases.models.counted_slices_changed. A new case has no sheets yet (no
    case_id); an edit may move the case's sheets to another district and change the number of
    the case's fields."""
    if case_id is None:
        return
    keys = sorted(set(keys))
    lock_districts([d for _, d in keys])
    if districts is not None and districts[0] != districts[1]:
        # The sheets follow their case (Sheet.district), in the edit's transaction and under
        # its case lock, which every writer of a sheet of the case takes first (Sheet._lock).
        Sheet.objects.filter(case_id=case_id).update(district_id=districts[1])
        calendar = business_calendar()
        change: Counter[Fact] = Counter()
        for sheet in Sheet.objects.filter(case_id=case_id).order_by("pk"):
            state = counted_state(sheet)
            change.update(facts(sheet, state, districts[1], calendar))
            change.subtract(facts(sheet, state, districts[0], calendar))
        apply(change)
    for month, district_id in keys:
        MultiAgencyCaseMonth.objects.filter(month=month, district_id=district_id).delete()
        _write_multi_agency(
            Case.objects.filter(
                district_id=district_id,
                received_at__gte=_month_start(month),
                received_at__lt=_month_start(_next_month(month)),
            ),
            MultiAgencyCaseMonth,
            Sheet,
        )


def lock_districts(district_ids: Iterable[int]) -> None:
    """Writers of a district's case slices take turns (as cases/summary.py), in key order."""
    for pk in sorted(set(district_ids)):
        list(Area.objects.select_for_update().filter(pk=pk).values_list("pk"))


def apply(change: Counter[Fact]) -> None:
    for (model, key), delta in sorted(change.items(), key=lambda kv: (kv[0][0].__name__, kv[0][1])):
        if delta > 0:
            _increment(model, dict(key), delta)
        elif delta < 0:
            where = dict(key)
            deleted, _ = model._default_manager.filter(**where, n=-delta).delete()
            if not deleted:
                model._default_manager.filter(**where).update(n=F("n") + delta)


def _increment(model: type[models.Model], key: dict[str, Any], delta: int) -> None:
    """Add `delta` to the row of `key`, creating it: one atomic statement (SQLite and
    PostgreSQL both have INSERT ... ON CONFLICT)."""
    table = connection.ops.quote_name(model._meta.db_table)
    columns = [*KEYS[model]]
    names = ", ".join(connection.ops.quote_name(c) for c in columns)
    marks = ", ".join(["%s"] * (len(columns) + 1))
    values = [key[c] for c in columns]
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({names}, n) VALUES ({marks}) "
            f"ON CONFLICT ({names}) DO UPDATE SET n = {table}.n + excluded.n",
            [*values, delta],
        )


# --- counting from scratch -----------------------------------------------------------------------


def _month_start(month: date) -> datetime:
    return datetime(month.year, month.month, 1, tzinfo=TOKYO)


def _next_month(month: date) -> date:
    return date(month.year + month.month // 12, month.month % 12 + 1, 1)


def _local_month(value: datetime | date) -> date:
    if isinstance(value, datetime):
        return value.astimezone(TOKYO).date().replace(day=1)
    return value.replace(day=1)


def _calendars(closure: Any) -> dict[int, BusinessCalendar]:
    """Each municipality's calendar (only the closures count for business days)."""
    closed: dict[int, set[date]] = {}
    for municipality_id, day in closure._base_manager.values_list("municipality_id", "date"):
        closed.setdefault(municipality_id, set()).add(day)
    return {m: BusinessCalendar(closures=frozenset(days)) for m, days in closed.items()}


def _lock_tables(*tables: str) -> None:
    """While counting from scratch no move may add to a count (PostgreSQL: the moves' row
    writes wait for the recount's commit, then add to what it counted)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            for table in tables:
                cursor.execute(f'LOCK TABLE "{table}" IN SHARE ROW EXCLUSIVE MODE')


def rebuild(models_of: Any = None) -> None:
    """Recompute every summary row from the sheets and cases. `models_of`: the migration's
    historical app registry, else the current models."""
    get = (lambda name: models_of.get_model(*name.split("."))) if models_of else None
    sheet = get("sheets.Sheet") if get else Sheet
    case = get("cases.Case") if get else Case
    closure = get("areas.Closure") if get else Closure
    month_model = get("sheets.SheetMonth") if get else SheetMonth
    lag_model = get("sheets.SheetLagMonth") if get else SheetLagMonth
    multi_model = get("sheets.MultiAgencyCaseMonth") if get else MultiAgencyCaseMonth
    # None for a migration made before OpenSheetCount (sheets 0016), which its own fills
    open_model = (
        OpenSheetCount
        if models_of is None
        else next((m for m in models_of.get_models() if m.__name__ == "OpenSheetCount"), None)
    )
    every = [m for m in (month_model, lag_model, multi_model, open_model) if m is not None]
    with transaction.atomic():
        _lock_tables(*(m._meta.db_table for m in every))
        for model in every:
            model._base_manager.all().delete()
        sheets = sheet._base_manager.order_by()
        _write_months(sheets, month_model)
        _write_lags(sheets, lag_model, _calendars(closure))
        _write_multi_agency(case._base_manager.order_by(), multi_model, sheet)
        if open_model is not None:
            _write_open(sheets, open_model)


def rebuild_open(models_of: Any) -> None:
    """OpenSheetCount alone from the sheets (the migration that made it)."""
    model = models_of.get_model("sheets", "OpenSheetCount")
    with transaction.atomic():
        _lock_tables(model._meta.db_table)
        model._base_manager.all().delete()
        _write_open(models_of.get_model("sheets", "Sheet")._base_manager.order_by(), model)


def recount_lags(municipality_id: int) -> None:
    """Recount one municipality's business days to 受理 and 終結 (its closures changed)."""
    with transaction.atomic(), scope.using(municipality_id):
        _lock_tables(SheetLagMonth._meta.db_table)
        SheetLagMonth._base_manager.filter(municipality_id=municipality_id).delete()
        _write_lags(
            Sheet._base_manager.order_by().filter(municipality_id=municipality_id),
            SheetLagMonth,
            _calendars(Closure),
        )


def _write_months(sheets: Any, model: Any) -> None:
    rows = (
        sheets.annotate(
            m=TruncMonth("sent_at", tzinfo=TOKYO),
            ack=ExpressionWrapper(
                Q(acknowledged_at__isnull=False), output_field=models.BooleanField()
            ),
            red=ExpressionWrapper(Q(parent__isnull=False), output_field=models.BooleanField()),
        )
        .values(
            "municipality_id",
            "m",
            "case__district_id",
            "receiver_agency_id",
            "handover",
            "status",
            "ack",
            "red",
        )
        .annotate(n=Count("pk"))
    )
    model._base_manager.bulk_create(
        (
            model(
                municipality_id=r["municipality_id"],
                month=_local_month(r["m"]),
                district_id=r["case__district_id"],
                receiver=r["receiver_agency_id"] or 0,
                handover=r["handover"],
                status=r["status"],
                acknowledged=r["ack"],
                redirected=r["red"],
                n=r["n"],
            )
            for r in rows.iterator(chunk_size=5000)
        ),
        batch_size=5000,
    )


def _write_open(sheets: Any, model: Any) -> None:
    rows = (
        sheets.filter(status__in=Sheet.OPEN_STATUSES)
        .values("municipality_id", "case__district_id", "sender_agency_id")
        .annotate(n=Count("pk"))
    )
    model._base_manager.bulk_create(
        model(
            municipality_id=r["municipality_id"],
            district_id=r["case__district_id"],
            sender_id=r["sender_agency_id"],
            n=r["n"],
        )
        for r in rows
    )


def _write_lags(sheets: Any, model: Any, calendars: dict[int, BusinessCalendar]) -> None:
    counts: Counter[tuple[int, date, int, str, int]] = Counter()
    plain = BusinessCalendar()
    for kind, end, narrowed in (
        ("ack", "acknowledged_at", sheets.filter(acknowledged_at__isnull=False)),
        ("close", "ended_at", sheets.filter(status=Status.CLOSED)),
    ):
        pairs = (
            narrowed.annotate(
                m=TruncMonth("sent_at", tzinfo=TOKYO),
                start=TruncDate("sent_at", tzinfo=TOKYO),
                end=TruncDate(end, tzinfo=TOKYO),
            )
            .values("municipality_id", "m", "case__district_id", "start", "end")
            .annotate(n=Count("pk"))
        )
        for r in pairs.iterator(chunk_size=5000):
            calendar = calendars.get(r["municipality_id"], plain)
            days = calendar.business_days_between(r["start"], r["end"])
            key = (r["municipality_id"], _local_month(r["m"]), r["case__district_id"], kind, days)
            counts[key] += r["n"]
    model._base_manager.bulk_create(
        (
            model(municipality_id=m, month=month, district_id=d, kind=kind, days=days, n=n)
            for (m, month, d, kind, days), n in counts.items()
        ),
        batch_size=5000,
    )


def _write_multi_agency(cases: Any, model: Any, sheet: Any) -> None:
    """Cases with fewer than two fields whose sheets went to two or more agencies: the
    smallest and the largest receiver differ (two index-only probes per case, sheet_case)."""
    receivers = sheet._base_manager.filter(case_id=OuterRef("pk")).order_by().values("case_id")
    rows = (
        cases.filter(field_count__lt=2)
        .annotate(
            first=Subquery(receivers.annotate(r=Min("receiver_agency_id")).values("r")),
            last=Subquery(receivers.annotate(r=Max("receiver_agency_id")).values("r")),
        )
        .filter(first__lt=F("last"))
        .annotate(m=TruncMonth("received_at", tzinfo=TOKYO))
        .values("municipality_id", "m", "district_id", "agency_id")
        .annotate(n=Count("pk"))
    )
    model._base_manager.bulk_create(
        model(
            municipality_id=r["municipality_id"],
            month=_local_month(r["m"]),
            district_id=r["district_id"],
            agency_id=r["agency_id"],
            n=r["n"],
        )
        for r in rows
    )
