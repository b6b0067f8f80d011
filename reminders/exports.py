"""Large exports produced by the worker, never in a request.

Rendering the city's figures CSV at 1,000,000 sheets took 1.6 s inside the request, holding a
gunicorn worker. Now the request, once its form validated and the person re-authenticated,
records what is owed (an `Export` row: who, which kind, the validated parameters as JSON) and
sends the person to the export's page; the worker renders it after commit. The page refreshes
itself (no JavaScript) until the file is there, then offers it. The file is kept: it is the
record of exactly what was handed out. Only the person who asked sees the page or the file.

The export is computed for the scope of the person who asked, as it stands when the worker
runs (the kind re-checks that they may still have it, and refuses otherwise).

Exactly one rendering: `produce()` claims the row with a compare-and-set update (pending, or a
lease that expired because a worker died) and only the claimer renders. A broker that is down
loses nothing: every look at the page hands an export nobody is rendering to the broker again.
The same pattern as meeting packets (meetings/packet_worker.py).

Registering an export kind
    Subclass `ExportKind` in the domain app (what it is called, how it renders for a person)
    and call `register(MyKind())` from its AppConfig.ready(). The engine knows no domain.
"""

from __future__ import annotations

import hashlib
import json
import logging
from abc import ABC, abstractmethod
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from celery import current_app
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from tenancy import scope

from .models import Export

logger = logging.getLogger(__name__)

LEASE = timedelta(minutes=5)  # a render takes seconds; a dead worker's claim expires after this
RETRY_AFTER = timedelta(seconds=30)  # an export nobody started by then is handed over again
MAX_ATTEMPTS = 3
OWED = (Export.Status.PENDING, Export.Status.RUNNING)


class ExportRefused(Exception):
    """The person who asked may no longer have this export (a role ended meanwhile)."""


@dataclass(frozen=True)
class Rendered:
    content: bytes
    filename: str  # what the person's browser saves it as (Japanese)
    content_type: str


class ExportKind(ABC):
    """One kind of file a person can ask for; the domain app renders it."""

    name: str  # "insight.figures_csv": the registry key, stored on the row
    label: str  # 「相談の集計（CSV）」: what the page calls it
    scope_note: str = "依頼した方が見られる範囲で、作成する時点の内容を書き出します。"

    @abstractmethod
    def render(self, user: Any, params: dict[str, Any], now: datetime) -> Rendered:
        """The file for `user` with these parameters, as of `now`; raises ExportRefused when
        the user may not have it (checked again here: the request was a while ago)."""

    def back_url(self, params: dict[str, Any]) -> str:
        """The page the export was asked from (a link back from the export's page)."""
        return "/"


_registry: dict[str, ExportKind] = {}


def register(kind: ExportKind) -> ExportKind:
    _registry[kind.name] = kind
    return kind


def kind_of(name: str) -> ExportKind:
    return _registry[name]


def params_key(params: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(params, sort_keys=True).encode()).hexdigest()


def request_export(
    user_id: int | None, kind: str, params: dict[str, Any], now: datetime | None = None
) -> Export:
    """What the request does (for the signed-in `user_id`): the owed row (a second ask for the
    same thing while it is owed finds the first row), handed to the worker after commit."""
    assert user_id is not None, "exports are asked for by a signed-in person"
    assert kind in _registry, f"unregistered export kind {kind!r}"
    now = now or timezone.now()
    key = {"user_id": user_id, "kind": kind, "key": params_key(params)}
    existing = Export.objects.filter(**key, status__in=OWED).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            export = Export.objects.create(**key, params=params, requested_at=now)
    except IntegrityError:  # the same person asked at the same moment (two tabs)
        return Export.objects.get(**key, status__in=OWED)
    transaction.on_commit(lambda: enqueue(export.pk))
    return export


def enqueue(export_id: int) -> bool:
    try:
        # By name: tasks.py imports this module.
        task = current_app.tasks["reminders.tasks.produce_export_task"]
        task.apply_async((export_id,), retry=False)
    except Exception:  # any broker failure: the export's page hands it over again
        logger.warning("broker unavailable: export %s waits for the next look", export_id)
        return False
    return True


def hand_over_if_stalled(export: Export, now: datetime | None = None) -> bool:
    """Called by the export's page: an export nobody is rendering (broker down, worker killed)
    goes to the broker again."""
    now = now or timezone.now()
    if export.status not in OWED:
        return False
    if export.requested_at > now - RETRY_AFTER:
        return False
    if export.claimed_until is not None and export.claimed_until > now:
        return False
    return enqueue(export.pk)


def produce(export_id: int, now: datetime | None = None) -> bool:
    """Render one export if nobody else is or did; returns whether this call rendered it."""
    now = now or timezone.now()
    lease = now + LEASE
    claimed = (
        Export.objects.filter(pk=export_id, status__in=OWED)
        .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
        .filter(attempts__lt=MAX_ATTEMPTS)
        .update(
            status=Export.Status.RUNNING,
            claimed_until=lease,
            started_at=now,
            attempts=F("attempts") + 1,
        )
    )
    if not claimed:
        return False
    export = Export.objects.select_related("user").get(pk=export_id)
    try:
        # The worker works for the export's municipality: what the user's request would see.
        with scope.using(export.municipality_id):
            rendered = kind_of(export.kind).render(export.user, export.params, now)
    except ExportRefused as refusal:
        _fail(export_id, str(refusal) or "この書き出しを作る権限がなくなりました。")
        return False
    except Exception:
        if export.attempts >= MAX_ATTEMPTS:
            _fail(export_id, "作成中にエラーが起きました。")
        else:
            Export.objects.filter(pk=export_id).update(
                status=Export.Status.PENDING, claimed_until=None
            )
        raise
    suffix = rendered.filename.rpartition(".")[2]
    export.file.save(f"export-{export.pk}.{suffix}", ContentFile(rendered.content), save=False)
    # Only the lease this call holds: a worker that outlived its lease (another one took the
    # row over) does not overwrite the newer file.
    done = Export.objects.filter(
        pk=export_id, status=Export.Status.RUNNING, claimed_until=lease
    ).update(
        status=Export.Status.DONE,
        file=export.file.name,
        filename=rendered.filename,
        content_type=rendered.content_type,
        size=len(rendered.content),
        finished_at=timezone.now(),
        claimed_until=None,
    )
    if not done:
        export.file.delete(save=False)
    return bool(done)


def _fail(export_id: int, reason: str) -> None:
    Export.objects.filter(pk=export_id).update(
        status=Export.Status.FAILED,
        failure=reason[:200],
        finished_at=timezone.now(),
        claimed_until=None,
    )
