"""The review date is a deadline of the reminder engine: coordinator, supervisor, office."""

from __future__ import annotations

from datetime import datetime

import time_machine

from areas.models import Role
from plans.models import PlanEvent, Status
from sheets.models import Notification
from sheets.reminders import sweep
from tests.conftest import World, make_member, make_user
from tests.plans.conftest import Council, walk

JST = "+09:00"


def at(text: str) -> datetime:
    return datetime.fromisoformat(text + JST)


def notified(step: int) -> list[str]:
    return sorted(
        Notification.objects.filter(
            reminder__subject="plan_review", reminder__step=step
        ).values_list("user__username", flat=True)
    )


def test_the_review_date_climbs_the_ladder_once_per_step(world: World, juusou: Council) -> None:
    boss = make_user("office_chief", "室長", "花")
    make_member(boss, world.office, Role.SUPERVISOR, "室長")
    plan = walk(world, juusou, Status.ACTIVE)
    # Review day Wednesday 2027-03-10: due at 17:15 Tokyo time.
    assert plan.review_due_at == at("2027-03-10T17:15:00")
    assert sweep(at("2027-03-10T17:00:00"), enqueue=False).by_kind["plan_review"] == 0
    with time_machine.travel(at("2027-03-11T09:00:00"), tick=False):
        assert sweep(enqueue=False).by_kind["plan_review"] == 1
        assert sweep(enqueue=False).by_kind["plan_review"] == 0
    assert notified(1) == ["coord"]
    with time_machine.travel(at("2027-03-12T10:00:00"), tick=False):
        sweep(enqueue=False)
    assert notified(2) == ["office_chief"]
    with time_machine.travel(at("2027-03-18T09:00:00"), tick=False):
        sweep(enqueue=False)
    assert notified(3) == ["coord"]
    assert plan.events.filter(kind=PlanEvent.Kind.REMINDER).count() == 3
    title = Notification.objects.filter(reminder__step=1).get().title
    assert plan.case.number in title and "見直し期日" in title
    assert "山田" not in title


def test_an_evaluated_plan_is_not_reminded(world: World, juusou: Council) -> None:
    plan = walk(world, juusou, Status.EVALUATED)
    assert plan.remind_at is None
    with time_machine.travel(at("2027-04-01T10:00:00"), tick=False):
        assert sweep(enqueue=False).by_kind["plan_review"] == 0
