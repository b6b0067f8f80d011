"""The review date is a deadline of the reminder engine: coordinator, supervisor, office."""

from __future__ import annotations

from datetime import date, datetime

import pytest
import time_machine
from pytest_django import DjangoCaptureOnCommitCallbacks

from areas.models import Closure, Role
from plans.models import REVIEW_KIND, PlanEvent, Status
from reminders.engine import sweep
from reminders.models import Notification
from tests.conftest import World, make_member, make_user
from tests.plans.conftest import Council, walk
from tests.reminders.reminder_support import cursor, eager_celery  # noqa: F401

JST = "+09:00"

pytestmark = pytest.mark.usefixtures("eager_celery")


def at(text: str) -> datetime:
    return datetime.fromisoformat(text + JST)


def notified(step: int) -> list[str]:
    return sorted(
        Notification.objects.filter(reminder__kind="plan_review", reminder__step=step).values_list(
            "user__username", flat=True
        )
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
    assert cursor(plan.pk, REVIEW_KIND) == (None, 0)
    with time_machine.travel(at("2027-04-01T10:00:00"), tick=False):
        assert sweep(enqueue=False).by_kind["plan_review"] == 0


def test_a_closure_on_the_review_day_moves_the_review_to_the_next_business_day(
    world: World,
    juusou: Council,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    plan = walk(world, juusou, Status.ACTIVE)
    assert plan.review_due_at == at("2027-03-10T17:15:00")
    with (
        time_machine.travel(at("2027-03-01T10:00:00"), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        Closure.objects.create(date=date(2027, 3, 10), reason="臨時閉庁")
    plan.refresh_from_db()
    assert plan.review_due_at == at("2027-03-11T17:15:00")
    assert cursor(plan.pk, REVIEW_KIND) == (at("2027-03-11T17:15:00"), 1)
    assert plan.events.filter(kind=PlanEvent.Kind.REVIEW_MOVED).count() == 1
    with (
        time_machine.travel(at("2027-03-01T10:00:00"), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        Closure.objects.filter(date=date(2027, 3, 10)).delete()
    plan.refresh_from_db()
    assert plan.review_due_at == at("2027-03-10T17:15:00")
