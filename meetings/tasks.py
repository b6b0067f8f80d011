"""Celery adapters for meetings: triggers only (meetings/packet_worker.py does the work)."""

from __future__ import annotations

from celery import shared_task

from .packet_worker import produce


@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def produce_packet_task(packet_id: int) -> bool:
    """Render one packet; a second copy of the task finds it claimed or done and does nothing."""
    return produce(packet_id)
