"""What a meeting should talk about: the district's stalled work, suggested as agenda items.

Three kinds, each of the meeting's district (a city-wide body or a 支援会議: the whole city):
- overdue sheets: an open sheet whose next deadline has passed (next_due_at <= now);
- silent sheets: open, not overdue, no event for SILENT_SHEET_BUSINESS_DAYS business days;
- 抱え込み: an open case touching two fields or more, received more than
  HOLDING_FLAG_BUSINESS_DAYS business days ago, from which no sheet was ever sent.
Items already on the agenda are left out.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING

from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone

from areas.calendar import business_calendar
from cases.models import Case
from sheets.models import Sheet
from tsumugi.lib.dates import local_date

from .models import AgendaItem, Meeting

if TYPE_CHECKING:
    from django.contrib.auth.models import User


@dataclass(frozen=True)
class Suggestion:
    kind: str  # "overdue" | "silent" | "holding"
    label: str
    case: Case
    sheet: Sheet | None = None

    @property
    def reason(self) -> str:
        return REASONS[self.kind]

    @property
    def key(self) -> str:
        return (
            f"{'sheet' if self.sheet else 'case'}-{self.sheet.pk if self.sheet else self.case.pk}"
        )


REASONS = {
    "overdue": "期限切れのシート",
    "silent": "動きのないシート",
    "holding": "抱え込みの可能性",
}


def cutoff_before(today: date, business_days: int) -> datetime:
    """Anything strictly before this moment has been quiet for `business_days` business days
    (the same cut-off the insight figures use)."""
    return business_calendar().quiet_cutoff(today, business_days)


def district_sheets(meeting: Meeting) -> QuerySet[Sheet]:
    sheets = Sheet.objects.open().select_related("case", "sender_agency", "receiver_agency")
    if meeting.district is not None:
        sheets = sheets.filter(case__district=meeting.district)
    return sheets


def overdue_sheets(meeting: Meeting, now: datetime) -> QuerySet[Sheet]:
    return district_sheets(meeting).filter(next_due_at__lte=now).order_by("next_due_at", "id")


def silent_sheets(meeting: Meeting, now: datetime) -> QuerySet[Sheet]:
    cutoff = cutoff_before(local_date(now), settings.SILENT_SHEET_BUSINESS_DAYS)
    return (
        district_sheets(meeting)
        .filter(last_event_at__lt=cutoff, next_due_at__gt=now)
        .order_by("last_event_at", "id")
    )


def holding_cases(meeting: Meeting, now: datetime) -> QuerySet[Case]:
    cutoff = cutoff_before(local_date(now), settings.HOLDING_FLAG_BUSINESS_DAYS)
    cases = Case.objects.holding(cutoff)
    if meeting.district is not None:
        cases = cases.filter(district=meeting.district)
    return cases.order_by("received_at", "id")


def suggestions(meeting: Meeting, now: datetime | None = None) -> list[Suggestion]:
    now = now or timezone.now()
    on_agenda = AgendaItem.objects.filter(meeting=meeting)
    taken_sheets = set(on_agenda.exclude(sheet=None).values_list("sheet_id", flat=True))
    taken_cases = set(on_agenda.filter(kind="case").values_list("case_id", flat=True))
    out: list[Suggestion] = []
    for kind, sheets in (
        ("overdue", overdue_sheets(meeting, now)),
        ("silent", silent_sheets(meeting, now)),
    ):
        out += [
            Suggestion(
                kind,
                f"シート {s.number}（{s.sender_agency} → {s.receiver_agency}、"
                f"{s.get_status_display()}）",
                s.case,
                s,
            )
            for s in sheets
            if s.pk not in taken_sheets
        ]
    out += [
        Suggestion("holding", f"相談 {c.number}（{c.agency}、{c.field_count}分野）", c)
        for c in holding_cases(meeting, now).select_related("agency")
        if c.pk not in taken_cases
    ]
    return out


def add_suggestion(
    meeting: Meeting, key: str, *, by: User, now: datetime | None = None
) -> AgendaItem | None:
    """Add the suggestion named by `key` (only if it is still suggested: a stale or forged
    key adds nothing)."""
    now = now or timezone.now()
    found = next((s for s in suggestions(meeting, now) if s.key == key), None)
    if found is None:
        return None
    kind = AgendaItem.Kind.SHEET if found.sheet else AgendaItem.Kind.CASE
    return meeting.add_item(
        by=by,
        now=now,
        kind=kind,
        case=found.case,
        sheet=found.sheet,
        reason=REASONS[found.kind],
        support=AgendaItem.Support.CONSULTATION,
    )
