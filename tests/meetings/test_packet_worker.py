"""The packet is produced by the worker: the page records the request and the print record,
shows progress (refreshing by itself, no JavaScript), and offers the file when it is ready;
two requests at once produce one file (issue 11)."""

from __future__ import annotations

import io
import threading
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.urls import reverse
from pypdf import PdfReader
from pytest_django import DjangoAssertNumQueries

from areas.models import Agency
from cases.privacy import withdraw_consent
from meetings.models import Attendance, Meeting, Packet, PacketPrint
from meetings.packet_worker import packet_for, print_key, produce
from tests.conftest import World, make_case
from tests.meetings.conftest import NOW, Bodies, add_theme, attend, make_meeting


@pytest.fixture
def meeting(world: World, bodies: Bodies) -> Meeting:
    with time_machine.travel(NOW, tick=False):
        meeting = make_meeting(world, bodies.kutsuki)
        add_theme(world, meeting)
    attend(meeting, world.coordinator, Attendance.Role.CHAIR)
    attend(meeting, world.bob, Attendance.Role.REPORTER)
    return meeting


def test_requested_progress_shown_file_served_print_recorded_once(
    client: Client, world: World, meeting: Meeting
) -> None:
    url = reverse("meetings:packet", args=[meeting.pk])
    client.force_login(world.bob)
    with time_machine.travel(NOW):
        page = client.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert '<meta http-equiv="refresh"' in html and "作成を受け付けました" in html
    packet = Packet.objects.get()
    assert packet.status == Packet.Status.PENDING and not packet.file
    assert not PacketPrint.objects.exists()  # nothing printed yet

    with time_machine.travel(NOW):
        assert client.get(url).status_code == 200  # the refresh: still waiting
        assert produce(packet.pk) is True  # the worker
        assert produce(packet.pk) is False  # a second copy of the task renders nothing
        response = client.get(url)
    assert response["Content-Type"] == "application/pdf"
    assert response["Cache-Control"] == "no-store"
    pdf = b"".join(response.streaming_content)  # type: ignore[attr-defined]
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
    assert "朽木くらし連携会議" in text
    with time_machine.travel(NOW):
        assert client.get(url)["Content-Type"] == "application/pdf"  # fetched again
    assert PacketPrint.objects.filter(user=world.bob).count() == 1  # once per person and file
    packet.refresh_from_db()
    assert packet.status == Packet.Status.DONE and packet.size == len(pdf)
    assert packet.file.read() == pdf  # the file kept is what was printed
    row = PacketPrint.objects.get(user=world.bob)
    assert (row.packet, row.masked_cases) == (packet, packet.masked_cases)

    client.force_login(world.coordinator)
    with time_machine.travel(NOW):
        assert client.get(url)["Content-Type"] == "application/pdf"  # same file, no new render
    assert Packet.objects.count() == 1
    assert PacketPrint.objects.count() == 2


def test_charlie_gets_404_and_no_packet_is_made(
    client: Client, world: World, meeting: Meeting
) -> None:
    client.force_login(world.charlie)
    assert client.get(reverse("meetings:packet", args=[meeting.pk])).status_code == 404
    assert not Packet.objects.exists()


def test_a_new_agenda_version_makes_a_new_packet(world: World, meeting: Meeting) -> None:
    from meetings.packet_worker import packet_for

    with time_machine.travel(NOW):
        first, created = packet_for(meeting)
        assert created
        assert packet_for(meeting) == (first, False)
        meeting.distribute(by=world.coordinator)
        meeting.refresh_from_db()
        second, created = packet_for(meeting)
    assert created and second.pk != first.pk


@pytest.mark.django_db(transaction=True)
def test_two_requests_at_once_produce_one_file(world: World, bodies: Bodies) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("two requests at once need PostgreSQL")
    with time_machine.travel(NOW, tick=False):
        meeting = make_meeting(world, bodies.kutsuki)
        add_theme(world, meeting)
    attend(meeting, world.bob, Attendance.Role.REPORTER)
    attend(meeting, world.coordinator, Attendance.Role.CHAIR)
    barrier = threading.Barrier(2)
    statuses: list[int] = []

    def ask(user: Any) -> None:
        try:
            client = Client()
            client.force_login(user)
            barrier.wait(timeout=10)
            statuses.append(client.get(reverse("meetings:packet", args=[meeting.pk])).status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=ask, args=(u,)) for u in (world.bob, world.coordinator)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert statuses == [200, 200]
    packet = Packet.objects.get()
    results = []

    def work() -> None:
        try:
            barrier.wait(timeout=10)
            results.append(produce(packet.pk))
        finally:
            connection.close()

    workers = [threading.Thread(target=work) for _ in range(2)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(timeout=120)
    assert sorted(results) == [False, True]  # one rendering
    packet.refresh_from_db()
    assert packet.status == Packet.Status.DONE and packet.file
    assert Packet.objects.count() == 1  # one file for both


def test_a_broker_down_loses_no_packet(
    client: Client, world: World, meeting: Meeting, monkeypatch: pytest.MonkeyPatch
) -> None:
    from datetime import timedelta

    from meetings import tasks

    handed: list[int] = []

    def broker_down(args: tuple[int], **kwargs: Any) -> None:
        raise ConnectionError("broker down")

    monkeypatch.setattr(tasks.produce_packet_task, "apply_async", broker_down)
    url = reverse("meetings:packet", args=[meeting.pk])
    client.force_login(world.bob)
    with time_machine.travel(NOW):
        assert client.get(url).status_code == 200  # the request is answered normally
    packet = Packet.objects.get()
    assert packet.status == Packet.Status.PENDING

    # The broker is back: a look at the progress page after a while hands the packet over again.
    monkeypatch.setattr(
        tasks.produce_packet_task, "apply_async", lambda args, **kw: handed.append(args[0])
    )
    with time_machine.travel(NOW + timedelta(seconds=5)):
        client.get(url)
    assert handed == []  # too early: the first hand-over may still be on its way
    with time_machine.travel(NOW + timedelta(minutes=1)):
        client.get(url)
    assert handed == [packet.pk]


def test_a_consent_withdrawn_the_same_day_makes_a_new_packet_not_the_old_file(
    world: World, meeting: Meeting
) -> None:
    case = make_case(world, now=NOW)
    consent = case.consents.get()
    consent.agencies.set(Agency.objects.all())  # the consent names everyone who may open it
    meeting.add_item(by=world.coordinator, kind="case", case=case)
    with time_machine.travel(NOW, tick=False):
        named, created = packet_for(meeting)
        assert created
        withdraw_consent(consent, by=world.alice, note="本人から電話で撤回")
        masked, created = packet_for(meeting)
        assert created and masked.pk != named.pk and masked.audience != named.audience
        again, created = packet_for(meeting)
    assert not created and again.pk == masked.pk


def test_an_action_given_the_same_day_makes_a_new_packet(world: World, meeting: Meeting) -> None:
    # The key of a packet is what it prints: a 宿題 given (or done) after the first print
    # the same day is in the next one, not served from the old file.
    from meetings.models import ActionItem
    from tests.meetings.conftest import member

    with time_machine.travel(NOW):
        first, _ = packet_for(meeting)
        action = ActionItem.assign(
            item=meeting.items.get(),
            text="訪問日を決める",
            owner=member(world.bob),
            due_date=NOW.date(),
            by=world.coordinator,
        )
        second, created = packet_for(meeting)
        assert created and second.pk != first.pk
        action.mark_done(by=world.bob)
        third, created = packet_for(meeting)
        assert created and third.pk != second.pk
        assert packet_for(meeting) == (third, False)


@pytest.mark.parametrize("actions", [1, 12])
def test_the_print_key_reads_the_minutes_and_every_action_in_constant_queries(
    world: World,
    bodies: Bodies,
    meeting: Meeting,
    django_assert_num_queries: DjangoAssertNumQueries,
    actions: int,
) -> None:
    from datetime import date, timedelta

    from meetings.models import ActionItem
    from tests.meetings.conftest import member

    earlier = make_meeting(world, bodies.kutsuki, day=meeting.date - timedelta(days=28))
    for m in (earlier, meeting):
        item = m.items.first() or add_theme(world, m)
        for i in range(actions):
            ActionItem.assign(
                item=item,
                text=f"宿題{i}",
                owner=member(world.bob),
                due_date=date(2026, 12, 10),
                by=world.coordinator,
                now=NOW,
            )
    # 1 the audience's agencies (roster, attendees, coordinators of the area: one UNION), 2 the
    # agenda items with their cases, 3 this meeting's 宿題 and the open ones carried from
    # earlier meetings (one query). It was 6: three for the audience, two for the 宿題.
    # (A case on the agenda adds its decision for the audience: its consents, once per case.)
    with django_assert_num_queries(3):
        key = print_key(meeting, NOW)
    ActionItem.objects.filter(item__meeting=earlier).first().mark_done(by=world.bob, now=NOW)  # type: ignore[union-attr]
    assert print_key(meeting, NOW) != key  # a carried 宿題 done is a new packet
