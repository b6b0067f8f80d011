"""Minutes: written per item, approved once, then corrected only as new immutable revisions;
masked like the agenda."""

from __future__ import annotations

from typing import Any

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from cases.models import Basis
from meetings.models import Attendance, Meeting, MeetingError, MinutesEntry, MinutesRevision
from tests.conftest import World, make_case
from tests.meetings.conftest import NOW, Bodies, attend, make_meeting, pledged


@pytest.fixture
def meeting(world: World, bodies: Bodies) -> Meeting:
    with time_machine.travel(NOW, tick=False):
        meeting = make_meeting(world, bodies.kutsuki)
        meeting.add_item(by=world.coordinator, kind="case", case=make_case(world))
    attend(meeting, world.coordinator, Attendance.Role.CHAIR)
    attend(meeting, world.alice, Attendance.Role.RECORDER)
    attend(meeting, world.bob)
    meeting.distribute(by=world.coordinator, now=NOW)
    return meeting


def save_minutes(client: Client, meeting: Meeting, discussion: str, decisions: str) -> Any:
    item = meeting.items.get()
    return client.post(
        reverse("meetings:minutes_save", args=[meeting.pk, item.pk]),
        {f"m{item.pk}-discussion": discussion, f"m{item.pk}-decisions": decisions},
    )


def test_the_recorder_writes_then_approval_makes_it_read_only(
    client: Client, world: World, meeting: Meeting
) -> None:
    client.force_login(world.alice)  # 記録
    refused = save_minutes(client, meeting, "山田 花子さんの介護申請について協議", "包括が来週訪問")
    assert "氏名の一部「山田」" in refused.content.decode()  # the case is masked here
    assert meeting.items.get().discussion == ""
    save_minutes(client, meeting, "Aさんの介護申請について協議", "包括が来週訪問")
    meeting.approve_minutes(by=world.coordinator, now=NOW)
    meeting.refresh_from_db()
    assert meeting.status == "held"
    response = save_minutes(client, meeting, "書き換え", "書き換え")
    assert response.status_code == 302
    entry = MinutesEntry.objects.get()
    assert (entry.discussion, entry.decisions) == ("Aさんの介護申請について協議", "包括が来週訪問")
    with pytest.raises(MeetingError):
        meeting.approve_minutes(by=world.coordinator, now=NOW)
    with pytest.raises(MeetingError):
        entry.save()
    revision = MinutesRevision.objects.get()
    with pytest.raises(MeetingError):
        revision.delete()


def test_a_correction_is_a_new_recorded_revision(
    client: Client, world: World, meeting: Meeting
) -> None:
    item = meeting.items.get()
    item.discussion, item.decisions = "初版の協議", "初版の決定"
    item.save()
    meeting.approve_minutes(by=world.coordinator, now=NOW)
    client.force_login(world.coordinator)
    url = reverse("meetings:correct", args=[meeting.pk])
    response = client.post(url, {f"discussion_{item.pk}": "訂正後", f"decisions_{item.pk}": "x"})
    assert "このフィールドは必須です" in response.content.decode()  # the reason is required
    client.post(
        url,
        {
            "reason": "決定事項の誤記",
            f"discussion_{item.pk}": "初版の協議",
            f"decisions_{item.pk}": "訂正後の決定",
        },
    )
    first, second = MinutesRevision.objects.order_by("number")
    assert (first.number, second.number, second.reason) == (1, 2, "決定事項の誤記")
    assert first.entries.get().decisions == "初版の決定"  # the approved text is kept
    assert second.entries.get().decisions == "訂正後の決定"
    assert meeting.events.filter(kind="minutes_corrected").get().text == "第2版: 決定事項の誤記"
    page = client.get(reverse("meetings:minutes", args=[meeting.pk])).content.decode()
    assert "訂正後の決定" in page and "初版の決定" not in page


def test_minutes_and_agenda_pages_mask_names_outside_a_support_meeting(
    client: Client, world: World, meeting: Meeting
) -> None:
    item = meeting.items.get()
    # Written before the guard existed (or while the basis still named everyone): never shown
    # to a viewer the basis does not name.
    item.discussion = "山田 花子さん（やまだ はなこ）の長男について"
    item.save()
    client.force_login(world.coordinator)  # on the roster; the consent names B only
    for name in ("minutes", "detail"):
        page = client.get(reverse(f"meetings:{name}", args=[meeting.pk])).content.decode()
        assert "Aさん（80代）" in page
        for private in ("山田", "花子", "やまだ", "1944"):
            assert private not in page, (name, private)
    client.force_login(world.bob)  # on screen, each viewer gets the rule's answer for them
    page = client.get(reverse("meetings:minutes", args=[meeting.pk])).content.decode()
    assert "山田 花子" in page


def test_a_support_meeting_shows_names_to_its_members(
    client: Client, world: World, bodies: Bodies
) -> None:
    with time_machine.travel(NOW, tick=False):
        meeting = make_meeting(world, bodies.support)
        meeting.add_item(
            by=world.coordinator,
            kind="case",
            case=make_case(world, basis=Basis.SUPPORT_MEETING, support_body=bodies.support),
        )
    attend(meeting, world.bob)
    pledged(world.bob)
    client.force_login(world.bob)
    for name in ("minutes", "detail"):
        page = client.get(reverse(f"meetings:{name}", args=[meeting.pk])).content.decode()
        assert "山田 花子" in page and "Aさん" not in page
