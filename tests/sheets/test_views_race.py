"""Through the pages: two people of the receiving agency press 受理 (or 終結) at the same
moment. Exactly one succeeds; the other is told the state moved, never a 500 (PostgreSQL only:
SQLite ignores row locks and serialises writers anyway)."""

from __future__ import annotations

import threading

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from cases.models import Event
from sheets.models import Outcome
from tests.conftest import World, make_sheet

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL row locks"),
]

RUNS = 3


def post_at_once(clients: list[Client], url: str, data: dict[str, object]) -> list[str]:
    barrier = threading.Barrier(len(clients))
    pages: list[str] = []
    lock = threading.Lock()

    def worker(client: Client) -> None:
        try:
            barrier.wait()
            response = client.post(url, data, follow=True)
            page = f"{response.status_code} {response.content.decode()}"
        except Exception as error:  # a 500 is re-raised by the test client
            page = f"ERROR {type(error).__name__}: {error}"
        finally:
            connection.close()
        with lock:
            pages.append(page)

    threads = [threading.Thread(target=worker, args=(c,)) for c in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(pages) == len(clients)
    return pages


def two_of_b(world: World) -> list[Client]:
    clients = []
    for user in (world.bob, world.bob_boss):
        client = Client()
        client.force_login(user)
        clients.append(client)
    return clients


def test_two_acknowledgements_at_once_one_wins_one_is_told(world: World) -> None:
    for _ in range(RUNS):
        sheet = make_sheet(world)
        url = reverse("sheets:acknowledge", args=[sheet.pk])
        pages = post_at_once(two_of_b(world), url, {"assignee": world.bob.pk, "roles": "包括"})
        assert all(page.startswith("200 ") for page in pages), [p[:200] for p in pages]
        assert sum("を受理しました。" in page for page in pages) == 1
        assert sum("受理できるのは受理待ちのシートだけです。" in page for page in pages) == 1
        assert Event.objects.filter(sheet=sheet, kind=Event.Kind.ACKNOWLEDGED).count() == 1


def test_two_closes_at_once_one_wins_one_is_told(world: World) -> None:
    # A transactional test starts from flushed tables: the outcome rows of the data migration
    # may be gone.
    support, _ = Outcome.objects.get_or_create(code="support", defaults={"name": "支援開始"})
    for _ in range(RUNS):
        sheet = make_sheet(world)
        sheet.acknowledge(by=world.bob, assignee=world.bob, roles="包括")
        url = reverse("sheets:close", args=[sheet.pk])
        pages = post_at_once(two_of_b(world), url, {"outcome": support.pk, "note": "開始"})
        assert all(page.startswith("200 ") for page in pages), [p[:200] for p in pages]
        assert sum("を終結しました。" in page for page in pages) == 1
        assert sum("終結できるのは受理したシートだけです。" in page for page in pages) == 1
        assert Event.objects.filter(sheet=sheet, kind=Event.Kind.CLOSED).count() == 1
