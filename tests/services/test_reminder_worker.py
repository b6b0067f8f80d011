"""A real Celery worker on the real Redis delivers a reminder end to end (issues 4, 11)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
import redis

from reminders.models import Cursor, Mail, Notification, Reminder
from sheets.models import Sheet
from tests.conftest import World
from tests.reminders.reminder_support import cursor, make_due_sheet, personal_data_in
from tests.services.conftest import (
    SHARED_REDIS_URL,
    PrivateRedis,
    Worker,
    mail_tally,
    send_sweep,
    wait_for,
)

SENT = datetime(2026, 11, 20, 1, 0, tzinfo=UTC)
DUE = datetime(2026, 11, 25, 1, 0, tzinfo=UTC)  # Wed 10:00 JST, business hours

pytestmark = pytest.mark.django_db(transaction=True)


def expected_mails() -> set[tuple[str, str]]:
    """One mail per reminder outbox row that lists a notice, to its person's address (the
    set-up's move mails count as sent: reminder_support.settle_move_mails)."""
    return {
        (str(mail_id), address)
        for mail_id, address in Mail.objects.filter(
            notifications__isnull=False, template="reminders"
        )
        .exclude(user__email="")
        .values_list("pk", "user__email")
        .distinct()
    }


def assert_every_notice_mailed_once() -> None:
    """Nothing lost: every notice belongs to a mail that went out; nothing doubled is checked
    by the caller on the mails the worker wrote (one copy per outbox row)."""
    assert not Notification.objects.filter(mail__isnull=True).exists()
    assert not Mail.objects.filter(sent_at__isnull=True).exists()


def test_the_beat_task_through_redis_records_notifies_and_mails_once(
    world: World, make_worker: Callable[..., Worker]
) -> None:
    sheet = make_due_sheet(world, DUE, now=SENT)
    # Our own Redis database (TSUMUGI_TEST_REDIS_URL): no message left over from an earlier run.
    redis.Redis.from_url(SHARED_REDIS_URL).flushdb()
    worker = make_worker(SHARED_REDIS_URL)
    worker.start()

    send_sweep(SHARED_REDIS_URL, now=DUE)
    wait_for(
        lambda: Mail.objects.filter(template="reminders", sent_at__isnull=False).count() == 2,
        30,
        "the reminder to be recorded and mailed",
    )
    send_sweep(SHARED_REDIS_URL, now=DUE + timedelta(minutes=5))  # a second beat: nothing new
    wait_for(lambda: len(worker.mails()) >= 2, 10, "two mails")
    worker.stop()

    assert sorted(
        Notification.objects.filter(reminder__subject_id=sheet.pk).values_list(
            "user__username", flat=True
        )
    ) == ["bob", "bob_boss"]
    tally, texts = mail_tally(worker.mails())
    assert set(tally) == expected_mails()
    assert max(tally.values()) == 1
    assert all(sheet.number in t or "http" in t for t in texts)
    assert [w for t in texts for w in personal_data_in(t, [sheet.case])] == []
    assert cursor(sheet.pk)[1] == 2
    assert_every_notice_mailed_once()


IN_HOURS = datetime(2026, 11, 25, 1, 30, tzinfo=UTC)  # Wed 10:30 JST
AFTER_HOURS = datetime(2026, 11, 25, 11, 0, tzinfo=UTC)  # Wed 20:00 JST
NEXT_OPENING = datetime(2026, 11, 25, 23, 30, tzinfo=UTC)  # Thu 08:30 JST


def run_embedded_beat(
    world: World, make_worker: Callable[..., Worker], broker_url: str, clock: datetime
) -> Sheet:
    """A worker with its own beat, its clock at `clock`; returns the sheet due at DUE once beat
    has swept it (its cursor left DUE)."""
    sheet = make_due_sheet(world, DUE, now=SENT)
    worker = make_worker(
        broker_url, beat=True, clock=clock, env_extra={"TSUMUGI_REMINDER_SWEEP_SECONDS": "1"}
    )
    worker.start()
    wait_for(
        lambda: (
            not Cursor.objects.filter(
                kind="sheet", subject_id=sheet.pk, remind_at=DUE, step=1
            ).exists()
        ),
        30,
        "embedded beat to run the sweep",
    )
    worker.stop()
    sheet.refresh_from_db()
    return sheet


def test_embedded_beat_in_office_hours_sends_step_one(
    world: World, make_worker: Callable[..., Worker], private_redis: PrivateRedis
) -> None:
    sheet = run_embedded_beat(world, make_worker, private_redis.url, IN_HOURS)

    assert cursor(sheet.pk)[1] == 2
    assert Reminder.objects.filter(subject_id=sheet.pk, step=1).count() == 1
    assert sorted(
        Notification.objects.filter(reminder__subject_id=sheet.pk).values_list(
            "user__username", flat=True
        )
    ) == ["bob", "bob_boss"]


def test_embedded_beat_after_office_hours_waits_for_the_next_opening(
    world: World, make_worker: Callable[..., Worker], private_redis: PrivateRedis
) -> None:
    sheet = run_embedded_beat(world, make_worker, private_redis.url, AFTER_HOURS)

    assert cursor(sheet.pk) == (NEXT_OPENING, 1)
    assert not Reminder.objects.filter(subject_id=sheet.pk).exists()
    assert not Notification.objects.filter(reminder__isnull=False).exists()
