"""Plan fixtures on top of the world: 高島市重層的支援会議 (alice's 朽木支所 and bob's 地域包括
on its roster), a consented case of 朽木 (本人同意 naming bob's agency), and `walk()`, which
takes a plan to any state through the model methods a coordinator's pages call."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import pytest

from areas.models import Body, RosterEntry
from cases.models import Case
from meetings.models import Meeting
from plans import council
from plans.models import (
    Goal,
    GoalEvaluation,
    Plan,
    PlanDecision,
    PlanError,
    Status,
    SupportDecision,
)
from tests.conftest import World, make_case
from tests.meetings.conftest import make_meeting, member

# Friday 2026-11-27 10:00 JST; the 重層的支援会議 meets on Wednesday 2026-12-09.
NOW = datetime.fromisoformat("2026-11-27T10:00:00+09:00")
REVIEW_DAY = date(2027, 3, 10)


@dataclass
class Council:
    body: Body
    meeting: Meeting


def make_council(world: World, *, day: date = date(2026, 12, 9)) -> Council:
    body, _ = Body.objects.get_or_create(
        code="juusou",
        defaults={"name": "高島市重層的支援会議", "kind": Body.Kind.JUUSOU, "area": world.city},
    )
    for user in (world.alice, world.bob):
        RosterEntry.objects.get_or_create(body=body, membership=member(user))
    return Council(body, make_meeting(world, body, day=day))


@pytest.fixture
def juusou(world: World) -> Council:
    return make_council(world)


def draft(world: World, case: Case | None = None, *, now: datetime = NOW) -> Plan:
    case = case or make_case(world, now=now)
    SupportDecision.take(
        case, by=world.coordinator, reason="8050の世帯で複数の機関の支援が必要", now=now
    )
    plan = Plan.start_draft(case, by=world.coordinator, now=now)
    fill(world, plan, now=now)
    return plan


def fill(world: World, plan: Plan, *, now: datetime = NOW) -> None:
    plan.edit(
        by=world.coordinator,
        values={
            "wish": "母と今の家で暮らし続けたい",
            "period_start": date(2026, 12, 10),
            "period_end": date(2027, 6, 30),
            "review_date": REVIEW_DAY,
        },
        now=now,
    )
    if not plan.goals.exists():
        long = plan.add_goal(by=world.coordinator, term=Goal.Term.LONG, text="地域で安心して暮らす")
        short = plan.add_goal(
            by=world.coordinator, term=Goal.Term.SHORT, text="母の介護保険サービスを使い始める"
        )
        for goal, task in ((long, "月1回の見守り訪問"), (short, "要介護認定の申請を手伝う")):
            plan.add_task(
                by=world.coordinator,
                goal=goal,
                agency=world.b,
                member=member(world.bob),
                task=task,
                due_date=date(2027, 1, 29),
                now=now,
            )


ORDER = [
    Status.DRAFT,
    Status.SUBMITTED,
    Status.APPROVED,
    Status.ACTIVE,
    Status.EVALUATED,
]


def walk(world: World, council_: Council, to: str, *, now: datetime = NOW) -> Plan:
    """A plan of a fresh consented case, moved to `to` (any state, including the ends)."""
    plan = draft(world, now=now)
    ends: dict[str, str] = {
        Status.REPLANNED: Status.EVALUATED,
        Status.CLOSED: Status.EVALUATED,
        Status.SUSPENDED: Status.ACTIVE,
    }
    target = ends.get(to, to)
    steps = ORDER[: ORDER.index(Status(target)) + 1]
    by = world.coordinator
    if Status.SUBMITTED in steps:
        plan.submit(by=by, now=now)
    if Status.APPROVED in steps:
        entry = council.put_on_agenda(plan, meeting=council_.meeting, by=by, now=now)
        council.record_decision(entry, kind=PlanDecision.Kind.APPROVAL, by=by, now=now)
    if Status.ACTIVE in steps:
        plan.start(by=by, now=now)
    if Status.EVALUATED in steps:
        for goal in plan.goals.all():
            plan.evaluate_goal(
                by=by, goal=goal, result=GoalEvaluation.Result.PARTLY, comment="", now=now
            )
        plan.finish_evaluation(by=by, now=now)
    if to == Status.REPLANNED:
        plan.replan(by=by, now=now)
    if to in (Status.CLOSED, Status.SUSPENDED):
        entry = plan.agenda_items.get()
        council.record_decision(
            entry, kind=PlanDecision.Kind.END, outcome=to, note="目標を達成した", by=by, now=now
        )
    plan.refresh_from_db()
    if plan.status != to:
        raise PlanError(f"walk() reached {plan.status}, not {to}")
    return plan
