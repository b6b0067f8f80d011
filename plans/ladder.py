"""The plan's review date: its policy for the reminder engine (reminders/engine.py). Ladder: the
plan's coordinator at the review date, the supervisors of the coordinator's agency a business day
later, then the くらし連携支援室 (coordination office) coordinators.
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
from tsumugi.lib.dates import TOKYO, BusinessCalendar, format_datetime, local_date

from .models import REVIEW_KIND, Plan, PlanEvent, Status


class PlanReviewLadder(DeadlineKind):
    name = REVIEW_KIND

    def load(self, ids: Sequence[int]) -> dict[int, Plan]:
        rows = Plan.objects.filter(pk__in=list(ids), status=Status.ACTIVE).select_related(
            "case", "coordinator", "coordinator_agency"
        )
        return {r.pk: r for r in rows}

    def recipients(self, due: Sequence[Due]) -> dict[int, list[int]]:
        agencies = {d.row.coordinator_agency_id for d in due if d.step == 2}
        supervisors: dict[int, list[int]] = defaultdict(list)
        if agencies:
            for agency_id, user_id in (
                Membership.objects.active()
                .filter(agency_id__in=agencies, role=Role.SUPERVISOR)
                .order_by("id")
                .values_list("agency_id", "user_id")
            ):
                supervisors[agency_id].append(user_id)
        # The plan belongs to the city's 重層的支援会議, not to a district: the office only.
        office = coordinators_of([None]).get(None, []) if any(d.step == 3 for d in due) else []
        result: dict[int, list[int]] = {}
        for d in due:
            r: Plan = d.row
            if d.step == 1:
                users = [r.coordinator_id] if r.coordinator.is_active else []
            elif d.step == 2:
                users = supervisors[r.coordinator_agency_id]
            else:
                users = office
            result[r.pk] = list(dict.fromkeys(users))
        return result

    def title(self, item: Due) -> str:
        row: Plan = item.row
        return (
            f"{STEP_LABELS[item.step]}（段階{item.step}）: 相談 {row.case.number} の支援プラン"
            f"（第{row.version}版）の見直し期日（{format_deadline(item.deadline)}）を過ぎています"
        )

    def url(self, row: Plan) -> str:
        return reverse("plans:detail", args=[row.pk])

    def events(self, items: Sequence[tuple[Due, int]], now: datetime) -> None:
        PlanEvent.objects.bulk_create(
            PlanEvent(
                municipality_id=item.row.municipality_id,
                plan_id=item.row.pk,
                kind=PlanEvent.Kind.REMINDER,
                at=now,
                text=f"見直し期日を過ぎたため督促（段階{item.step}、{n}人）",
            )
            for item, n in items
        )

    def recount(self, since: date, calendar: BusinessCalendar, now: datetime) -> int:
        """The review is due at the end of its business day: a closure on that day moves it to
        the next one, removing the closure moves it back (as for 宿題)."""
        first_day = min(since, local_date(now))
        start = datetime.combine(first_day, time.min, tzinfo=TOKYO)
        moved = 0
        plans = Plan.objects.filter(status=Status.ACTIVE, review_due_at__gte=start).order_by("pk")
        for plan in plans:
            if plan.review_date is None:
                continue
            due = calendar.end_of_day(calendar.business_day_on_or_after(plan.review_date))
            if due == plan.review_due_at:
                continue
            with transaction.atomic():
                # Compare-and-set: a move made meanwhile (evaluated, ended) wins.
                changed = Plan.objects.filter(
                    pk=plan.pk, status=Status.ACTIVE, review_due_at=plan.review_due_at
                ).update(review_due_at=due)
                if changed:
                    moved += 1
                    engine.start(REVIEW_KIND, plan.pk, due, plan.municipality_id)
                    PlanEvent.objects.create(
                        plan_id=plan.pk,
                        kind=PlanEvent.Kind.REVIEW_MOVED,
                        at=now,
                        text=f"閉庁日の変更により見直し期日が{format_datetime(due)} に変わりました",
                    )
        return moved
