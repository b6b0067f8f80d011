"""Bad input on the sheet forms re-renders with Japanese messages and changes nothing."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from areas.models import Agency
from cases.models import Event
from sheets.models import Sheet, Status
from tests.conftest import World, make_case, make_sheet
from tests.sheets.test_views import issue_data

TOO_LONG = "あ" * (settings.TEXT_FIELD_MAX_CHARS + 1)


def post_issue(client: Client, world: World, data: dict[str, object]) -> tuple[int, str]:
    case = make_case(world)
    client.force_login(world.alice)
    response = client.post(reverse("sheets:new", args=[case.pk]), data)
    return response.status_code, response.content.decode()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"receivers": []}, "送付先の機関を一つ以上選んでください。"),
        ({"request": ""}, "このフィールドは必須です。"),
        ({"sender_continuing": "  "}, "このフィールドは必須です。"),
        ({"urgency": "very"}, "正しく選択してください"),
        ({"request": TOO_LONG}, "長すぎます"),
        ({"shared_info": TOO_LONG}, "長すぎます"),
        ({"receivers": ["x"]}, "選んだ送付先の機関が見つかりません。"),
        ({"receivers": [999999]}, "選んだ送付先の機関が見つかりません。"),
    ],
)
def test_bad_issue_rerenders_and_saves_nothing(
    client: Client, world: World, change: dict[str, object], message: str
) -> None:
    status, html = post_issue(client, world, {**issue_data(world, world.b), **change})
    assert status == 400
    assert message in html
    assert "入力内容を確認してください。まだ保存していません。" in html
    assert not Sheet.objects.exists()


def test_receiver_equal_to_sender_is_refused(client: Client, world: World) -> None:
    status, html = post_issue(client, world, issue_data(world, world.b, world.a))
    assert status == 400
    assert "送付先に自分の機関（送付元）は選べません。" in html
    assert not Sheet.objects.exists()


def test_inactive_agency_is_refused(client: Client, world: World) -> None:
    closed = Agency.objects.create(
        code="old", name="旧センター", kind=Agency.Kind.OUTSIDE, is_active=False
    )
    status, html = post_issue(client, world, issue_data(world, world.b, closed))
    assert status == 400
    assert "旧センターは現在受け付けていない機関です。" in html
    assert not Sheet.objects.exists()  # not even the sheet to B: all or none


def test_sender_agency_must_be_mine(client: Client, world: World) -> None:
    status, html = post_issue(client, world, issue_data(world, world.b, sender_agency=world.c.pk))
    assert status == 400
    assert "正しく選択してください" in html


def test_ten_megabyte_sheet_is_refused_clearly(client: Client, world: World) -> None:
    case = make_case(world)
    client.force_login(world.alice)
    data = issue_data(world, world.b, request="x" * 10_000_000)
    response = client.post(reverse("sheets:new", args=[case.pk]), data)
    assert response.status_code == 413
    assert "送信された内容が大きすぎるため" in response.content.decode()
    assert not Sheet.objects.exists()


def test_closed_case_cannot_issue(client: Client, world: World) -> None:
    case = make_case(world)
    case.close(by=world.alice, note="解決")
    client.force_login(world.alice)
    response = client.post(
        reverse("sheets:new", args=[case.pk]), issue_data(world, world.b), follow=True
    )
    assert "終結した相談からはシートを出せません。" in response.content.decode()
    assert not Sheet.objects.exists()


@pytest.mark.parametrize(
    ("action", "data", "message"),
    [
        ("acknowledge", {"roles": "x"}, "このフィールドは必須です。"),
        ("acknowledge", {"assignee": "abc", "roles": "x"}, "正しく選択してください"),
        ("acknowledge", {"assignee": "BOB", "roles": ""}, "このフィールドは必須です。"),
        ("acknowledge", {"assignee": "BOB", "roles": TOO_LONG}, "長すぎます"),
        ("redirect", {"to": "A", "reason": "x"}, "正しく選択してください"),
        ("redirect", {"to": "C", "reason": ""}, "このフィールドは必須です。"),
    ],
)
def test_bad_move_on_a_waiting_sheet_rerenders(
    client: Client, world: World, action: str, data: dict[str, str], message: str
) -> None:
    sheet = make_sheet(world)
    refs = {"BOB": str(world.bob.pk), "A": str(world.a.pk), "C": str(world.c.pk)}
    data = {k: refs.get(v, v) for k, v in data.items()}
    client.force_login(world.bob)
    response = client.post(reverse(f"sheets:{action}", args=[sheet.pk]), data)
    assert response.status_code == 400
    assert message in response.content.decode()
    sheet.refresh_from_db()
    assert sheet.status == Status.SENT and sheet.events.count() == 1


@pytest.mark.parametrize(
    ("action", "data", "message"),
    [
        ("progress", {"text": ""}, "このフィールドは必須です。"),
        ("close", {"note": "開始"}, "このフィールドは必須です。"),
        ("close", {"outcome": "999", "note": "開始"}, "正しく選択してください"),
        ("close", {"outcome": "1", "note": ""}, "このフィールドは必須です。"),
    ],
)
def test_bad_move_on_an_acknowledged_sheet_rerenders(
    client: Client, world: World, action: str, data: dict[str, str], message: str
) -> None:
    sheet = make_sheet(world)
    sheet.acknowledge(by=world.bob, assignee=world.bob, roles="介護申請")
    client.force_login(world.bob)
    response = client.post(reverse(f"sheets:{action}", args=[sheet.pk]), data)
    assert response.status_code == 400
    assert message in response.content.decode()
    sheet.refresh_from_db()
    assert sheet.status == Status.ACKNOWLEDGED
    assert sheet.events.exclude(kind=Event.Kind.ACKNOWLEDGED).count() == 1


def test_withdraw_without_reason_is_refused(client: Client, world: World) -> None:
    sheet = make_sheet(world)
    client.force_login(world.alice)
    response = client.post(reverse("sheets:withdraw", args=[sheet.pk]), {"reason": ""})
    assert response.status_code == 400
    assert "このフィールドは必須です。" in response.content.decode()
    sheet.refresh_from_db()
    assert sheet.status == Status.SENT


def test_move_in_the_wrong_state_is_a_message_not_a_500(client: Client, world: World) -> None:
    sheet = make_sheet(world)
    client.force_login(world.bob)
    response = client.post(
        reverse("sheets:progress", args=[sheet.pk]), {"text": "早すぎる報告"}, follow=True
    )
    assert response.status_code == 200
    assert "経過報告は受理したシートにだけ書けます。" in response.content.decode()


def test_ten_megabyte_progress_is_refused_clearly(client: Client, world: World) -> None:
    sheet = make_sheet(world)
    sheet.acknowledge(by=world.bob, assignee=world.bob, roles="介護申請")
    client.force_login(world.bob)
    response = client.post(
        reverse("sheets:progress", args=[sheet.pk]), {"text": "x" * 10_000_000}, follow=True
    )
    assert "送信された内容が大きすぎるため" in response.content.decode()
    assert not sheet.events.filter(kind=Event.Kind.PROGRESS).exists()
