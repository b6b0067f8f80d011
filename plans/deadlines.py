"""The plan's review date as a deadline kind of the reminder engine.

The engine's registry is still sheets/reminders.py (engine-reminders is moving it into a
`reminders` app); this registers the same way meetings/deadlines.py does for 宿題. Ladder: the
plan's coordinator at the review date, the supervisors of the coordinator's agency a business day
later, then the くらし連携支援室 (coordination office) coordinators.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime

from django.urls import reverse

from areas.models import Membership, Role
from sheets.reminders import STEP_LABELS, DeadlineKind, EmailFacts, format_deadline, register

from .models import Plan, PlanEvent, Status


class PlanReviewDeadlines(DeadlineKind):
    name = "plan_review"
    model = Plan
    related = ("case", "coordinator", "coordinator_agency")

    def deadline(self, row: Plan) -> datetime | None:
        return row.review_due_at if row.status == Status.ACTIVE else None

    def recipients(self, rows: Sequence[Plan]) -> dict[int, list[int]]:
        agencies = {r.coordinator_agency_id for r in rows if r.remind_step == 2}
        supervisors: dict[int, list[int]] = defaultdict(list)
        if agencies:
            for agency_id, user_id in (
                Membership.objects.active()
                .filter(agency_id__in=agencies, role=Role.SUPERVISOR)
                .order_by("id")
                .values_list("agency_id", "user_id")
            ):
                supervisors[agency_id].append(user_id)
        office: list[int] = []
        if any(r.remind_step == 3 for r in rows):
            office = list(
                Membership.objects.active()
                .filter(role=Role.COORDINATOR, agency__is_coordination_office=True)
                .order_by("id")
                .values_list("user_id", flat=True)
            )
        result: dict[int, list[int]] = {}
        for r in rows:
            if r.remind_step == 1:
                users = [r.coordinator_id] if r.coordinator.is_active else []
            elif r.remind_step == 2:
                users = supervisors[r.coordinator_agency_id]
            else:
                users = office
            result[r.pk] = list(dict.fromkeys(users))
        return result

    def title(self, row: Plan, step: int) -> str:
        when = format_deadline(row.review_due_at) if row.review_due_at else ""
        return (
            f"{STEP_LABELS[step]}（段階{step}）: 相談 {row.case.number} の支援プラン"
            f"（第{row.version}版）の見直し期日（{when}）を過ぎています"
        )

    def url(self, row: Plan) -> str:
        return reverse("plans:detail", args=[row.pk])

    def email_facts(self, row: Plan) -> EmailFacts:
        return EmailFacts(
            kind_label="支援プランの見直し",
            number=f"相談 {row.case.number} 支援プラン第{row.version}版",
            agencies=(row.coordinator_agency.name,),
            deadline_label="見直し期日",
        )

    def events(self, items: Sequence[tuple[Plan, int, int]], now: datetime) -> None:
        PlanEvent.objects.bulk_create(
            PlanEvent(
                plan_id=row.pk,
                kind=PlanEvent.Kind.REMINDER,
                at=now,
                text=f"見直し期日を過ぎたため督促（段階{step}、{n}人）",
            )
            for row, step, n in items
        )


register(PlanReviewDeadlines())
