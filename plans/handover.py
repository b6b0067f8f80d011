"""人事異動 for 支援プラン (areas/handover.py asks these through areas.hooks): plans not yet ended
that a member carries as 担当コーディネーター, and the 役割分担 tasks named to them.

The review ladder reads the coordinator when the review falls due (plans/ladder.py), so the
reminders follow. A plan's coordinator must be a コーディネーター of the same agency: the rule
the plan pages apply to whoever writes a plan.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import TYPE_CHECKING

from areas.models import Membership, Role, display_name
from cases.models import Event

from .models import LIVE_STATUSES, GoalTask, Plan

if TYPE_CHECKING:
    from django.contrib.auth.models import User

Pair = tuple[int, int]
LIVE = [str(s) for s in LIVE_STATUSES]


def plan_label(number: str, version: int) -> str:
    return f"{number} 支援プラン第{version}版"


class Coordinator:
    key = "plan_coordinator"
    label = "担当コーディネーターの支援プラン"

    def held(self, pairs: Collection[Pair]) -> dict[Pair, list[str]]:
        wanted = set(pairs)
        rows = (
            Plan.objects.filter(
                status__in=LIVE,
                coordinator_id__in={u for u, _ in wanted},
                coordinator_agency_id__in={a for _, a in wanted},
            )
            .order_by("created_at", "id")
            .values_list("coordinator_id", "coordinator_agency_id", "case__number", "version")
        )
        found: dict[Pair, list[str]] = {}
        for user_id, agency_id, number, version in rows:
            if (user_id, agency_id) in wanted:
                found.setdefault((user_id, agency_id), []).append(plan_label(number, version))
        return found

    def refusal(self, leaving: Membership, successor: Membership) -> str | None:
        is_coordinator = (
            Membership.objects.active()
            .filter(user_id=successor.user_id, agency_id=leaving.agency_id, role=Role.COORDINATOR)
            .exists()
        )
        if is_coordinator:
            return None
        return (
            f"担当コーディネーターの支援プランがあるため、後任はこの機関のコーディネーターから"
            f"選んでください（{display_name(successor.user)}さんはコーディネーターではありません）。"
        )

    def hand_over(
        self, leaving: Membership, successor: Membership, note: str, *, by: User, now: datetime
    ) -> list[str]:
        plans = list(
            Plan.objects.select_for_update(of=("self",))
            .filter(
                status__in=LIVE,
                coordinator_id=leaving.user_id,
                coordinator_agency_id=leaving.agency_id,
            )
            .select_related("case")
            .order_by("created_at", "id")
        )
        Plan.objects.filter(pk__in=[p.pk for p in plans]).update(coordinator_id=successor.user_id)
        labels = [plan_label(p.case.number, p.version) for p in plans]
        Event.objects.bulk_create(
            Event(
                municipality_id=p.municipality_id,
                case_id=p.case_id,
                kind=Event.Kind.NOTE,
                actor=by,
                agency_id=leaving.agency_id,
                at=now,
                text=f"支援プラン第{p.version}版の担当コーディネーターを{note}",
            )
            for p in plans
        )
        return labels


class Tasks:
    key = "plan_tasks"
    label = "支援プランの役割分担"

    def held(self, pairs: Collection[Pair]) -> dict[Pair, list[str]]:
        wanted = set(pairs)
        rows = (
            GoalTask.objects.filter(
                goal__plan__status__in=LIVE,
                membership__user_id__in={u for u, _ in wanted},
                membership__agency_id__in={a for _, a in wanted},
            )
            .order_by("goal__plan_id", "id")
            .values_list(
                "membership__user_id",
                "membership__agency_id",
                "goal__plan__case__number",
                "goal__plan__version",
            )
        )
        found: dict[Pair, list[str]] = {}
        for user_id, agency_id, number, version in rows:
            if (user_id, agency_id) in wanted:
                found.setdefault((user_id, agency_id), []).append(
                    f"{plan_label(number, version)}の役割分担"
                )
        return found

    def refusal(self, leaving: Membership, successor: Membership) -> str | None:
        return None

    def hand_over(
        self, leaving: Membership, successor: Membership, note: str, *, by: User, now: datetime
    ) -> list[str]:
        tasks = list(
            GoalTask.objects.select_for_update(of=("self",))
            .filter(
                goal__plan__status__in=LIVE,
                membership__user_id=leaving.user_id,
                membership__agency_id=leaving.agency_id,
            )
            .select_related("goal__plan__case")
            .order_by("goal__plan_id", "id")
        )
        GoalTask.objects.filter(pk__in=[t.pk for t in tasks]).update(membership=successor)
        plans = {t.goal.plan_id: t.goal.plan for t in tasks}
        Event.objects.bulk_create(
            Event(
                municipality_id=plan.municipality_id,
                case_id=plan.case_id,
                kind=Event.Kind.NOTE,
                actor=by,
                agency_id=leaving.agency_id,
                at=now,
                text=f"支援プラン第{plan.version}版の役割分担の担当者を{note}",
            )
            for plan in plans.values()
        )
        return [
            f"{plan_label(t.goal.plan.case.number, t.goal.plan.version)}の役割分担" for t in tasks
        ]
