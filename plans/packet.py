"""The 支援プラン in a 重層的支援会議's packet: under each plan item, the version discussed —
本人の思い, 長期・短期目標 and who does what by when — shown as the packet's readers may see
the case (the same CaseView the packet prints, decided for everyone who may open the meeting).
Registered with meetings/hooks.py, so meetings prints it without importing plans."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from django.db.models import Prefetch
from django.template.loader import render_to_string

from .models import Goal, GoalTask, PlanAgendaItem

if TYPE_CHECKING:
    from meetings.packet import ItemSection


def packet_plans(sections: Sequence[ItemSection]) -> dict[int, str]:
    views = {s.item.pk: s.case_view for s in sections if s.case_view is not None}
    if not views:
        return {}
    tasks = GoalTask.objects.select_related("agency", "membership__user")
    goals = Goal.objects.prefetch_related(Prefetch("tasks", queryset=tasks))
    plan_items = (
        PlanAgendaItem.objects.filter(item_id__in=list(views))
        .select_related("plan")
        .prefetch_related(Prefetch("plan__goals", queryset=goals))
    )
    parts: dict[int, str] = {}
    for plan_item in plan_items:
        view = views[plan_item.item_id]
        plan = plan_item.plan
        all_goals = list(plan.goals.all())
        parts[plan_item.item_id] = render_to_string(
            "plans/pdf/_packet_plan.html",
            {
                "plan": plan,
                # Written for the readers the consent names: printed only where they are.
                "shows_text": view.decision.shows_summary,
                "long_goals": [g for g in all_goals if g.term == Goal.Term.LONG],
                "short_goals": [g for g in all_goals if g.term == Goal.Term.SHORT],
            },
        )
    return parts
