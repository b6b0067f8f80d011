"""Large exports produced by the worker, never in a request.

Rendering the city's figures CSV at 1,000,000 sheets took 1.6 s inside the request, holding a
gunicorn worker. Now the request, once its form validated and the person re-authenticated,
records what is owed (an `Export` row: who, which kind, the validated parameters as JSON) and
sends the person to the export's page; the worker renders it after commit. The page refreshes
itself (no JavaScript) until the file is there, then offers it. The file is kept: it is the
record of exactly what was handed out. Only the person who asked sees the page or the file.

The export is computed for the scope of the person who asked, as it stands when the worker
runs (the kind re-checks that they may still have it, and refuses otherwise).

Exactly one rendering, and a broker that is down loses nothing: the claim, the lease, the
retries and the hand-over of a stalled row are those of every worker-made file
(tsumugi/lib/worker_file.py, as meeting packets and printed sheets).

Registering an export kind
    Subclass `ExportKind` in the domain app (what it is called, how it renders for a person)
    and call `register(MyKind())` from its AppConfig.ready(). The engine knows no domain.
"""

from __future__ import annotations

import hashlib
import json
from abc import ABC, abstractmethod
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from tenancy import scope
from tsumugi.lib import worker_file

from .models import Export

# By name: tasks.py imports this module.
TASK = "reminders.tasks.produce_export_task"
OWED = (Export.Status.PENDING, Export.Status.RUNNING)


class ExportRefused(worker_file.Refused):
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
    return worker_file.enqueue(TASK, export_id)


def hand_over_if_stalled(export: Export, now: datetime | None = None) -> bool:
    """Called by the export's page: an export nobody is rendering (broker down, worker killed)
    goes to the broker again."""
    return worker_file.hand_over_if_stalled(export, TASK, now)


def produce(export_id: int, now: datetime | None = None) -> bool:
    """Render one export if nobody else is or did; returns whether this call rendered it."""
    now = now or timezone.now()

    def render(export: Export) -> tuple[bytes, str, dict[str, Any]]:
        # The worker works for the export's municipality: what the user's request would see.
        with scope.using(export.municipality_id):
            rendered = kind_of(export.kind).render(export.user, export.params, now)
        suffix = rendered.filename.rpartition(".")[2]
        fields = {"filename": rendered.filename, "content_type": rendered.content_type}
        return rendered.content, f"export-{export.pk}.{suffix}", fields

    return worker_file.produce(Export, export_id, render, now, related=("user",))
