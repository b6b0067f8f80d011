"""Broker outage: Redis stopped while deadlines pass, web requests keep working, and after Redis
comes back every reminder goes out once (issue 4). Runs on a private redis-server."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client
from django.urls import reverse

from reminders.engine import sweep
from reminders.models import Mail, Notification, Reminder
from tests.conftest import World
from tests.reminders.reminder_support import clone_due_sheets, personal_data_in, reminder_notices
from tests.services.conftest import (
    PrivateRedis,
    Worker,
    celery_broker,
    mail_tally,
    send_sweep,
    wait_for,
)
from tests.services.test_reminder_worker import assert_every_notice_mailed_once, expected_mails

SENT = datetime(2026, 11, 20, 1, 0, tzinfo=UTC)
DUE = datetime(2026, 11, 25, 1, 0, tzinfo=UTC)  # Wed 10:00 JST
LATER = DUE + timedelta(minutes=30)

pytestmark = pytest.mark.django_db(transaction=True)


def test_reminders_due_during_a_broker_outage_go_out_once_after_it(
    world: World,
    make_worker: Callable[..., Worker],
    private_redis: PrivateRedis,
    client: Client,
    capsys: pytest.CaptureFixture[str],
) -> None:
    worker = make_worker(private_redis.url)
    worker.start()
    private_redis.stop()

    # Deadlines pass while the broker is down.
    clone_due_sheets(world, 20, DUE, SENT)
    clone_due_sheets(world, 10, LATER, SENT)
    # The 「新しいシート」 notices of the set-up were read when they came: the badge below
    # counts the reminded sheets (one entry each).
    Notification.objects.update(read_at=SENT)
    # A sweep from cron (the management command) still records reminders and notifications;
    # handing the mails to the broker fails and must lose nothing.
    with celery_broker(private_redis.url):
        counts = sweep(DUE)
    assert (counts.sent, counts.notifications) == (20, 40)
    assert Mail.objects.filter(sent_at__isnull=True).count() == 2  # bob and bob_boss, once each
    # The web keeps working without the broker.
    client.force_login(world.bob)
    page = client.get(reverse("notifications:list"))
    assert page.status_code == 200
    assert 'data-testid="unread-badge">20<' in page.content.decode()

    private_redis.start()
    # The worker reconnects by itself; the first beat after the outage sweeps as of then.
    send_sweep(private_redis.url, now=LATER + timedelta(minutes=1))
    wait_for(
        lambda: (
            Reminder.objects.count() == 30
            and not Mail.objects.filter(sent_at__isnull=True).exists()
        ),
        45,
        "every reminder recorded and mailed after the outage",
    )
    # Two sweeps (the one during the outage and the first after it), one mail per person each.
    wait_for(lambda: sum(mail_tally(worker.mails())[0].values()) >= 4, 15, "4 mails")
    worker.stop()

    tally, texts = mail_tally(worker.mails())
    expected = expected_mails()
    notifications = reminder_notices().count()
    distinct = reminder_notices().values("reminder_id", "user_id").distinct().count()
    with capsys.disabled():
        print(
            f"\n[outage] reminders {Reminder.objects.count()}, notifications {notifications} "
            f"(duplicate {notifications - distinct}); mails {sum(tally.values())} (missing "
            f"{len(expected - set(tally))}, duplicated {sum(n - 1 for n in tally.values())})"
        )
    assert (notifications, distinct) == (60, 60)
    assert set(tally) == expected
    assert max(tally.values()) == 1
    assert len(tally) == 4
    assert_every_notice_mailed_once()
    assert [w for t in texts for w in personal_data_in(t)] == []
