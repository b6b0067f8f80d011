"""Roster management in the browser: admins only; bad input re-renders and saves nothing."""

from __future__ import annotations

from datetime import date

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from areas.models import Agency, Area, Body, Closure, Membership, Role, RosterEntry
from tests.conftest import World, fetch_export

User = get_user_model()


@pytest.fixture
def body(world: World) -> Body:
    return Body.objects.create(
        code="kutsuki-kurashi",
        name="朽木くらし連携会議",
        kind=Body.Kind.DISTRICT,
        area=world.kutsuki,
    )


def page_urls(world: World, body: Body) -> list[str]:
    closure = Closure.objects.create(date=date(2026, 9, 1), reason="台風")
    membership = Membership.objects.get(user=world.bob, agency=world.b)
    return [
        "/roster/agencies/",
        "/roster/agencies/new/",
        f"/roster/agencies/{world.b.pk}/edit/",
        "/roster/areas/",
        "/roster/areas/new/",
        f"/roster/areas/{world.kutsuki.pk}/edit/",
        "/roster/memberships/",
        "/roster/memberships/new/",
        f"/roster/memberships/{membership.pk}/edit/",
        f"/roster/memberships/?agency={world.b.pk}",
        "/roster/memberships/?q=坂東",
        "/roster/bodies/",
        "/roster/bodies/new/",
        f"/roster/bodies/{body.pk}/",
        f"/roster/bodies/{body.pk}/edit/",
        "/roster/closures/",
        "/roster/closures/new/",
        f"/roster/closures/{closure.pk}/edit/",
        "/roster/csv/",
    ]


def test_every_roster_page_renders_for_an_admin(client: Client, world: World, body: Body) -> None:
    client.force_login(world.admin)
    for url in page_urls(world, body):
        response = client.get(url)
        assert response.status_code == 200, url
        assert b"Select an option" not in response.content, url
    for url in ("/roster/csv/agencies.csv", "/roster/csv/memberships.csv"):  # by the worker
        assert fetch_export(client, url)["Content-Type"] == "text/csv; charset=utf-8", url
    page = client.get("/roster/agencies/").content.decode()
    for tab in (
        "機関",
        "区域",
        "所属",
        "会議体と構成員",
        "臨時の閉庁日",
        "CSVの取り込み・書き出し",
    ):
        assert f">{tab}</a>" in page


@pytest.mark.parametrize("who", ["alice", "bob_boss", "coordinator", "charlie"])
def test_non_admins_get_403_on_every_roster_page(
    client: Client, world: World, body: Body, who: str
) -> None:
    client.force_login(getattr(world, who))
    for url in page_urls(world, body):
        assert client.get(url).status_code == 403, url
    assert client.post("/roster/agencies/new/", {"code": "x"}).status_code == 403
    assert not Agency.objects.filter(code="x").exists()
    entry = RosterEntry.objects.create(body=body, membership=Membership.objects.earliest("pk"))
    remove = f"/roster/bodies/{body.pk}/entries/{entry.pk}/remove/"
    assert client.post(remove).status_code == 403
    assert RosterEntry.objects.filter(pk=entry.pk).exists()
    upload = {
        "agencies-file": SimpleUploadedFile("a.csv", "コード,機関名,種別\r\nx,X,庁外\r\n".encode())
    }
    assert client.post("/roster/csv/agencies/import/", upload).status_code == 403
    assert not Agency.objects.filter(code="x").exists()


def test_anonymous_users_are_sent_to_login(client: Client, world: World) -> None:
    response = client.get("/roster/agencies/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_unknown_ids_are_404(client: Client, world: World) -> None:
    client.force_login(world.admin)
    for url in (
        "/roster/agencies/999999/edit/",
        "/roster/bodies/999999/",
        "/roster/memberships/999999/edit/",
        "/roster/csv/users.csv",
    ):
        assert client.get(url).status_code == 404, url


def agency_post(**overrides: object) -> dict[str, object]:
    data: dict[str, object] = {
        "code": "yorozu",
        "name": "つながり応援センターよろず",
        "kind": "outside",
        "fields": [],
        "districts": [],
        "is_active": "on",
        "email": "",
        "phone": "",
        "ack_business_days": "",
        "follow_up_business_days": "",
    }
    return data | overrides


def test_admin_creates_and_deactivates_an_agency(client: Client, world: World) -> None:
    client.force_login(world.admin)
    data = agency_post(fields=[world.fields["poverty"].pk], districts=[world.kutsuki.pk])
    response = client.post("/roster/agencies/new/", data)
    assert response.status_code == 302
    yorozu = Agency.objects.get(code="yorozu")
    assert list(yorozu.districts.all()) == [world.kutsuki]
    data = agency_post(is_active="", ack_business_days="3")
    assert client.post(f"/roster/agencies/{yorozu.pk}/edit/", data).status_code == 302
    yorozu.refresh_from_db()
    assert (yorozu.is_active, yorozu.ack_business_days) == (False, 3)
    assert "無効" in client.get("/roster/agencies/").content.decode()


def test_admin_writes_the_agencys_card_for_the_sheet_form(client: Client, world: World) -> None:
    client.force_login(world.admin)
    page = client.get(f"/roster/agencies/{world.b.pk}/edit/").content.decode()
    assert "どんな相談を受けるか" in page and "受付時間" in page and "当番・窓口担当" in page
    card = {"description": "介護の相談", "hours": "平日 8:30〜17:15", "on_duty": "当番: 坂東"}
    data = agency_post(code="houkatsu", name="地域包括支援センター") | card
    assert client.post(f"/roster/agencies/{world.b.pk}/edit/", data).status_code == 302
    world.b.refresh_from_db()
    assert (world.b.description, world.b.hours, world.b.on_duty) == tuple(card.values())
    too_long = data | {"description": "あ" * 201}
    response = client.post(f"/roster/agencies/{world.b.pk}/edit/", too_long)
    assert response.status_code == 200 and "この値は 200 文字以下" in response.content.decode()


def test_bad_agency_input_rerenders_in_japanese_and_saves_nothing(
    client: Client, world: World
) -> None:
    client.force_login(world.admin)
    before = Agency.objects.count()
    response = client.post(
        "/roster/agencies/new/",
        agency_post(code="houkatsu", name="", kind="nonsense", ack_business_days="0"),
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "入力内容を確認してください。保存していません。" in page
    assert "このフィールドは必須です。" in page
    assert "同じコードの機関がすでにあります。" in page
    assert "この値は 1 以上でなければなりません。" in page
    assert "正しく選択してください。" in page
    assert Agency.objects.count() == before


def test_admin_adds_a_district_and_a_layer_2_area_needs_a_city(
    client: Client, world: World
) -> None:
    client.force_login(world.admin)
    data = {
        "code": "makino",
        "name": "マキノ",
        "layer": 2,
        "parent": world.city.pk,
        "school_name": "マキノ中学校",
        "order": 1,
    }
    assert client.post("/roster/areas/new/", data).status_code == 302
    assert Area.objects.get(code="makino").parent == world.city
    response = client.post("/roster/areas/new/", data | {"code": "imazu2", "parent": ""})
    assert "第2層の区域には上位の市域が必要です" in response.content.decode()
    assert not Area.objects.filter(code="imazu2").exists()


def test_admin_creates_a_membership_with_a_new_account(client: Client, world: World) -> None:
    client.force_login(world.admin)
    data = {
        "user": "",
        "new_username": "dan",
        "new_last_name": "団",
        "new_first_name": "大輔",
        "new_email": "dan@example.jp",
        "new_password": "kutsuki-river-2026",
        "agency": world.a.pk,
        "role": Role.STAFF,
        "position": "保健師",
        "is_active": "on",
    }
    assert client.post("/roster/memberships/new/", data).status_code == 302
    dan = User.objects.get(username="dan")
    assert dan.check_password("kutsuki-river-2026")
    assert Membership.objects.get(user=dan).position == "保健師"


def test_admin_adds_a_role_to_an_existing_user(client: Client, world: World) -> None:
    client.force_login(world.admin)
    data = {
        "user": world.bob.pk,
        "agency": world.a.pk,
        "role": Role.COORDINATOR,
        "position": "",
        "is_active": "on",
    }
    assert client.post("/roster/memberships/new/", data).status_code == 302
    assert Membership.objects.filter(user=world.bob).count() == 2


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"user": "", "new_username": ""}, "職員を選ぶか、新しいユーザー名を入れてください。"),
        (
            {"user": "", "new_username": "bob", "new_last_name": "坂東", "new_password": "x" * 20},
            "ユーザー名「bob」はすでに使われています。",
        ),
        (
            {"user": "", "new_username": "dan", "new_last_name": "団", "new_password": "short"},
            "このパスワードは短すぎます。",
        ),
        (
            {
                "user": "",
                "new_username": "dan",
                "new_last_name": "",
                "new_password": "kutsuki-river-2026",
            },
            "新しいアカウントには姓が必要です。",
        ),
        ({"role": Role.STAFF, "agency": "B"}, "同じ職員が同じ機関で同じ役割をすでに持っています。"),
    ],
)
def test_bad_membership_input_saves_nothing(
    client: Client, world: World, overrides: dict[str, object], message: str
) -> None:
    client.force_login(world.admin)
    data = {
        "user": world.bob.pk,
        "agency": world.a.pk,
        "role": Role.STAFF,
        "position": "",
        "is_active": "on",
    } | overrides
    if data["agency"] == "B":
        data["agency"] = world.b.pk
    users, memberships = User.objects.count(), Membership.objects.count()
    response = client.post("/roster/memberships/new/", data)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert (User.objects.count(), Membership.objects.count()) == (users, memberships)


def test_admin_deactivates_a_membership(client: Client, world: World) -> None:
    client.force_login(world.admin)
    membership = Membership.objects.get(user=world.bob)
    data = {
        "user": world.bob.pk,
        "agency": world.b.pk,
        "role": Role.STAFF,
        "position": "社会福祉士",
        "is_active": "",
    }
    assert client.post(f"/roster/memberships/{membership.pk}/edit/", data).status_code == 302
    membership.refresh_from_db()
    assert not membership.is_active
    assert Membership.objects.filter(pk=membership.pk).exists()


def test_admin_adds_and_removes_a_roster_member(client: Client, world: World, body: Body) -> None:
    client.force_login(world.admin)
    bob = Membership.objects.get(user=world.bob)
    response = client.post(f"/roster/bodies/{body.pk}/", {"membership": bob.pk, "title": "委員"})
    assert response.status_code == 302
    entry = RosterEntry.objects.get(body=body, membership=bob)
    page = client.get(f"/roster/bodies/{body.pk}/").content.decode()
    assert "坂東 勉" in page and "委員" in page
    again = client.post(f"/roster/bodies/{body.pk}/", {"membership": bob.pk, "title": ""})
    assert again.status_code == 200
    assert "正しく選択してください。" in again.content.decode()
    assert RosterEntry.objects.filter(body=body).count() == 1
    remove = f"/roster/bodies/{body.pk}/entries/{entry.pk}/remove/"
    assert client.get(remove).status_code == 405
    assert client.post(remove).status_code == 302
    assert not RosterEntry.objects.filter(pk=entry.pk).exists()
    assert Membership.objects.filter(pk=bob.pk).exists()


def test_a_roster_entry_of_another_body_is_404(client: Client, world: World, body: Body) -> None:
    other = Body.objects.create(code="o", name="支援会議", kind="support", area=world.city)
    entry = RosterEntry.objects.create(
        body=other, membership=Membership.objects.get(user=world.bob)
    )
    client.force_login(world.admin)
    assert client.post(f"/roster/bodies/{body.pk}/entries/{entry.pk}/remove/").status_code == 404
    assert RosterEntry.objects.filter(pk=entry.pk).exists()


def test_admin_creates_a_body_and_a_closure(client: Client, world: World) -> None:
    client.force_login(world.admin)
    data = {
        "code": "shien",
        "name": "支援会議",
        "kind": "support",
        "area": world.city.pk,
        "description": "",
    }
    assert client.post("/roster/bodies/new/", data).status_code == 302
    assert Body.objects.get(code="shien").is_confidential
    closure = {"date": "2026-09-01", "reason": "台風による臨時閉庁"}
    assert client.post("/roster/closures/new/", closure).status_code == 302
    duplicate = client.post("/roster/closures/new/", closure | {"reason": "重複"})
    assert "この日はすでに臨時の閉庁日です。" in duplicate.content.decode()
    assert Closure.objects.count() == 1
    bad = client.post("/roster/closures/new/", {"date": "2026-02-30", "reason": ""})
    assert "その日付は存在しません。" in bad.content.decode()


def test_csv_upload_pages(client: Client, world: World) -> None:
    client.force_login(world.admin)
    good = "コード,機関名,種別\r\nhop,就労準備支援ホップ,庁外の機関\r\n".encode("cp932")
    response = client.post(
        "/roster/csv/agencies/import/",
        {"agencies-file": SimpleUploadedFile("a.csv", good, "text/csv")},
        follow=True,
    )
    assert "機関のCSVを取り込みました（新規 1 件" in response.content.decode()
    bad = "コード,機関名,種別,担当区域\r\nx,X,庁外,琵琶湖\r\n".encode()
    response = client.post(
        "/roster/csv/agencies/import/", {"agencies-file": SimpleUploadedFile("b.csv", bad)}
    )
    page = response.content.decode()
    assert response.status_code == 400
    assert "ファイルの内容は1件も保存していません。" in page
    assert "2行目: 区域「琵琶湖」が見つかりません。" in page
    assert not Agency.objects.filter(code="x").exists()
    missing = client.post("/roster/csv/memberships/import/", {})
    assert missing.status_code == 400
    assert "このフィールドは必須です。" in missing.content.decode()
    export = fetch_export(client, "/roster/csv/memberships.csv")
    assert export["Content-Type"] == "text/csv; charset=utf-8"
    assert export.content.startswith(b"\xef\xbb\xbf")


def test_an_empty_post_shows_required_errors(client: Client, world: World) -> None:
    client.force_login(world.admin)
    response = client.post("/roster/closures/new/", {})
    assert response.status_code == 200
    assert "このフィールドは必須です。" in response.content.decode()
    assert not Closure.objects.exists()
