"""A worker killed with SIGKILL in the middle of a sweep, then restarted: nothing is missing and
nothing is doubled (issue 4). Runs on a private redis-server."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from reminders.models import Cursor, Mail, Reminder
from tests.conftest import World
from tests.reminders.reminder_support import clone_due_sheets, personal_data_in, reminder_notices
from tests.services.conftest import (
    PrivateRedis,
    Worker,
    beat_until,
    mail_tally,
    send_sweep,
    wait_for,
)
from tests.services.test_reminder_worker import assert_every_notice_mailed_once, expected_mails

SENT = datetime(2026, 11, 20, 1, 0, tzinfo=UTC)
DUE = datetime(2026, 11, 25, 1, 0, tzinfo=UTC)  # Wed 10:00 JST
SHEETS = 200
PER_SHEET = 2  # step 1 before acknowledgement: bob and bob_boss

pytestmark = pytest.mark.django_db(transaction=True)


def test_sigkill_mid_sweep_then_restart_loses_and_doubles_nothing(
    world: World,
    make_worker: Callable[..., Worker],
    private_redis: PrivateRedis,
    capsys: pytest.CaptureFixture[str],
) -> None:
    ids = clone_due_sheets(world, SHEETS, DUE, SENT)
    # Small batches: many transactions, so the kill lands between and inside them.
    # Two pool processes: mail tasks run beside the sweep, so the kill can also land mid-send.
    worker = make_worker(
        private_redis.url, pool="prefork", env_extra={"TSUMUGI_REMINDER_BATCH_SIZE": "5"}
    )
    worker.start()
    send_sweep(private_redis.url, now=DUE)
    wait_for(lambda: reminder_notices().count() >= 40, 30, "the sweep to be under way", step=0.01)
    worker.kill()
    at_kill = reminder_notices().count()
    assert 0 < at_kill < SHEETS * PER_SHEET, "the kill must land in the middle of the sweep"
    # Whatever was committed is whole: each recorded step has all its notifications.
    assert at_kill == Reminder.objects.count() * PER_SHEET

    worker.start()
    # The next beats (a minute later) finish the sweep and re-enqueue mails that never went out,
    # including one whose sender was killed holding its lease, once that lease has expired.
    beat_until(
        lambda: (
            Reminder.objects.count() == SHEETS
            and not Mail.objects.filter(sent_at__isnull=True).exists()
        ),
        private_redis.url,
        DUE + timedelta(minutes=1),
        60,
        "every reminder recorded and mailed after the restart",
    )
    wait_for(
        lambda: set(mail_tally(worker.mails())[0]) >= expected_mails(),
        15,
        "every mail written",
    )
    worker.stop()

    notifications = reminder_notices().count()
    distinct = reminder_notices().values("reminder_id", "user_id").distinct().count()
    reminders = Reminder.objects.values("subject_id", "deadline", "step").distinct().count()
    missing_notifications = SHEETS * PER_SHEET - distinct
    duplicate_notifications = notifications - distinct
    tally, texts = mail_tally(worker.mails())
    expected = expected_mails()
    missing_mails = len(expected - set(tally))
    duplicate_mails = {pair: n for pair, n in tally.items() if n > 1}
    with capsys.disabled():
        print(
            f"\n[crash] killed at {at_kill} notifications; after restart: reminders {reminders}, "
            f"notifications {notifications} (missing {missing_notifications}, duplicate "
            f"{duplicate_notifications}); mails {sum(tally.values())} (missing {missing_mails}, "
            f"duplicated {sum(n - 1 for n in duplicate_mails.values())}: {duplicate_mails})"
        )
    assert reminders == SHEETS
    assert (missing_notifications, duplicate_notifications) == (0, 0)
    assert missing_mails == 0
    assert set(tally) == expected
    assert not Cursor.objects.filter(subject_id__in=ids, step=1).exists()
    assert_every_notice_mailed_once()
    assert [w for t in texts for w in personal_data_in(t)] == []
