"""Two sweeps at the same time on PostgreSQL over 1,000 due sheets: every step exactly once."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest
from django.db import connection
from django.db.backends.postgresql.features import DatabaseFeatures

from sheets.models import Notification, Reminder, Sheet
from sheets.reminders import sweep
from tests.conftest import World
from tests.sheets.reminder_support import clone_due_sheets

SENT = datetime(2026, 11, 20, 1, 0, tzinfo=UTC)
DUE = datetime(2026, 11, 25, 1, 0, tzinfo=UTC)  # Wed 10:00 JST
STEP3 = datetime(2026, 11, 30, 2, 0, tzinfo=UTC)  # Mon 11:00 JST: all three steps are due

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def run_sweeps_at_once(threads: int, batch: int) -> list[int]:
    barrier = threading.Barrier(threads)
    sent: list[int] = []
    errors: list[BaseException] = []

    def work() -> None:
        try:
            barrier.wait(timeout=10)
            sent.append(sweep(STEP3, limit=batch, enqueue=False).sent)
        except BaseException as error:  # reported by the main thread
            errors.append(error)
        finally:
            connection.close()

    workers = [threading.Thread(target=work) for _ in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(timeout=120)
    assert errors == []
    return sent


@pytest.mark.parametrize("claim", ["skip_locked", "compare_and_set"])
def test_concurrent_sweeps_send_every_step_exactly_once(
    world: World, claim: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("row locks and real concurrency need PostgreSQL")
    if claim == "compare_and_set":
        monkeypatch.setattr(DatabaseFeatures, "has_select_for_update_skip_locked", False)
    ids = clone_due_sheets(world, 1000, DUE, SENT)

    sent = run_sweeps_at_once(threads=3, batch=50)

    assert sum(sent) == 3000  # 1,000 sheets x 3 steps, however the work was split
    assert Reminder.objects.count() == 3000
    for step in (1, 2, 3):
        assert Reminder.objects.filter(step=step).values("subject_id").distinct().count() == 1000
    # step 1: bob and bob_boss; step 2: bob_boss; step 3: coord (くらし連携支援室) and alice.
    assert Notification.objects.count() == 5000
    pairs = Notification.objects.values("reminder_id", "user_id").distinct().count()
    assert pairs == 5000
    assert not Sheet.objects.filter(pk__in=ids, remind_at__isnull=False).exists()
    assert set(Sheet.objects.filter(pk__in=ids).values_list("remind_step", flat=True)) == {4}
