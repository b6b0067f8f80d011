"""Moving open deadlines when the office calendar changes.

A closure added after a sheet was sent (a typhoon, a system outage) must push that sheet's
deadline past the closed day, exactly as if the closure had been known when the sheet was sent;
removing a closure pulls it back. Each moved deadline restarts its reminder ladder and is written
on the timeline, so people see why the date changed.
"""

from __future__ import annotations

from datetime import date, datetime, time

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from areas.calendar import business_calendar
from cases.models import Event
from tsumugi.lib.dates import TOKYO, format_datetime, local_date

from .models import Sheet


def recompute_open_deadlines(changed_day: date, now: datetime | None = None) -> int:
    """Recompute every open deadline from `changed_day` (or today, if earlier) on; returns how
    many moved. Starting no later than today also covers an edited closure whose old date is
    no longer known."""
    now = now or timezone.now()
    calendar = business_calendar()
    first_day = min(changed_day, local_date(now))
    start = datetime.combine(first_day, time.min, tzinfo=TOKYO)
    moved = 0
    candidates = (
        Sheet.objects.open()
        .filter(next_due_at__gte=start)
        .select_related("receiver_agency")
        .order_by("pk")
    )
    for sheet in candidates.iterator(chunk_size=500):
        due = sheet.pending_deadline(calendar)
        if due is None or due == sheet.next_due_at:
            continue
        visible = "ack_due_at" if sheet.status == "sent" else "follow_up_due_at"
        with transaction.atomic():
            # Compare-and-set on the version: a move made meanwhile already set its own deadline.
            changed = Sheet.objects.filter(pk=sheet.pk, version=sheet.version).update(
                **{visible: due},
                next_due_at=due,
                remind_at=due,
                remind_step=1,
                version=F("version") + 1,
            )
            if changed:
                moved += 1
                Event.objects.create(
                    case_id=sheet.case_id,
                    sheet=sheet,
                    kind=Event.Kind.NOTE,
                    at=now,
                    text=(f"閉庁日の変更により期限が変わりました：{format_datetime(due)} まで"),
                )
    return moved
