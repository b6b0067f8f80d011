"""Celery tasks: triggers only. The database decides what is due and what was sent.

Both tasks are safe to run twice: the sweep claims rows with locks or compare-and-set updates, and
the mail task holds a lease on the Reminder row and checks `emailed_at` before sending.
"""

from __future__ import annotations

from datetime import datetime

from celery import shared_task

from .reminders import deliver_reminder_email, sweep


@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def send_due_reminders_task(now: str | None = None) -> dict[str, int]:
    """The periodic sweep. `now` (ISO 8601) sweeps as of another time: for operators replaying
    a period and for tests, which cannot move a worker's clock."""
    counts = sweep(datetime.fromisoformat(now) if now else None)
    return {
        "sent": counts.sent,
        "notifications": counts.notifications,
        "deferred": counts.deferred,
        "emails_requeued": counts.emails_requeued,
    }


@shared_task(
    acks_late=True,
    reject_on_worker_lost=True,
    ignore_result=True,
    autoretry_for=(Exception,),
    retry_backoff=10,
    retry_backoff_max=600,
    retry_jitter=True,
    max_retries=8,
)
def send_reminder_emails(reminder_ids: list[int]) -> int:
    """Mails for a batch of reminders (one broker message per batch, not per reminder: at
    100,000 due sheets the per-message cost dominated the sweep). A retry or re-delivery skips
    the reminders already mailed: each has its own lease and `emailed_at`."""
    return sum(deliver_reminder_email(reminder_id) for reminder_id in reminder_ids)
