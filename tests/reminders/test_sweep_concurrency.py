"""Sweeps at the same time on PostgreSQL: every step exactly once, the work split between them.

The stress test runs three sweeps over 1,000 sheets; the two paused-sweep tests order the
connections by hand so the claim (compare-and-set, or SKIP LOCKED) is what decides.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime
from typing import Any

import pytest
from django.db import connection, transaction
from django.db.backends.postgresql.features import DatabaseFeatures

from reminders.engine import claim, due_cursors, sweep
from reminders.models import Cursor, Mail, Reminder
from tests.conftest import World
from tests.reminders.reminder_support import clone_due_sheets, reminder_notices

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
    assert reminder_notices().count() == 5000
    pairs = reminder_notices().values("reminder_id", "user_id").distinct().count()
    assert pairs == 5000
    cursors = Cursor.objects.filter(kind="sheet", subject_id__in=ids)
    assert not cursors.filter(remind_at__isnull=False).exists()
    assert set(cursors.values_list("step", flat=True)) == {4}
    # Each person got one mail per sweep that notified them, listing every notice once.
    assert not reminder_notices().filter(mail__isnull=True).exists()


class PausedSweep:
    """A sweep in its own thread and connection that stops inside its first batch, at a point the
    test picks, until the test lets it go on. Django's execute_wrapper sees every statement of that
    connection only (nothing of the engine is replaced); the rowcount of each cursor UPDATE is kept
    (on PostgreSQL one UPDATE claims the whole batch).
    """

    def __init__(self, now: datetime, pause_after: str, nth: int = 1) -> None:
        self.now = now
        self.pause_after = pause_after  # "read": the due SELECT; "claim": the first cursor UPDATE
        self.nth = nth  # at the nth such statement
        self.seen = 0
        self.paused = threading.Event()
        self.resume = threading.Event()
        self.update_rowcounts: list[int] = []
        self.sent: int | None = None
        self.skipped: int | None = None
        self.errors: list[BaseException] = []
        self.thread = threading.Thread(target=self.run)

    def wrapper(self, execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        result = execute(sql, params, many, context)
        # The batch's own read (not the query of which municipalities have work, whose EXISTS
        # also names remind_at).
        is_read = sql.startswith('SELECT "reminders_cursor"') and '"remind_at" <=' in sql
        is_claim = 'UPDATE "reminders_cursor"' in sql  # (after the batch's WITH on PostgreSQL)
        if is_claim:
            self.update_rowcounts.append(context["cursor"].rowcount)
        point = is_read if self.pause_after == "read" else is_claim
        self.seen += point
        if point and self.seen == self.nth and not self.paused.is_set():
            self.paused.set()
            if not self.resume.wait(timeout=30):
                raise AssertionError("the test never let the paused sweep go on")
        return result

    def run(self) -> None:
        try:
            with connection.execute_wrapper(self.wrapper):
                counts = sweep(self.now, limit=50, enqueue=False)
            self.sent, self.skipped = counts.sent, counts.skipped
        except BaseException as error:  # reported by the main thread
            self.errors.append(error)
        finally:
            connection.close()

    def __enter__(self) -> PausedSweep:
        self.thread.start()
        assert self.paused.wait(timeout=30), "the sweep never reached its pause"
        return self

    def __exit__(self, *exc: object) -> None:
        self.resume.set()
        self.thread.join(timeout=60)
        assert not self.thread.is_alive()


def test_a_stale_compare_and_set_claim_changes_no_row(
    world: World, monkeypatch: pytest.MonkeyPatch, settings: Any
) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("two connections at once need PostgreSQL")
    monkeypatch.setattr(DatabaseFeatures, "has_select_for_update_skip_locked", False)
    settings.REMINDER_SWEEP_LANES = 1  # two sweeps of one connection each, ordered by hand
    ids = clone_due_sheets(world, 20, DUE, SENT)

    # A reads the 20 due rows (step 1) and stops; B claims and finishes all three steps of each.
    with PausedSweep(DUE, pause_after="read") as a:
        b = sweep(STEP3, limit=50, enqueue=False)
    assert a.errors == []

    assert b.sent == 60
    # A's compare-and-set saw cursors that had moved: its batch UPDATE changed no row, it
    # recorded nothing and left B's cursors (ladder finished) alone.
    assert a.update_rowcounts == [0]
    assert (a.sent, a.skipped) == (0, 20)
    assert Reminder.objects.count() == 60
    cursors = Cursor.objects.filter(kind="sheet", subject_id__in=ids)
    assert set(cursors.values_list("step", "remind_at")) == {(4, None)}


def test_a_second_sweep_skips_the_rows_the_first_holds(world: World, settings: Any) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL")
    settings.REMINDER_SWEEP_LANES = 1  # two sweeps of one connection each
    clone_due_sheets(world, 120, DUE, SENT)

    # A claims its first batch of 50 and stops before commit, holding the row locks. B must
    # neither wait for them nor take them: it does the other 70 sheets, A then does its 50.
    with PausedSweep(STEP3, pause_after="claim") as a:
        b = sweep(STEP3, limit=50, enqueue=False)
    assert a.errors == []

    assert (a.sent, b.sent) == (50 * 3, 70 * 3)
    assert b.skipped == 0
    assert Reminder.objects.count() == 360
    assert Reminder.objects.values("subject_id", "step").distinct().count() == 360


def test_the_compare_and_set_claim_loses_to_a_claim_made_after_it_read(world: World) -> None:
    """Connection A reads the due cursors; connection B claims them and commits; A's claim then
    changes no row, so A records nothing — deterministically, without timing."""
    if connection.vendor != "postgresql":
        pytest.skip("two connections on one database: PostgreSQL")
    ids = clone_due_sheets(world, 3, DUE, SENT)
    seen = list(due_cursors(DUE))  # A reads, no lock held
    assert [c.subject_id for c in seen] == ids

    def b_claims() -> None:
        try:
            with transaction.atomic():
                fresh = list(due_cursors(DUE))
                assert len(claim(fresh, lambda c: (None, c.step + 1))) == 3
        finally:
            connection.close()

    other = threading.Thread(target=b_claims)
    other.start()
    other.join(timeout=30)
    with transaction.atomic():
        assert claim(seen, lambda c: (DUE, 2)) == []  # A: every row changed meanwhile
    assert set(Cursor.objects.filter(subject_id__in=ids).values_list("step", flat=True)) == {2}
    assert set(Cursor.objects.filter(subject_id__in=ids).values_list("remind_at", flat=True)) == {
        None
    }


def test_the_lanes_of_one_sweep_work_side_by_side_and_mail_each_person_once(
    world: World, settings: Any
) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("lanes need PostgreSQL")
    settings.REMINDER_SWEEP_LANES = 2
    clone_due_sheets(world, 120, DUE, SENT)

    # The first batch (50 step-1 cursors, full) runs alone and shows there is more: the second
    # lane starts. The sweep's own lane then stops after claiming its second batch of 50
    # (step 1 of 50 other sheets), holding it; the other lane must meanwhile do every step it
    # can on its own connection (steps 2 and 3 of the first 50 sheets, all three of the last
    # 20: 160), and only then does the test let the first go on.
    with PausedSweep(STEP3, pause_after="claim", nth=2) as a:
        deadline = time.monotonic() + 25
        while Reminder.objects.count() < 50 + 160 and time.monotonic() < deadline:
            time.sleep(0.05)
        done_while_paused = Reminder.objects.count()
    assert a.errors == []

    assert done_while_paused == 50 + 160
    assert a.sent == 360  # the sweep's counts add both lanes'
    assert Reminder.objects.values("subject_id", "step").distinct().count() == 360
    # bob, bob_boss, coord and alice each heard from both lanes: still one mail each, and
    # every notice of theirs is listed in it.
    notices = reminder_notices()
    assert notices.count() == 120 * 5
    assert not notices.filter(mail__isnull=True).exists()
    mails = Mail.objects.filter(template=Mail.Template.REMINDERS)
    assert mails.count() == notices.values("user_id").distinct().count() == 4
    assert notices.values("user_id", "mail_id").distinct().count() == 4
