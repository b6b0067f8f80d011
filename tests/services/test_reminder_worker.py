"""A real Celery worker on the real Redis delivers a reminder end to end (issue 4)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
import redis
from django.utils import timezone

from areas.calendar import business_calendar
from sheets.models import Notification, Reminder, Sheet
from tests.conftest import World
from tests.services.conftest import (
    SHARED_REDIS_URL,
    PrivateRedis,
    Worker,
    mail_tally,
    send_sweep,
    wait_for,
)
from tests.sheets.reminder_support import make_due_sheet, personal_data_in

SENT = datetime(2026, 11, 20, 1, 0, tzinfo=UTC)
DUE = datetime(2026, 11, 25, 1, 0, tzinfo=UTC)  # Wed 10:00 JST, business hours

pytestmark = pytest.mark.django_db(transaction=True)


def expected_mails() -> set[tuple[str, str]]:
    return {
        (str(reminder_id), address)
        for reminder_id, address in Notification.objects.exclude(user__email="").values_list(
            "reminder_id", "user__email"
        )
    }


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
        lambda: Reminder.objects.filter(emailed_at__isnull=False).count() == 1,
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
    sheet.refresh_from_db()
    assert sheet.remind_step == 2


def test_embedded_beat_runs_the_sweep_on_its_own(
    world: World, make_worker: Callable[..., Worker], private_redis: PrivateRedis
) -> None:
    started = timezone.now()
    sheet = make_due_sheet(world, started - timedelta(minutes=1), now=SENT)
    worker = make_worker(
        private_redis.url, beat=True, env_extra={"TSUMUGI_REMINDER_SWEEP_SECONDS": "1"}
    )
    worker.start()
    # Beat sweeps at the real time: in business hours it sends step 1, outside them it moves
    # the cursor to the next opening. Either way the cursor leaves its place.
    wait_for(
        lambda: (
            Sheet.objects.filter(pk=sheet.pk, remind_at=sheet.remind_at, remind_step=1).count() == 0
        ),
        30,
        "embedded beat to run the sweep",
    )
    worker.stop()
    sheet.refresh_from_db()
    calendar = business_calendar()
    if Reminder.objects.filter(subject_id=sheet.pk).exists():
        assert sheet.remind_step == 2
        assert Notification.objects.filter(reminder__subject_id=sheet.pk).count() == 2
    else:
        assert sheet.remind_step == 1
        assert sheet.remind_at is not None and sheet.remind_at > started
        assert sheet.remind_at == calendar.next_opening(sheet.remind_at)
        assert not calendar.is_open_at(started) or not calendar.is_open_at(timezone.now())
