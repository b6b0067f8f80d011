"""宿題 (action items): their policy for the reminder engine (reminders/engine.py). The same
ladder as sheets — the owner at the deadline, the owner agency's supervisors a business day
later, then the coordinators of the body's district (and the coordination office) and the chair.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date, datetime, time

from django.db import transaction
from django.urls import reverse

from areas.coordinators import coordinators_of
from areas.models import Membership, Role
from reminders import engine
from reminders.engine import STEP_LABELS, DeadlineKind, Due, format_deadline
from tsumugi.lib.dates import TOKYO, BusinessCalendar, format_date, format_datetime, local_date

from .models import ACTION_KIND, ActionItem, MeetingEvent


class ActionItemLadder(DeadlineKind):
    name = ACTION_KIND

    def load(self, ids: Sequence[int]) -> dict[int, ActionItem]:
        rows = ActionItem.objects.filter(pk__in=list(ids), done_at__isnull=True).select_related(
            "item__meeting__body", "item__meeting__chair", "owner_agency", "owner_user"
        )
        return {r.pk: r for r in rows}

    def recipients(self, due: Sequence[Due]) -> dict[int, list[int]]:
        agencies = {d.row.owner_agency_id for d in due if d.step == 2}
        supervisors: dict[int, list[int]] = defaultdict(list)
        for agency_id, user_id in (
            Membership.objects.active()
            .filter(agency_id__in=agencies, role=Role.SUPERVISOR)
            .order_by("id")
            .values_list("agency_id", "user_id")
        ):
            supervisors[agency_id].append(user_id)
        coordinators = coordinators_of(
            {d.row.item.meeting.body.area_id for d in due if d.step == 3}
        )
        result: dict[int, list[int]] = {}
        for d in due:
            r: ActionItem = d.row
            if d.step == 1:
                users = [r.owner_user_id] if r.owner_user.is_active else []
            elif d.step == 2:
                users = supervisors[r.owner_agency_id]
            else:
                chair = r.item.meeting.chair
                users = list(coordinators[r.item.meeting.body.area_id])
                users += [chair.user_id] if chair and chair.is_active else []
            result[r.pk] = list(dict.fromkeys(users))
        return result

    def title(self, item: Due) -> str:
        meeting = item.row.item.meeting
        return (
            f"{STEP_LABELS[item.step]}（段階{item.step}）: {meeting.body.name}"
            f"（{format_date(meeting.date)}）の宿題の期日（{format_deadline(item.deadline)}）を過ぎています"
        )

    def url(self, row: ActionItem) -> str:
        return reverse("meetings:minutes", args=[row.item.meeting_id])

    def events(self, items: Sequence[tuple[Due, int]], now: datetime) -> None:
        MeetingEvent.objects.bulk_create(
            MeetingEvent(
                municipality_id=item.row.municipality_id,
                meeting_id=item.row.item.meeting_id,
                kind=MeetingEvent.Kind.REMINDER,
                at=now,
                text=f"宿題「{item.row.text[:60]}」の期日を過ぎたため督促（段階{item.step}、{n}人）",
            )
            for item, n in items
        )

    def recount(self, since: date, calendar: BusinessCalendar, now: datetime) -> int:
        """An open 宿題 is due at the end of its day's business day: a closure on that day
        moves it to the next one, and removing the closure moves it back."""
        first_day = min(since, local_date(now))
        start = datetime.combine(first_day, time.min, tzinfo=TOKYO)
        moved = 0
        for action in ActionItem.objects.open().filter(due_at__gte=start).order_by("pk"):
            due = calendar.end_of_day(calendar.business_day_on_or_after(action.due_date))
            if due == action.due_at:
                continue
            with transaction.atomic():
                changed = ActionItem.objects.filter(
                    pk=action.pk, due_at=action.due_at, done_at__isnull=True
                ).update(due_at=due)
                if changed:
                    moved += 1
                    engine.start(ACTION_KIND, action.pk, due, action.municipality_id)
                    MeetingEvent.objects.create(
                        meeting_id=action.item.meeting_id,
                        kind=MeetingEvent.Kind.DEADLINE_MOVED,
                        at=now,
                        text=f"閉庁日の変更により宿題「{action.text[:60]}」の期日が"
                        f"{format_datetime(due)} に変わりました",
                    )
        return moved
