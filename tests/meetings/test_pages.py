"""Every meeting page renders; bad input re-renders with Japanese messages and saves nothing."""

from __future__ import annotations

import re
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from meetings.models import ActionItem, AgendaItem, Attendance, Meeting
from tests.conftest import World, make_case, make_sheet, signed_in
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
        add_theme(world, meeting)
        sheet = make_sheet(world)
        meeting.add_item(by=world.coordinator, kind="sheet", sheet=sheet, case=sheet.case)
    attend(meeting, world.coordinator, Attendance.Role.CHAIR)
    return meeting


def test_every_page_renders(client: Client, world: World, meeting: Meeting) -> None:
    client.force_login(world.coordinator)
    item = meeting.items.first()
    pages = [
        reverse("meetings:list"),
        reverse("meetings:create"),
        reverse("meetings:detail", args=[meeting.pk]),
        reverse("meetings:edit", args=[meeting.pk]),
        reverse("meetings:item_add", args=[meeting.pk]),
        reverse("meetings:item_edit", args=[meeting.pk, item.pk]),  # type: ignore[union-attr]
        reverse("meetings:minutes", args=[meeting.pk]),
    ]
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        assert "<h1" in response.content.decode()
    meeting.distribute(by=world.coordinator, now=NOW)
    meeting.approve_minutes(by=world.coordinator, now=NOW)
    for url in (
        reverse("meetings:correct", args=[meeting.pk]),
        reverse("meetings:minutes", args=[meeting.pk]),
        reverse("meetings:detail", args=[meeting.pk]),
    ):
        assert client.get(url).status_code == 200, url
    assert fetch_packet(client, meeting).status_code == 200


def test_a_coordinator_creates_a_meeting(client: Client, world: World, bodies: Bodies) -> None:
    client.force_login(world.coordinator)
    response = client.post(
        reverse("meetings:create"),
        {
            "body": bodies.kutsuki.pk,
            "title": "第3回",
            "date": "2026-12-09",
            "start_time": "14:00",
            "place": "朽木支所",
            "chair": member(world.coordinator).pk,
        },
    )
    meeting = Meeting.objects.get()
    assert response["Location"] == reverse("meetings:detail", args=[meeting.pk])
    assert meeting.attendances.get().role == Attendance.Role.CHAIR
    assert meeting.events.get().kind == "created"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"date": "", "start_time": "14:00", "place": "朽木"}, "このフィールドは必須です。"),
        (
            {"date": "2026-13-40", "start_time": "14:00", "place": "朽木"},
            "その日付は存在しません。",
        ),
        (
            {"date": "2026-12-09", "start_time": "25:99", "place": "朽木"},
            "時刻は 0:00〜23:59 で入力してください。",
        ),
        ({"date": "2026-12-09", "start_time": "14:00", "place": ""}, "このフィールドは必須です。"),
        ({"date": "0001-01-01", "start_time": "14:00", "place": "朽木"}, "1900年1月1日から"),
        ({"date": "9999-12-31", "start_time": "14:00", "place": "朽木"}, "2100年12月31日まで"),
    ],
)
def test_bad_meeting_input_rerenders_in_japanese(
    client: Client, world: World, bodies: Bodies, data: dict[str, str], message: str
) -> None:
    client.force_login(world.coordinator)
    response = client.post(reverse("meetings:create"), {"body": bodies.kutsuki.pk, **data})
    assert response.status_code == 200
    body = response.content.decode()
    assert message in body and "保存していません" in body
    assert not Meeting.objects.exists()


def test_the_chair_must_be_on_the_roster(client: Client, world: World, bodies: Bodies) -> None:
    client.force_login(world.coordinator)
    response = client.post(
        reverse("meetings:create"),
        {
            "body": bodies.imazu.pk,
            "date": "2026-12-09",
            "start_time": "14:00",
            "place": "今津",
            "chair": member(world.alice).pk,
        },
    )
    assert "司会はこの会議体の構成員から選んでください。" in response.content.decode()
    assert not Meeting.objects.exists()


def test_charlie_cannot_create_a_meeting(client: Client, world: World, bodies: Bodies) -> None:
    client.force_login(world.charlie)
    assert client.get(reverse("meetings:create")).status_code == 403


def test_bad_item_input_rerenders_in_japanese(
    client: Client, world: World, meeting: Meeting
) -> None:
    client.force_login(world.coordinator)
    url = reverse("meetings:item_add", args=[meeting.pk])
    cases = [
        (
            {"kind": "theme", "theme": " ", "support": "community", "minutes": "10"},
            "テーマを書いてください。",
        ),
        (
            {"kind": "case", "number": "2026-99999", "support": "consultation", "minutes": "10"},
            "この会議の地区で見られる相談に、その番号はありません。",
        ),
        (
            {"kind": "theme", "theme": "x", "support": "community", "minutes": "0"},
            "1 以上でなければなりません",
        ),
        (
            {"kind": "nope", "theme": "x", "support": "community", "minutes": "10"},
            "正しく選択してください。",
        ),
    ]
    for data, message in cases:
        body = client.post(url, data).content.decode()
        assert message in body, message
    assert meeting.items.count() == 2
    item = meeting.items.get(kind="theme")
    edit = reverse("meetings:item_edit", args=[meeting.pk, item.pk])
    body = client.post(
        edit, {"theme": "x", "support": "community", "minutes": "999", "order": "1"}
    ).content.decode()
    assert "時間は1分から240分の間で入れてください。" in body
    item.refresh_from_db()
    assert item.minutes == 20


def test_a_case_from_another_district_cannot_be_added_by_number(
    client: Client, world: World, meeting: Meeting
) -> None:
    with time_machine.travel(NOW, tick=False):
        other = make_case(world, district=world.imazu)
    client.force_login(world.coordinator)
    response = client.post(
        reverse("meetings:item_add", args=[meeting.pk]),
        {
            "kind": "case",
            "number": other.number,
            "support": "consultation",
            "minutes": "10",
        },
    )
    assert "その番号はありません" in response.content.decode()
    with time_machine.travel(NOW, tick=False):
        mine = make_case(world)
        client.post(
            reverse("meetings:item_add", args=[meeting.pk]),
            {
                "kind": "case",
                "number": mine.number,
                "support": "consultation",
                "minutes": "10",
            },
        )
    assert meeting.items.filter(kind=AgendaItem.Kind.CASE, case=mine).exists()


def test_bad_action_item_input_rerenders_in_japanese(
    client: Client, world: World, meeting: Meeting
) -> None:
    client.force_login(world.coordinator)
    item = meeting.items.first()
    url = reverse("meetings:action_add", args=[meeting.pk, item.pk])  # type: ignore[union-attr]
    p = f"a{item.pk}"  # type: ignore[union-attr]
    body = client.post(
        url,
        {f"{p}-text": "訪問", f"{p}-owner": member(world.alice).pk, f"{p}-due_date": "2026-12-01"},
    ).content.decode()
    assert "期日は会議の日以降にしてください。" in body and "保存していません" in body
    body = client.post(
        url, {f"{p}-text": "", f"{p}-owner": member(world.charlie).pk, f"{p}-due_date": "x"}
    ).content.decode()
    assert "このフィールドは必須です。" in body and "正しく選択してください" in body
    assert not ActionItem.objects.exists()
    client.post(
        url,
        {f"{p}-text": "訪問", f"{p}-owner": member(world.alice).pk, f"{p}-due_date": "2026-12-11"},
    )
    action = ActionItem.objects.get()
    assert (action.owner_user, action.owner_agency) == (world.alice, world.a)


def test_attendance_sync_invites_the_needed_members_with_roles(
    client: Client, world: World, meeting: Meeting
) -> None:
    client.force_login(world.coordinator)
    sheet_item = meeting.items.get(kind="sheet")
    sheet_item.presenter = member(world.bob)
    sheet_item.save()
    client.post(reverse("meetings:attendance_sync", args=[meeting.pk]))
    roles = {a.membership.user.username: a.role for a in meeting.attendances.all()}
    assert roles == {"coord": "chair", "alice": "participant", "bob": "reporter"}
    att = meeting.attendances.get(membership__user=world.alice)
    client.post(
        reverse("meetings:attendance_add", args=[meeting.pk]),
        {"membership": att.membership_id, "role": "recorder"},
    )
    att.refresh_from_db()
    assert att.role == "recorder"


def test_the_meeting_list_does_not_grow_queries_with_meetings(
    client: Client, world: World, bodies: Bodies, django_assert_num_queries: Any
) -> None:
    signed_in(client, world.coordinator)
    url = reverse("meetings:list")

    def eight_queries() -> str:
        # session, user, scope memberships, the city's districts (city-wide scope), may-create
        # (bodies), the nav's inbox count and unread count (one statement), my open 宿題,
        # meetings
        with django_assert_num_queries(8):
            response = client.get(url)
        assert response.status_code == 200
        return response.content.decode()

    client.get(url)  # the first request after login also rotates the session
    html = eight_queries()
    assert '<td><a href="/meetings/' not in html
    for day in range(1, 21):
        meeting = make_meeting(world, bodies.kutsuki, day=NOW.date().replace(day=day))
        ActionItem.objects.create(
            item=add_theme(world, meeting),
            text="宿題",
            owner_user=world.coordinator,
            owner_agency=world.office,
            due_date=NOW.date(),
            due_at=NOW,
            created_by=world.coordinator,
        )
    html = eight_queries()
    assert len(re.findall(r'<td><a href="/meetings/\d+/">', html)) == 20  # every meeting
    assert len(re.findall(r'<td><a href="/meetings/\d+/minutes/">', html)) == 20  # its 宿題


def test_changing_the_chair_makes_them_the_chair_attendee(
    client: Client, world: World, bodies: Bodies, meeting: Meeting
) -> None:
    client.force_login(world.coordinator)
    response = client.post(
        reverse("meetings:edit", args=[meeting.pk]),
        {
            "title": "第4回",
            "date": "2026-12-10",
            "start_time": "13:30",
            "place": "朽木支所",
            "chair": member(world.alice).pk,
        },
    )
    assert response.status_code == 302
    meeting.refresh_from_db()
    assert (meeting.title, str(meeting.date), meeting.chair) == (
        "第4回",
        "2026-12-10",
        member(world.alice),
    )
    assert meeting.attendances.get(membership__user=world.alice).role == "chair"
    assert not meeting.events.filter(kind="agenda_changed").exists()  # not distributed yet


def test_no_english_blank_option(client: Client, world: World, meeting: Meeting) -> None:
    client.force_login(world.coordinator)
    item = meeting.items.first()
    for url in (
        reverse("meetings:create"),
        reverse("meetings:detail", args=[meeting.pk]),
        reverse("meetings:minutes", args=[meeting.pk]),
        reverse("meetings:item_edit", args=[meeting.pk, item.pk]),  # type: ignore[union-attr]
    ):
        body = client.get(url).content.decode()
        assert "Select an option" not in body and "---------" not in body, url
