"""Reminder mail through the outbox: one mail per person per sweep, at least once, never twice in
normal operation, and nothing lost when the broker or the mail server is down (issues 4, 11).
The in-app notification never comes from the mail task."""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from io import StringIO
from typing import Any

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import connection

from reminders import tasks
from reminders.engine import send_due_reminders, sweep
from reminders.models import Mail, Notification
from reminders.outbox import deliver
from tests.conftest import World
from tests.reminders.reminder_support import (
    eager_celery,  # noqa: F401
    mail_texts,
    make_due_sheet,
    personal_data_in,
    reminder_notices,
)

SENT = datetime(2026, 11, 20, 1, 0, tzinfo=UTC)
DUE = datetime(2026, 11, 25, 1, 0, tzinfo=UTC)  # Wed 10:00 JST

Capture = Callable[..., Any]


@pytest.fixture(autouse=True)
def no_personal_data_in_any_mail() -> Iterator[None]:
    yield
    assert [w for text in mail_texts() for w in personal_data_in(text)] == []


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])  # nothing listens there once the socket is closed


@pytest.fixture
def smtp_down(settings: Any) -> None:
    """The real SMTP backend pointed at a port where no mail server answers."""
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": closed_port(), "timeout": 2},
        }
    }


def mail_ids() -> list[int]:
    return list(Mail.objects.order_by("pk").values_list("pk", flat=True))


def test_several_reminders_due_in_one_sweep_make_one_mail_per_person(world: World) -> None:
    sheets = [make_due_sheet(world, DUE - timedelta(minutes=i), now=SENT) for i in range(3)]
    assert send_due_reminders(DUE) == 3
    assert reminder_notices().count() == 6
    assert Mail.objects.filter(template=Mail.Template.REMINDERS).count() == 2  # bob, bob_boss
    assert deliver(mail_ids()) == 2
    assert sorted(m.to[0] for m in mail.outbox) == ["bob@example.jp", "bob_boss@example.jp"]
    body = str(mail.outbox[0].body)
    assert all(sheet.number in body for sheet in sheets)
    assert "督促 3件" in str(mail.outbox[0].subject)


def test_a_long_list_names_the_first_twenty_and_counts_the_rest(world: World) -> None:
    for i in range(23):
        make_due_sheet(world, DUE - timedelta(minutes=i), now=SENT)
    send_due_reminders(DUE)
    deliver(mail_ids())
    body = str(mail.outbox[0].body)
    assert body.count("/sheets/") == 20
    assert "ほか3件は通知の一覧" in body


def test_delivering_twice_sends_once(world: World) -> None:
    make_due_sheet(world, DUE, now=SENT)
    send_due_reminders(DUE)
    before = Notification.objects.count()
    assert deliver(mail_ids()) == 2
    assert deliver(mail_ids()) == 0  # a re-delivered or re-enqueued task
    assert len(mail.outbox) == 2
    assert Notification.objects.count() == before  # the task never adds notifications


def test_a_task_in_hand_keeps_a_second_copy_out(world: World) -> None:
    make_due_sheet(world, DUE, now=SENT)
    send_due_reminders(DUE)
    Mail.objects.update(claimed_until=datetime.now(UTC) + timedelta(minutes=5), claimed_by="x")
    assert deliver(mail_ids()) == 0
    assert mail.outbox == []


def test_delivery_costs_one_query_per_mail_plus_the_lease(
    world: World, django_assert_num_queries: Any
) -> None:
    for i in range(3):
        make_due_sheet(world, DUE - timedelta(minutes=i), now=SENT)
    send_due_reminders(DUE)
    ids = mail_ids()
    # On PostgreSQL 1 the lease UPDATE returning the mails with their people and notices;
    # elsewhere 1 the lease UPDATE, 2 the leased mails with their people, 3 the notices they
    # list (window); then one UPDATE per mail recording it sent (2 mails).
    with django_assert_num_queries(1 + 2 if connection.vendor == "postgresql" else 3 + 2):
        assert deliver(ids) == 2


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's commit setting")
def test_recording_a_mail_sent_leaves_every_other_commit_durable(world: World) -> None:
    """Each mail's record commits without waiting for the disk (reminders.outbox.record_sent),
    for that statement's own transaction only: the worker's connection, which also runs
    sweeps, still waits for the flush afterwards."""
    make_due_sheet(world, DUE, now=SENT)
    send_due_reminders(DUE)
    assert deliver(mail_ids()) == 2
    assert not Mail.objects.filter(sent_at__isnull=True).exists()
    with connection.cursor() as cursor:
        cursor.execute("SHOW synchronous_commit")
        assert cursor.fetchone() == ("on",)


def test_the_mail_server_down_gives_the_lease_back_for_the_retry(
    world: World, smtp_down: None, settings: Any
) -> None:
    make_due_sheet(world, DUE, now=SENT)
    send_due_reminders(DUE)
    with pytest.raises(OSError):
        deliver(mail_ids())
    reminder_mails = Mail.objects.filter(template=Mail.Template.REMINDERS)
    assert (
        list(reminder_mails.values_list("sent_at", "claimed_until", "claimed_by"))
        == [(None, None, "")] * 2
    )
    settings.MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
    assert deliver(mail_ids()) == 2


@pytest.mark.usefixtures("eager_celery")
def test_a_broker_down_at_commit_loses_no_mail(
    world: World, monkeypatch: pytest.MonkeyPatch, django_capture_on_commit_callbacks: Capture
) -> None:
    make_due_sheet(world, DUE, now=SENT)

    def broker_down(*args: object, **kwargs: object) -> None:
        raise OSError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(tasks.deliver_mails_task, "apply_async", broker_down)
    with django_capture_on_commit_callbacks(execute=True):
        assert send_due_reminders(DUE) == 1
    assert reminder_notices().count() == 2  # in-app notices do not wait for the broker
    assert not Mail.objects.filter(template="reminders", sent_at__isnull=False).exists()
    monkeypatch.undo()

    with django_capture_on_commit_callbacks(execute=True):
        counts = sweep(DUE + timedelta(seconds=30))  # too early to be sure the mail is lost
    assert counts.mails_requeued == 0
    with django_capture_on_commit_callbacks(execute=True):
        counts = sweep(DUE + timedelta(minutes=2))
    assert counts.mails_requeued == 2
    assert sorted(m.to[0] for m in mail.outbox) == ["bob@example.jp", "bob_boss@example.jp"]
    assert not Mail.objects.filter(sent_at__isnull=True).exists()
    with django_capture_on_commit_callbacks(execute=True):
        assert sweep(DUE + timedelta(minutes=5)).mails_requeued == 0
    assert len(mail.outbox) == 2


def test_the_management_command_runs_one_sweep_and_can_mail_itself(world: World) -> None:
    make_due_sheet(world, DUE, now=SENT)
    out = StringIO()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("reminders.engine.timezone.now", lambda: DUE)
        call_command("send_due_reminders", "--inline-mail", stdout=out)
    assert "督促 1 件（通知 2 件、メール 2 通）" in out.getvalue()
    assert "このプロセスで送ったメール 2 通" in out.getvalue()
    assert len(mail.outbox) == 2
    assert not Mail.objects.filter(sent_at__isnull=True).exists()


def test_people_without_an_address_still_get_the_in_app_notice(world: World) -> None:
    world.bob.email = ""
    world.bob.save()
    make_due_sheet(world, DUE, now=SENT)
    send_due_reminders(DUE)
    assert deliver(mail_ids()) == 1
    assert [m.to for m in mail.outbox] == [["bob_boss@example.jp"]]
    assert reminder_notices().filter(user=world.bob).count() == 1
    assert not Mail.objects.filter(sent_at__isnull=True).exists()  # nothing left owed
