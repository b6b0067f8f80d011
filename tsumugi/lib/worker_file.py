"""Files made by the worker, never in a request (STYLE.md: side effects are rows first).

The request writes a row saying what is owed; the worker renders it after commit. Exactly one
rendering: `claim()` is a compare-and-set update (pending, or a lease that expired because a
worker died) and only the claimer renders. A broker that is down loses nothing: the page that
shows progress hands a row whose lease has expired to the broker again (`hand_over_if_stalled`).
The file is kept: it is the record of exactly what was printed.

Used by meetings.Packet (the meeting packet), sheets.SheetPrintout (one sheet on paper) and
reminders.Export (a large CSV or workbook for one person). This module imports no app: each
model subclasses `WorkerFile` and names its own task.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote

from celery import current_app
from django.core.files.base import ContentFile
from django.db import models
from django.db.models import F, Q
from django.db.models.fields.files import FieldFile
from django.http import FileResponse
from django.utils import timezone

logger = logging.getLogger(__name__)

LEASE = timedelta(minutes=5)  # a render takes seconds; a dead worker's claim expires after this
RETRY_AFTER = timedelta(seconds=30)  # a row nobody started by then is handed over again
MAX_ATTEMPTS = 3


class WorkerFile(models.Model):
    """What every worker-made file records; the subclass adds its key and its `file` field."""

    class Status(models.TextChoices):
        PENDING = "pending", "作成待ち"
        RUNNING = "running", "作成中"
        DONE = "done", "完成"
        FAILED = "failed", "作成できませんでした"

    status = models.CharField("状態", max_length=10, choices=Status.choices, default=Status.PENDING)
    requested_at = models.DateTimeField("依頼日時")
    started_at = models.DateTimeField("開始日時", null=True, blank=True)
    finished_at = models.DateTimeField("完成日時", null=True, blank=True)
    claimed_until = models.DateTimeField(null=True, blank=True, editable=False)
    attempts = models.PositiveSmallIntegerField("作成の試行回数", default=0)
    size = models.PositiveIntegerField("大きさ（バイト）", default=0)
    # Why it was not made (the asker lost the right to it, or the render failed every time).
    failure = models.CharField("作成できなかった理由", max_length=200, blank=True)

    file: FieldFile

    class Meta:
        abstract = True

    @property
    def is_ready(self) -> bool:
        return self.status == self.Status.DONE and bool(self.file)

    @property
    def has_failed(self) -> bool:
        return self.status == self.Status.FAILED


class Refused(Exception):
    """Raised by a render: the file may no longer be made (the person who asked lost the right
    to it meanwhile). The row fails at once with the message as its reason; no retry."""


FAILED_REASON = "作成中にエラーが起きました。"


def enqueue(task_name: str, pk: int) -> bool:
    """Hand one row to the broker by task name (the task module imports the worker module)."""
    try:
        current_app.tasks[task_name].apply_async((pk,), retry=False)
    except Exception:  # any broker failure: the progress page hands it over again
        logger.warning("broker unavailable: %s(%s) waits for the next look", task_name, pk)
        return False
    return True


def hand_over_if_stalled(row: WorkerFile, task_name: str, now: datetime | None = None) -> bool:
    """Called by the progress page: a row nobody is rendering (broker down, worker killed) goes
    to the broker again."""
    now = now or timezone.now()
    if row.status not in (WorkerFile.Status.PENDING, WorkerFile.Status.RUNNING):
        return False
    if row.requested_at > now - RETRY_AFTER:
        return False
    if row.claimed_until is not None and row.claimed_until > now:
        return False
    return enqueue(task_name, row.pk)


def produce[Row: WorkerFile](
    model: type[Row],
    pk: int,
    render: Callable[[Row], tuple[bytes, str, dict[str, Any]]],
    now: datetime | None = None,
    related: tuple[str, ...] = (),
) -> bool:
    """Render one row if nobody else is or did; returns whether this call rendered it.

    `render(row)` returns the bytes, the storage name and the fields to store with them (what
    the render masked, for the print record; an export's file name and type). It raises
    `Refused` when the file may no longer be made. `related`: what the render reads of the row's
    foreign keys, fetched with it (select_related)."""
    now = now or timezone.now()
    lease = now + LEASE
    Status = WorkerFile.Status
    manager = model._default_manager
    claimed = (
        manager.filter(pk=pk, status__in=[Status.PENDING, Status.RUNNING])
        .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
        .filter(attempts__lt=MAX_ATTEMPTS)
        .update(
            status=Status.RUNNING,
            claimed_until=lease,
            started_at=now,
            attempts=F("attempts") + 1,
        )
    )
    if not claimed:
        return False
    row = (manager.select_related(*related) if related else manager.all()).get(pk=pk)
    try:
        data, name, fields = render(row)
    except Refused as refusal:
        _fail(manager, pk, str(refusal) or "この書き出しを作る権限がなくなりました。")
        return False
    except Exception:
        if row.attempts >= MAX_ATTEMPTS:
            _fail(manager, pk, FAILED_REASON)
        else:
            manager.filter(pk=pk).update(status=Status.PENDING, claimed_until=None)
        raise
    row.file.save(name, ContentFile(data), save=False)
    # Only the lease this call holds: a worker that outlived its lease (another one took the
    # row over) does not overwrite the newer file.
    done = manager.filter(pk=pk, status=Status.RUNNING, claimed_until=lease).update(
        status=Status.DONE,
        file=row.file.name,
        size=len(data),
        finished_at=timezone.now(),
        claimed_until=None,
        **fields,
    )
    if not done:
        row.file.delete(save=False)
    return bool(done)


def _fail(manager: models.Manager[Any], pk: int, reason: str) -> None:
    manager.filter(pk=pk).update(
        status=WorkerFile.Status.FAILED,
        failure=reason[:200],
        finished_at=timezone.now(),
        claimed_until=None,
    )


def download(row: WorkerFile, filename: str, content_type: str = "application/pdf") -> FileResponse:
    """The kept file as an attachment, never cached (it carries people's circumstances).
    RFC 6266: an ASCII fallback name plus the UTF-8 (Japanese) one for browsers that read it."""
    response = FileResponse(row.file.open("rb"), content_type=content_type)
    fallback = filename if filename.isascii() else f"tsumugi.{filename.rpartition('.')[2]}"
    response["Content-Disposition"] = (
        f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename)}"
    )
    response["Cache-Control"] = "no-store"
    return response
