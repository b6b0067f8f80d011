"""Reminder mail: at least once, never twice in normal operation, and nothing lost when the
broker is down (issue 4). The in-app notification never comes from the mail task."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from io import StringIO
from typing import Any

import pytest
from django.core import mail
from django.core.management import call_command

from sheets import tasks
from sheets.models import Notification, Reminder
from sheets.reminders import deliver_reminder_email, send_due_reminders, sweep
from tests.conftest import World
from tests.sheets.reminder_support import (
    eager_celery,  # noqa: F401
    mail_texts,
    make_due_sheet,
    personal_data_in,
)

SENT = datetime(2026, 11, 20, 1, 0, tzinfo=UTC)
DUE = datetime(2026, 11, 25, 1, 0, tzinfo=UTC)  # Wed 10:00 JST

Capture = Callable[..., Any]


@pytest.fixture(autouse=True)
def no_personal_data_in_any_mail() -> Iterator[None]:
    yield
    assert [w for text in mail_texts() for w in personal_data_in(text)] == []


def test_delivering_twice_sends_once(world: World) -> None:
    make_due_sheet(world, DUE, now=SENT)
    send_due_reminders(DUE)
    reminder = Reminder.objects.get()
    assert deliver_reminder_email(reminder.pk) == 2
    assert deliver_reminder_email(reminder.pk) == 0  # a re-delivered or re-enqueued task
    assert len(mail.outbox) == 2
    assert Notification.objects.count() == 2  # the task never adds notifications


def test_a_task_in_hand_keeps_a_second_copy_out(world: World) -> None:
    make_due_sheet(world, DUE, now=SENT)
    send_due_reminders(DUE)
    reminder = Reminder.objects.get()
    Reminder.objects.filter(pk=reminder.pk).update(
        email_claimed_until=datetime.now(UTC) + timedelta(minutes=5)
    )
    assert deliver_reminder_email(reminder.pk) == 0
    assert mail.outbox == []


def test_a_failed_send_gives_the_lease_back_for_the_retry(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_due_sheet(world, DUE, now=SENT)
    send_due_reminders(DUE)
    reminder = Reminder.objects.get()

    def refuse(*args: object, **kwargs: object) -> int:
        raise ConnectionRefusedError("SMTP server down")

    monkeypatch.setattr("django.core.mail.EmailMessage.send", refuse)
    with pytest.raises(ConnectionRefusedError):
        deliver_reminder_email(reminder.pk)
    reminder.refresh_from_db()
    assert (reminder.emailed_at, reminder.email_claimed_until) == (None, None)
    monkeypatch.undo()
    assert deliver_reminder_email(reminder.pk) == 2


@pytest.mark.usefixtures("eager_celery")
def test_a_broker_down_at_commit_loses_no_mail(
    world: World, monkeypatch: pytest.MonkeyPatch, django_capture_on_commit_callbacks: Capture
) -> None:
    make_due_sheet(world, DUE, now=SENT)

    def broker_down(*args: object, **kwargs: object) -> None:
        raise OSError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(tasks.send_reminder_emails, "apply_async", broker_down)
    with django_capture_on_commit_callbacks(execute=True):
        assert send_due_reminders(DUE) == 1
    assert Notification.objects.count() == 2  # in-app notices do not wait for the broker
    assert Reminder.objects.get().emailed_at is None
    monkeypatch.undo()

    with django_capture_on_commit_callbacks(execute=True):
        counts = sweep(DUE + timedelta(seconds=30))  # too early to be sure the mail is lost
    assert counts.emails_requeued == 0
    with django_capture_on_commit_callbacks(execute=True):
        counts = sweep(DUE + timedelta(minutes=2))
    assert counts.emails_requeued == 1
    assert sorted(m.to[0] for m in mail.outbox) == ["bob@example.jp", "bob_boss@example.jp"]
    assert Reminder.objects.get().emailed_at is not None
    with django_capture_on_commit_callbacks(execute=True):
        assert sweep(DUE + timedelta(minutes=5)).emails_requeued == 0
    assert len(mail.outbox) == 2


def test_the_management_command_runs_one_sweep_and_can_mail_itself(world: World) -> None:
    make_due_sheet(world, DUE, now=SENT)
    out = StringIO()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("sheets.reminders.timezone.now", lambda: DUE)
        call_command("send_due_reminders", "--inline-mail", stdout=out)
    assert "督促 1 件（通知 2 件）" in out.getvalue()
    assert "このプロセスで送ったメール 2 通" in out.getvalue()
    assert len(mail.outbox) == 2
    assert Reminder.objects.get().emailed_at is not None


def test_people_without_an_address_still_get_the_in_app_notice(world: World) -> None:
    world.bob.email = ""
    world.bob.save()
    make_due_sheet(world, DUE, now=SENT)
    send_due_reminders(DUE)
    assert deliver_reminder_email(Reminder.objects.get().pk) == 1
    assert [m.to for m in mail.outbox] == [["bob_boss@example.jp"]]
    assert Notification.objects.filter(user=world.bob).count() == 1
