"""Who sees a meeting: attendees, the body's roster, coordinators; a 支援会議 only its roster."""

from __future__ import annotations

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from areas.models import RosterEntry
from cases.models import Access
from meetings.models import Meeting, PacketPrint
from tests.conftest import World, make_case
from tests.meetings.conftest import (
    NOW,
    Bodies,
    add_theme,
    attend,
    fetch_packet,
    make_meeting,
    member,
)


@pytest.fixture
def meeting(world: World, bodies: Bodies) -> Meeting:
    with time_machine.travel(NOW, tick=False):
        meeting = make_meeting(world, bodies.kutsuki)
        item = add_theme(world, meeting)
        meeting.add_item(by=world.coordinator, kind="case", case=make_case(world))
    attend(meeting, world.alice)
    item.actions.create(
        text="訪問",
        owner_user=world.alice,
        owner_agency=world.a,
        due_date=NOW.date(),
        due_at=NOW,
        created_by=world.coordinator,
    )
    return meeting


# Every meeting URL guessed by charlie, the admin or an anonymous visitor, by GET and POST:
# tests/test_url_access.py (generated from the URLconf).


def test_charlie_does_not_see_it_in_the_list(
    client: Client, world: World, meeting: Meeting
) -> None:
    client.force_login(world.charlie)
    listing = client.get(reverse("meetings:list")).content.decode()
    assert "朽木くらし連携会議" not in listing
    client.force_login(world.alice)
    assert "朽木くらし連携会議" in client.get(reverse("meetings:list")).content.decode()


def test_who_sees_a_district_meeting(world: World, bodies: Bodies, meeting: Meeting) -> None:
    visible = {
        u.username
        for u in (
            world.alice,
            world.bob,
            world.charlie,
            world.bob_boss,
            world.coordinator,
            world.admin,
        )
        if Meeting.objects.visible_to(u).filter(pk=meeting.pk).exists()
    }
    # alice attends; bob is on the roster; the coordinator is city-wide.
    assert visible == {"alice", "bob", "coord"}


def test_an_attendee_off_the_roster_sees_it(world: World, meeting: Meeting) -> None:
    attend(meeting, world.bob_boss)
    assert Meeting.objects.visible_to(world.bob_boss).filter(pk=meeting.pk).exists()


def test_a_support_meeting_is_for_its_roster_only(world: World, bodies: Bodies) -> None:
    support = make_meeting(world, bodies.support)
    attend(support, world.alice)  # attending is not enough: the law binds registered members
    RosterEntry.objects.filter(body=bodies.support, membership=member(world.coordinator)).delete()
    visible = {
        u.username
        for u in (world.alice, world.bob, world.charlie, world.coordinator)
        if Meeting.objects.visible_to(u).filter(pk=support.pk).exists()
    }
    assert visible == {"bob"}


def test_a_roster_member_who_is_not_a_manager_gets_403_on_changes(
    client: Client, world: World, meeting: Meeting
) -> None:
    client.force_login(world.bob)
    assert client.get(reverse("meetings:detail", args=[meeting.pk])).status_code == 200
    assert client.post(reverse("meetings:distribute", args=[meeting.pk])).status_code == 403
    assert client.get(reverse("meetings:item_add", args=[meeting.pk])).status_code == 403


def test_printing_a_packet_is_audited(client: Client, world: World, meeting: Meeting) -> None:
    client.force_login(world.alice)
    response = fetch_packet(client, meeting)
    assert response.status_code == 200
    assert b"".join(response.streaming_content).startswith(b"%PDF")  # type: ignore[attr-defined]
    row = PacketPrint.objects.get()
    case = meeting.items.get(kind="case").case
    assert case is not None
    # The consent names B; the くらし連携支援室 (roster, coordinator) may open the meeting too,
    # so the PDF printed the case de-identified, and the log says so and which case.
    assert (row.meeting, row.user, row.masked, row.ip) == (meeting, world.alice, True, "127.0.0.1")
    assert row.masked_cases == case.number
    assert row.at is not None
    assert list(Access.objects.values_list("case", "user", "agency", "what")) == [
        (case.pk, world.alice.pk, world.a.pk, "会議資料PDF")  # type: ignore[union-attr]
    ]


def test_the_print_log_says_named_when_the_basis_names_everyone_who_may_open_it(
    client: Client, world: World, meeting: Meeting
) -> None:
    from cases.privacy import record_consent

    case = meeting.items.get(kind="case").case
    assert case is not None
    record_consent(case, by=world.alice, agencies=[world.office])  # B and now the office
    client.force_login(world.alice)
    assert fetch_packet(client, meeting).status_code == 200
    row = PacketPrint.objects.get()
    assert (row.masked, row.masked_cases) == (False, "")


def test_reading_the_agenda_and_minutes_is_logged_per_case(
    client: Client, world: World, meeting: Meeting
) -> None:
    client.force_login(world.bob)
    client.get(reverse("meetings:detail", args=[meeting.pk]))
    client.get(reverse("meetings:minutes", args=[meeting.pk]))
    assert sorted(Access.objects.values_list("user__username", "what")) == [
        ("bob", "会議の議事録"),
        ("bob", "会議の議題"),
    ]
