"""Two coordinators approving the same plan at the same moment: exactly one approval
(PostgreSQL only; SQLite ignores select_for_update and serialises writers anyway)."""

from __future__ import annotations

import threading
from collections import Counter

import pytest
from django.contrib.auth import get_user_model
from django.db import connection

from areas.models import Role
from plans import council
from plans.models import Plan, PlanAgendaItem, PlanDecision, PlanError, Status
from tests.conftest import World, make_member, make_user
from tests.plans.conftest import Council, draft

THREADS = 8
RUNS = 3

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL row locks"),
]


def approve_at_once(entry_pk: int, names: list[str]) -> list[str]:
    """Each coordinator records 承認 behind one barrier; "ok" or the refusal text."""
    barrier = threading.Barrier(len(names))
    results: list[str] = []
    lock = threading.Lock()

    def approve(name: str) -> None:
        try:
            user = get_user_model().objects.get(username=name)
            on_agenda = PlanAgendaItem.objects.select_related(
                "item__meeting__body", "plan__case"
            ).get(pk=entry_pk)
            barrier.wait()
            council.record_decision(on_agenda, kind=PlanDecision.Kind.APPROVAL, by=user)
            result = "ok"
        except PlanError as refused:
            result = str(refused)
        except Exception as error:  # a deadlock or a lost lock would show up here
            result = f"ERROR {type(error).__name__}: {error}"
        finally:
            connection.close()
        with lock:
            results.append(result)

    pool = [threading.Thread(target=approve, args=(n,)) for n in names]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join(timeout=60)
    assert len(results) == len(names)
    return results


def test_two_coordinators_approving_at_once_one_wins(world: World, juusou: Council) -> None:
    names = [f"coord{i}" for i in range(THREADS)]
    for name in names:
        make_member(make_user(name), world.office, Role.COORDINATOR)
    for _ in range(RUNS):
        plan = draft(world)
        plan.submit(by=world.coordinator)
        entry = council.put_on_agenda(plan, meeting=juusou.meeting, by=world.coordinator)
        results = approve_at_once(entry.pk, names)
        outcomes = Counter("ok" if r == "ok" else r.split("（")[0] for r in results)
        assert outcomes == {"ok": 1, "承認できるのは会議に提出されたプランだけです": THREADS - 1}
        plan.refresh_from_db()
        assert plan.status == Status.APPROVED
        assert plan.events.filter(kind="approved").count() == 1
        assert PlanDecision.objects.filter(plan_item=entry).count() == 1
        # Free the case for the next run (終結 through the same meeting).
        council.record_decision(
            entry,
            kind=PlanDecision.Kind.END,
            outcome=Status.CLOSED,
            note="次へ",
            by=world.coordinator,
        )
        assert Plan.objects.get(pk=plan.pk).status == Status.CLOSED
