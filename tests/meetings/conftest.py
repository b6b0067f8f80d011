"""Meeting fixtures on top of the world: 朽木's くらし連携会議 (alice, bob and the coordinator
on its roster), 今津's (charlie's district) and a 支援会議 whose roster is bob only."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time

import pytest
from django.contrib.auth.models import User
from django.http import HttpResponseBase
from django.test import Client
from django.urls import reverse

from areas.models import Agency, Body, Membership, RosterEntry
from meetings.models import AgendaItem, Attendance, Meeting
from tests.conftest import World

# Friday 2026-11-27 10:00 JST. Meetings are held on Wednesday 2026-12-09.
NOW = datetime.fromisoformat("2026-11-27T10:00:00+09:00")
MEETING_DAY = date(2026, 12, 9)


@dataclass
class Bodies:
    kutsuki: Body
    imazu: Body
    support: Body
    city: Body


def member(user: User, agency: Agency | None = None) -> Membership:
    qs = Membership.objects.filter(user=user)
    if agency is not None:
        qs = qs.filter(agency=agency)
    found = qs.exclude(role="admin").first()
    assert found is not None, f"{user} has no working membership"
    return found


@pytest.fixture
def bodies(world: World) -> Bodies:
    return make_bodies(world)


def make_bodies(world: World) -> Bodies:
    kutsuki = Body.objects.create(
        code="kurashi-kutsuki",
        name="朽木くらし連携会議",
        kind=Body.Kind.DISTRICT,
        area=world.kutsuki,
    )
    imazu = Body.objects.create(
        code="kurashi-imazu", name="今津くらし連携会議", kind=Body.Kind.DISTRICT, area=world.imazu
    )
    support = Body.objects.create(
        code="shien", name="高島市支援会議", kind=Body.Kind.SUPPORT, area=world.city
    )
    city = Body.objects.create(
        code="tsumugiai", name="地域生活つむぎあい会議", kind=Body.Kind.CITY, area=world.city
    )
    for user in (world.alice, world.bob, world.coordinator):
        RosterEntry.objects.create(body=kutsuki, membership=member(user))
    RosterEntry.objects.create(body=imazu, membership=member(world.charlie))
    RosterEntry.objects.create(body=support, membership=member(world.bob))
    RosterEntry.objects.create(body=support, membership=member(world.coordinator))
    return Bodies(kutsuki, imazu, support, city)


def make_meeting(
    world: World, body: Body, *, day: date = MEETING_DAY, at: time = time(14, 0)
) -> Meeting:
    return Meeting.objects.create(
        body=body,
        date=day,
        start_time=at,
        place="朽木支所 2階会議室",
        created_by=world.coordinator,
        chair=member(world.coordinator),
    )


def attend(meeting: Meeting, user: User, role: str = Attendance.Role.PARTICIPANT) -> Attendance:
    return Attendance.objects.create(meeting=meeting, membership=member(user), role=role)


def add_theme(
    world: World, meeting: Meeting, theme: str = "キャラバン隊での出前相談"
) -> AgendaItem:
    return meeting.add_item(
        by=world.coordinator,
        kind=AgendaItem.Kind.THEME,
        theme=theme,
        support=AgendaItem.Support.COMMUNITY,
        minutes=20,
    )


def fetch_packet(client: Client, meeting: Meeting) -> HttpResponseBase:
    """Ask for the packet, let the worker make it (here, in-process), fetch the file."""
    from meetings.models import Packet
    from meetings.packet_worker import produce

    url = reverse("meetings:packet", args=[meeting.pk])
    assert client.get(url).status_code == 200  # the progress page
    produce(Packet.objects.filter(meeting=meeting).latest("id").pk)
    response = client.get(url)
    assert response["Content-Type"] == "application/pdf"
    return response


def pledged(*users: User) -> None:
    """These users have confirmed the 守秘義務 statement (meetings/confidentiality.py)."""
    from meetings.confidentiality import pledge

    for user in users:
        pledge(user, None)
