"""Celery adapters for sheets: triggers only (sheets/printout.py does the work)."""

from __future__ import annotations

from celery import shared_task

from .printout import produce


@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def produce_printout_task(printout_id: int) -> bool:
    """Render one printed sheet; a second copy of the task finds it claimed or done."""
    return produce(printout_id)
