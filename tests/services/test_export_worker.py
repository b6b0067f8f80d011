"""A real Celery worker on the real Redis produces an export the request asked for (issue 11)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import redis
from django.test import Client
from django.urls import reverse
from pytest_django.fixtures import Settings as DjangoSettings

from reminders.models import Export
from tests.conftest import World, make_case
from tests.services.conftest import SHARED_REDIS_URL, Worker, celery_broker, wait_for

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_link_the_worker_and_the_download_through_redis(
    client: Client, world: World, make_worker: Callable[..., Worker], settings: DjangoSettings
) -> None:
    make_case(world)
    redis.Redis.from_url(SHARED_REDIS_URL).flushdb()  # our own Redis db: nothing left over
    worker = make_worker(SHARED_REDIS_URL)
    worker.start()
    client.force_login(world.coordinator)

    with celery_broker(SHARED_REDIS_URL):  # the request hands the export over after commit
        asked = client.get(reverse("insight:indicators_csv"))
    export = Export.objects.get()
    assert asked["Location"] == reverse("exports:detail", args=[export.pk])
    wait_for(
        lambda: Export.objects.filter(pk=export.pk, status="done").exists(),
        60,
        f"the worker to write the export (log: {worker.log})",
    )
    worker.stop()

    settings.MEDIA_ROOT = str(Path(worker.var_dir) / "files")  # where the worker kept it
    page = client.get(asked["Location"]).content.decode()
    assert reverse("exports:file", args=[export.pk]) in page
    served = client.get(reverse("exports:file", args=[export.pk]))
    body = b"".join(served.streaming_content)  # type: ignore[attr-defined]
    assert body.startswith(b"\xef\xbb\xbf") and "相談受付件数" in body.decode("utf-8-sig")
    export.refresh_from_db()
    assert export.attempts == 1 and export.size == len(body)
