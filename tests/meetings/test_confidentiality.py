"""守秘義務の確認 (issue 9 item 7): the first visit to any 支援会議 material asks for the dated,
versioned statement; refusing shows nothing; the confirmation is recorded per user and version
and shown on the roster."""

from __future__ import annotations

import dataclasses

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from cases.models import Access, Basis
from meetings import confidentiality
from meetings.models import ConfidentialityPledge, MeetingError, PacketPrint
from tests.conftest import World, make_case
from tests.meetings.conftest import NOW, Bodies, make_meeting

PAGES = ("meetings:detail", "meetings:minutes", "meetings:packet")


@pytest.fixture
def support(world: World, bodies: Bodies):  # type: ignore[no-untyped-def]
    with time_machine.travel(NOW, tick=False):
        meeting = make_meeting(world, bodies.support)  # roster: bob and the office
        case = make_case(world, basis=Basis.SUPPORT_MEETING, support_body=bodies.support)
        meeting.add_item(by=world.coordinator, kind="case", case=case)
    return meeting


@pytest.mark.parametrize("page", PAGES)
def test_the_first_visit_asks_and_shows_nothing_of_the_meeting(
    client: Client, world: World, support, page: str
) -> None:
    client.force_login(world.bob)
    url = reverse(page, args=[support.pk])
    response = client.get(url)
    ask = reverse("meetings:confidentiality", args=[support.pk])
    assert response.status_code == 302 and response["Location"].startswith(ask)
    statement = client.get(response["Location"]).content.decode()
    assert "社会福祉法第106条の6" in statement and "第1版" in statement
    assert "山田" not in statement and "2026-00001" not in statement
    assert not Access.objects.exists() and not PacketPrint.objects.exists()


def test_refusing_shows_nothing_and_records_nothing(client: Client, world: World, support) -> None:
    client.force_login(world.bob)
    url = reverse("meetings:confidentiality", args=[support.pk])
    response = client.post(url, {"answer": "refuse", "next": f"/meetings/{support.pk}/"})
    assert response.status_code == 403
    page = response.content.decode()
    assert "表示しません" in page and "山田" not in page
    assert not ConfidentialityPledge.objects.exists()
    assert client.get(reverse("meetings:detail", args=[support.pk])).status_code == 302


def test_confirming_records_the_version_and_opens_the_material(
    client: Client, world: World, support
) -> None:
    client.force_login(world.bob)
    detail = reverse("meetings:detail", args=[support.pk])
    ask = client.get(detail)["Location"]
    response = client.post(ask, {"answer": "agree", "next": detail})
    assert response.status_code == 302 and response["Location"] == detail
    row = ConfidentialityPledge.objects.get()
    assert (row.user, row.version, row.ip) == (world.bob, "1", "127.0.0.1")
    for page in PAGES:
        assert client.get(reverse(page, args=[support.pk])).status_code == 200
    client.post(ask, {"answer": "agree"})  # a second confirmation changes nothing
    assert ConfidentialityPledge.objects.count() == 1
    with pytest.raises(MeetingError):
        row.save()


def test_a_new_version_asks_again(
    client: Client, world: World, support, monkeypatch: pytest.MonkeyPatch
) -> None:
    confidentiality.pledge(world.bob, None)
    client.force_login(world.bob)
    detail = reverse("meetings:detail", args=[support.pk])
    assert client.get(detail).status_code == 200
    newer = dataclasses.replace(confidentiality.STATEMENT, version="2")
    monkeypatch.setattr(confidentiality, "STATEMENT", newer)
    assert client.get(detail).status_code == 302


def test_a_district_meeting_asks_nothing(client: Client, world: World, bodies: Bodies) -> None:
    meeting = make_meeting(world, bodies.kutsuki)
    client.force_login(world.bob)
    assert client.get(reverse("meetings:detail", args=[meeting.pk])).status_code == 200


def test_an_outsider_gets_404_not_the_statement(client: Client, world: World, support) -> None:
    client.force_login(world.charlie)
    for name in (*PAGES, "meetings:confidentiality"):
        assert client.get(reverse(name, args=[support.pk])).status_code == 404


def test_the_roster_shows_who_confirmed_which_version(
    client: Client, world: World, bodies: Bodies
) -> None:
    with time_machine.travel(NOW, tick=False):
        confidentiality.pledge(world.bob, None)
    client.force_login(world.admin)
    page = client.get(reverse("areas:body_detail", args=[bodies.support.pk])).content.decode()
    assert "守秘義務の確認" in page
    assert "第1版 令和8年11月27日（金）" in page  # bob
    assert "未確認" in page  # the coordinator
    district = client.get(reverse("areas:body_detail", args=[bodies.kutsuki.pk])).content
    assert "守秘義務の確認" not in district.decode()
