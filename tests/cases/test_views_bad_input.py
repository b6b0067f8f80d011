"""Bad input on the case forms re-renders with Japanese messages and saves nothing."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import time_machine
from django.conf import settings
from django.test import Client
from django.urls import reverse

from cases.models import Case, Event, Person
from tests.cases.test_views import intake_data
from tests.conftest import World, make_case

NOW = datetime(2026, 11, 27, 3, 0, tzinfo=UTC)


def post_intake(client: Client, world: World, **overrides: object) -> tuple[int, str]:
    client.force_login(world.alice)
    with time_machine.travel(NOW):
        client.force_login(world.alice)
        response = client.post(reverse("cases:new"), intake_data(world, **overrides))
    return response.status_code, response.content.decode()


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"summary": ""}, "このフィールドは必須です。"),
        ({"district": ""}, "このフィールドは必須です。"),
        ({"basis": ""}, "このフィールドは必須です。"),
        ({"received_at": ""}, "このフィールドは必須です。"),
        ({"received_at": "昨日"}, "日付を読み取れませんでした"),
        ({"received_at": "令和8年13月1日"}, "その日付は存在しません"),
        ({"received_at": "２０２６／０２／３０"}, "その日付は存在しません"),
        ({"received_at": "平成31年5月1日"}, "元号と年の組み合わせが正しくありません"),
        ({"received_at": "R9.1.1"}, "未来の日時は入力できません"),
        ({"received_at": "2026-11-27 25:00"}, "時刻は 0:00〜23:59 で入力してください"),
        ({"consent_agencies": []}, "同意を得た共有先の機関を選んでください"),
        ({"agency": "999999"}, "正しく選択してください"),
        ({"channel": "fax"}, "正しく選択してください"),
        ({"people-0-name": "", "people-0-kana": "たかしま"}, "氏名を入力してください"),
        ({"people-1-birth_year": "せんきゅうひゃく"}, "生まれ年は 1944 や 昭和19"),
        ({"people-1-birth_year": "1850"}, "生まれ年は 1900〜"),
        ({"people-0-is_primary": "on", "people-1-is_primary": "on"}, "一人だけ選んでください"),
        ({"summary": "あ" * (settings.TEXT_FIELD_MAX_CHARS + 1)}, "長すぎます"),
        ({"consent_scope": "あ" * (settings.TEXT_FIELD_MAX_CHARS + 1)}, "長すぎます"),
        ({"people-TOTAL_FORMS": "100000"}, "フォーム"),
    ],
)
def test_bad_intake_rerenders_in_japanese_and_saves_nothing(
    client: Client, world: World, overrides: dict[str, object], message: str
) -> None:
    status, html = post_intake(client, world, **overrides)
    assert status == 400
    assert message in html
    assert "入力内容を確認してください。まだ保存していません。" in html
    assert not Case.objects.exists() and not Person.objects.exists()


def test_missing_management_form_is_a_form_error(client: Client, world: World) -> None:
    client.force_login(world.alice)
    response = client.post(reverse("cases:new"), {"summary": "x"})
    assert response.status_code == 400
    assert not Case.objects.exists()


def test_ten_megabyte_body_is_refused_clearly(client: Client, world: World) -> None:
    client.force_login(world.alice)
    huge = "あ" * (10 * 1024 * 1024 // 3)
    response = client.post(reverse("cases:new"), intake_data(world, summary=huge))
    assert response.status_code == 413
    html = response.content.decode()
    assert "送信された内容が大きすぎるため、受け付けませんでした" in html
    assert "ブラウザの「戻る」で前の画面に戻ると" in html  # the way back to the typed text
    assert not Case.objects.exists()


def test_ten_megabyte_edit_is_refused_clearly(client: Client, world: World) -> None:
    case = make_case(world)
    client.force_login(world.alice)
    response = client.post(
        reverse("cases:edit", args=[case.pk]), {"version": 1, "summary": "x" * 10_000_000}
    )
    assert response.status_code == 413
    assert "大きすぎる" in response.content.decode()
    case.refresh_from_db()
    assert case.version == 1


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({}, "このフィールドは必須です。"),
        ({"version": "x"}, "整数を入力してください。"),
        ({"received_at": "R8.2.30"}, "その日付は存在しません"),
    ],
)
def test_bad_edit_rerenders_and_saves_nothing(
    client: Client, world: World, data: dict[str, object], message: str
) -> None:
    case = make_case(world)
    client.force_login(world.alice)
    full = {
        "version": 1,
        "received_at": "2026-11-20",
        "channel": "window",
        "district": world.kutsuki.pk,
        "summary": "修正",
        "basis": "emergency",
        **data,
    }
    if not data:
        full = {}
    response = client.post(reverse("cases:edit", args=[case.pk]), full)
    assert response.status_code == 400
    assert message in response.content.decode()
    case.refresh_from_db()
    assert case.version == 1 and not case.events.filter(kind=Event.Kind.CASE_EDITED).exists()


def test_close_without_a_note_is_refused(client: Client, world: World) -> None:
    case = make_case(world)
    client.force_login(world.alice)
    response = client.post(reverse("cases:close", args=[case.pk]), {"note": ""}, follow=True)
    assert "終結の理由" in response.content.decode()
    case.refresh_from_db()
    assert case.status == Case.Status.OPEN


def test_overlong_search_is_refused_not_run(client: Client, world: World) -> None:
    client.force_login(world.alice)
    response = client.get(reverse("cases:search"), {"q": "あ" * 500})
    assert response.status_code == 200
    html = response.content.decode()
    assert "この値は 60 文字以下でなければなりません" in html
    assert "検索結果" not in html


def test_intake_without_the_people_rows_is_refused_not_a_500(client: Client, world: World) -> None:
    data = {k: v for k, v in intake_data(world).items() if not k.startswith("people-")}
    status, html = 0, ""
    client.force_login(world.alice)
    with time_machine.travel(NOW):
        client.force_login(world.alice)
        response = client.post(reverse("cases:new"), data)
        status, html = response.status_code, response.content.decode()
    assert status == 400
    assert "入力内容を確認してください" in html
    assert not Case.objects.exists()
