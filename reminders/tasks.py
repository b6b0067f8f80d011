"""Celery tasks: triggers only. The database decides what is due, what is owed and what was sent.

Every task is safe to run twice: the sweep claims cursors with compare-and-set updates, a
recount is marked done under a row lock, and mail delivery leases each outbox row and checks
`sent_at` before sending.
"""

from __future__ import annotations

from datetime import datetime

from celery import shared_task

from . import engine, exports, outbox


@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def sweep_task(now: str | None = None) -> dict[str, int]:
    """The periodic sweep. `now` (ISO 8601) sweeps as of another time: for operators replaying
    a period and for tests, which cannot move a worker's clock."""
    counts = engine.sweep(datetime.fromisoformat(now) if now else None)
    return {
        "sent": counts.sent,
        "notifications": counts.notifications,
        "deferred": counts.deferred,
        "mails": counts.mails,
        "mails_requeued": counts.mails_requeued,
        "digests": counts.digests,
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
def deliver_mails_task(mail_ids: list[int]) -> int:
    """A chunk of outbox mails. A retry or re-delivery skips those already sent."""
    return outbox.deliver(mail_ids)


@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def recount_deadlines_task(recount_id: int) -> int:
    """Recount every kind's open deadlines after a closure was added or removed."""
    return engine.run_recount(recount_id)


@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def produce_export_task(export_id: int) -> bool:
    """Render one export; a second copy of the task finds it claimed or done and does nothing."""
    return exports.produce(export_id)
