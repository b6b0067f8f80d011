"""Minutes, 宿題 and corrections written on an item whose case is masked in the meeting are read
by people the basis does not name: the guard refuses names, readings, birth years, phones and
addresses there, with the finding named next to the field. A 支援会議 shows names to its
members, so the same text is accepted there; a theme item is checked for phones and addresses."""

from __future__ import annotations

import time_machine
from django.test import Client
from django.urls import reverse

from cases.models import Basis
from meetings.models import ActionItem, Attendance, Meeting
from tests.conftest import World, make_case
from tests.meetings.conftest import MEETING_DAY, NOW, Bodies, attend, make_meeting, member, pledged

ISSUE_TEXT = "山田 花子さん（ヤマダ ハナコ、昭和19年生まれ）… 花子さんは"


def district_meeting(world: World, bodies: Bodies, basis: str = Basis.NONE) -> Meeting:
    with time_machine.travel(NOW, tick=False):
        meeting = make_meeting(world, bodies.kutsuki)
        meeting.add_item(by=world.coordinator, kind="case", case=make_case(world, basis=basis))
    attend(meeting, world.coordinator, Attendance.Role.CHAIR)
    attend(meeting, world.bob)
    return meeting


def add_action(client: Client, meeting: Meeting, text: str) -> str:
    item = meeting.items.get()
    response = client.post(
        reverse("meetings:action_add", args=[meeting.pk, item.pk]),
        {
            f"a{item.pk}-text": text,
            f"a{item.pk}-owner": member(meeting.created_by).pk,
            f"a{item.pk}-due_date": MEETING_DAY.isoformat(),
        },
    )
    return response.content.decode()


def test_an_action_item_on_a_masked_case_refuses_the_name(
    client: Client, world: World, bodies: Bodies
) -> None:
    meeting = district_meeting(world, bodies)
    client.force_login(world.coordinator)
    page = add_action(client, meeting, "花子さんの介護申請")
    assert "人を特定できる記載があります" in page and "氏名の一部「花子」" in page
    assert not ActionItem.objects.exists()
    add_action(client, meeting, "Aさんの介護申請を包括が確認")
    assert ActionItem.objects.get().text == "Aさんの介護申請を包括が確認"


def test_minutes_on_a_masked_case_refuse_the_issue_example(
    client: Client, world: World, bodies: Bodies
) -> None:
    meeting = district_meeting(world, bodies)
    item = meeting.items.get()
    client.force_login(world.coordinator)
    page = client.post(
        reverse("meetings:minutes_save", args=[meeting.pk, item.pk]),
        {f"m{item.pk}-discussion": ISSUE_TEXT, f"m{item.pk}-decisions": "S19生の方"},
    ).content.decode()
    for finding in ("氏名の一部「山田」", "ふりがなの一部「ヤマダ」", "生まれ年「昭和19年」"):
        assert finding in page
    item.refresh_from_db()
    assert (item.discussion, item.decisions) == ("", "")


def test_a_correction_on_a_masked_case_is_guarded(
    client: Client, world: World, bodies: Bodies
) -> None:
    meeting = district_meeting(world, bodies)
    item = meeting.items.get()
    meeting.distribute(by=world.coordinator, now=NOW)
    meeting.approve_minutes(by=world.coordinator, now=NOW)
    client.force_login(world.coordinator)
    page = client.post(
        reverse("meetings:correct", args=[meeting.pk]),
        {"reason": "誤記", f"discussion_{item.pk}": "1944年生", f"decisions_{item.pk}": ""},
    ).content.decode()
    assert "生まれ年「1944年」" in page
    assert meeting.revisions.count() == 1


def test_a_support_meeting_accepts_names_in_its_minutes(
    client: Client, world: World, bodies: Bodies
) -> None:
    with time_machine.travel(NOW, tick=False):
        meeting = make_meeting(world, bodies.support)
        meeting.add_item(
            by=world.coordinator,
            kind="case",
            case=make_case(world, basis=Basis.SUPPORT_MEETING, support_body=bodies.support),
        )
    attend(meeting, world.coordinator, Attendance.Role.CHAIR)
    item = meeting.items.get()
    pledged(world.coordinator)
    client.force_login(world.coordinator)
    client.post(
        reverse("meetings:minutes_save", args=[meeting.pk, item.pk]),
        {f"m{item.pk}-discussion": ISSUE_TEXT, f"m{item.pk}-decisions": ""},
    )
    item.refresh_from_db()
    assert item.discussion == ISSUE_TEXT
