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
from tests.meetings.conftest import NOW, Bodies, add_theme, attend, make_meeting, member


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


def urls(meeting: Meeting) -> list[tuple[str, str]]:
    pk = meeting.pk
    item = meeting.items.first()
    action = item.actions.first()  # type: ignore[union-attr]
    att = meeting.attendances.first()
    return [
        ("get", reverse("meetings:detail", args=[pk])),
        ("get", reverse("meetings:minutes", args=[pk])),
        ("get", reverse("meetings:packet", args=[pk])),
        ("get", reverse("meetings:edit", args=[pk])),
        ("get", reverse("meetings:item_add", args=[pk])),
        ("get", reverse("meetings:item_edit", args=[pk, item.pk])),  # type: ignore[union-attr]
        ("get", reverse("meetings:correct", args=[pk])),
        ("post", reverse("meetings:item_delete", args=[pk, item.pk])),  # type: ignore[union-attr]
        ("post", reverse("meetings:suggestion_add", args=[pk])),
        ("post", reverse("meetings:attendance_sync", args=[pk])),
        ("post", reverse("meetings:attendance_add", args=[pk])),
        ("post", reverse("meetings:attendance_remove", args=[pk, att.pk])),  # type: ignore[union-attr]
        ("post", reverse("meetings:distribute", args=[pk])),
        ("post", reverse("meetings:reopen", args=[pk])),
        ("post", reverse("meetings:minutes_save", args=[pk, item.pk])),  # type: ignore[union-attr]
        ("post", reverse("meetings:action_add", args=[pk, item.pk])),  # type: ignore[union-attr]
        ("post", reverse("meetings:action_done", args=[pk, action.pk])),  # type: ignore[union-attr]
        ("post", reverse("meetings:approve", args=[pk])),
    ]


def test_charlie_gets_404_on_everything(client: Client, world: World, meeting: Meeting) -> None:
    client.force_login(world.charlie)
    for method, url in urls(meeting):
        response = getattr(client, method)(url)
        assert response.status_code == 404, url
    assert not PacketPrint.objects.exists()
    meeting.refresh_from_db()  # the POSTs above changed nothing in the database
    assert meeting.items.count() == 2 and meeting.status == "draft"
    assert meeting.attendances.count() == 1
    assert not meeting.items.get(kind="theme").actions.filter(done_at__isnull=False).exists()
    listing = client.get(reverse("meetings:list")).content.decode()
    assert "朽木くらし連携会議" not in listing


def test_anonymous_is_sent_to_login(client: Client, meeting: Meeting) -> None:
    response = client.get(reverse("meetings:packet", args=[meeting.pk]))
    assert response.status_code == 302 and "/login/" in response["Location"]


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
    response = client.get(reverse("meetings:packet", args=[meeting.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    row = PacketPrint.objects.get()
    assert (row.meeting, row.user, row.masked, row.ip) == (meeting, world.alice, True, "127.0.0.1")
    assert row.at is not None
    case = meeting.items.get(kind="case").case
    assert list(Access.objects.values_list("case", "user", "agency", "what")) == [
        (case.pk, world.alice.pk, world.a.pk, "会議資料PDF")  # type: ignore[union-attr]
    ]


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
