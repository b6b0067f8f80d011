"""定型文 (issue 10, point 7): kept by the agency's own 管理者 and 責任者, offered beside the
textareas of the issue form (依頼事項) and the sheet page's moves (経過報告, 終結, 転送), as a
picker for JavaScript and as text to copy without it."""

from __future__ import annotations

import re

import pytest
from django.contrib import admin
from django.test import Client
from django.urls import reverse
from pytest_django import DjangoAssertNumQueries

from areas.models import Role
from sheets.models import PHRASE_MAX_CHARS, Phrase, PhraseUse
from tests.conftest import World, make_case, make_member, make_sheet, make_user


def phrase(
    world: World, text: str = "自宅を訪問しました。", use: str = PhraseUse.PROGRESS
) -> Phrase:
    return Phrase.objects.create(agency=world.b, use=use, text=text)


# --- who keeps them ---------------------------------------------------------------------------


def test_the_agencys_supervisor_adds_changes_and_deletes_its_phrases(
    client: Client, world: World
) -> None:
    client.force_login(world.bob_boss)  # 責任者 of B
    new = reverse("sheets:phrase_new", args=[world.b.pk])
    assert client.get(new).status_code == 200

    response = client.post(
        new, {"use": "progress", "text": " 電話で様子を伺いました。 ", "order": ""}
    )

    assert response.status_code == 302
    made = Phrase.objects.get()
    assert (made.agency, made.use, made.text, made.order) == (
        world.b,
        PhraseUse.PROGRESS,
        "電話で様子を伺いました。",
        0,
    )
    edit = reverse("sheets:phrase_edit", args=[made.pk])
    client.post(edit, {"use": "close", "text": "支援を終えました。", "order": "2"})
    made.refresh_from_db()
    assert (made.use, made.text, made.order) == (PhraseUse.CLOSE, "支援を終えました。", 2)
    assert client.post(reverse("sheets:phrase_delete", args=[made.pk])).status_code == 302
    assert not Phrase.objects.exists()


def test_the_agencys_admin_keeps_them_too(client: Client, world: World) -> None:
    keeper = make_user("b_admin")
    make_member(keeper, world.b, Role.ADMIN)
    client.force_login(keeper)
    response = client.post(
        reverse("sheets:phrase_new", args=[world.b.pk]), {"use": "request", "text": "訪問を"}
    )
    assert response.status_code == 302 and Phrase.objects.filter(agency=world.b).count() == 1


@pytest.mark.parametrize("who", ["bob", "charlie", "admin", "c_admin", "alice"])
def test_nobody_else_reaches_another_agencys_phrases(
    client: Client, world: World, who: str
) -> None:
    """bob is B's staff (uses, does not keep); charlie, alice, the city's roster admin (管理者 of
    the office) and C's own admin keep nothing of B's: every page of B's phrases is a 404."""
    kept = phrase(world)
    if who == "c_admin":
        user = make_user("c_admin")
        make_member(user, world.c, Role.ADMIN)
    else:
        user = getattr(world, who)
    client.force_login(user)
    data = {"use": "request", "text": "上書き"}

    for url in (
        reverse("sheets:phrase_new", args=[world.b.pk]),
        reverse("sheets:phrase_edit", args=[kept.pk]),
    ):
        assert client.get(url).status_code == 404, url
        assert client.post(url, data).status_code == 404, url
    assert client.post(reverse("sheets:phrase_delete", args=[kept.pk])).status_code == 404
    assert list(Phrase.objects.values_list("text", flat=True)) == ["自宅を訪問しました。"]


def test_the_list_shows_only_my_agencies_phrases_and_edit_links_to_keepers(
    client: Client, world: World
) -> None:
    phrase(world, "Bの定型文")
    Phrase.objects.create(agency=world.c, use=PhraseUse.PROGRESS, text="Cの定型文")

    client.force_login(world.bob)
    html = client.get(reverse("sheets:phrases")).content.decode()
    assert "Bの定型文" in html and "Cの定型文" not in html
    assert "sheets/phrases/new/" not in html and "/edit/" not in html  # staff: read only

    client.force_login(world.bob_boss)
    html = client.get(reverse("sheets:phrases")).content.decode()
    assert reverse("sheets:phrase_new", args=[world.b.pk]) in html and "/edit/" in html


# --- what they may say ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "あ" * (PHRASE_MAX_CHARS + 1),
            f"定型文は{PHRASE_MAX_CHARS}文字までです（いまは301文字）。",
        ),
        ("   ", "定型文を入れてください。"),
        ("折り返しは 0740-25-8140 へ", "定型文に、人を特定できる記載があります: 電話番号"),
        ("高島市今津町1丁目を訪問", "住所「1丁目」"),
        ("自宅を訪問しました。", "同じ欄に同じ定型文がすでにあります。"),
    ],
)
def test_a_phrase_is_short_agency_text_with_no_ones_data(
    client: Client, world: World, text: str, message: str
) -> None:
    phrase(world)  # the duplicate's twin
    client.force_login(world.bob_boss)

    response = client.post(
        reverse("sheets:phrase_new", args=[world.b.pk]), {"use": "progress", "text": text}
    )

    assert response.status_code == 400
    assert message in response.content.decode()
    assert Phrase.objects.count() == 1


def test_the_use_must_be_chosen(client: Client, world: World) -> None:
    client.force_login(world.bob_boss)
    response = client.post(reverse("sheets:phrase_new", args=[world.b.pk]), {"text": "訪問"})
    assert response.status_code == 400 and "使う欄を選んでください。" in response.content.decode()


# --- where they are offered -------------------------------------------------------------------


def picker(html: str, target: str) -> str:
    match = re.search(
        rf'<div class="phrase-picker[^"]*" data-phrase-picker data-phrase-target="{target}">'
        r".*?</details>",
        html,
        re.S,
    )
    assert match, f"no picker for #{target}"
    return match.group(0)


def test_the_issue_form_offers_my_agencys_request_phrases(client: Client, world: World) -> None:
    Phrase.objects.create(agency=world.a, use=PhraseUse.REQUEST, text="訪問をお願いします。")
    Phrase.objects.create(agency=world.a, use=PhraseUse.PROGRESS, text="支所の経過")
    Phrase.objects.create(agency=world.b, use=PhraseUse.REQUEST, text="包括の依頼")
    case = make_case(world)
    client.force_login(world.alice)

    html = client.get(reverse("sheets:new", args=[case.pk])).content.decode()

    box = picker(html, "id_request")
    # The picker (shown by the script) and the same phrases as text to copy (shown without it).
    assert '<select class="form-select form-select-sm" id="id_request_phrases"' in box
    assert '<option value="訪問をお願いします。">訪問をお願いします。</option>' in box
    assert '<li class="pre-wrap">訪問をお願いします。</li>' in box
    assert "data-phrase-insert hidden" in box  # no script, no picker
    assert "支所の経過" not in html and "包括の依頼" not in html
    assert 'for="id_request_phrases">定型文を選ぶ</label>' in box


def test_the_sheet_page_offers_the_receivers_phrases_beside_each_move(
    client: Client, world: World
) -> None:
    phrase(world, "自宅を訪問しました。", PhraseUse.PROGRESS)
    phrase(world, "支援を終えました。", PhraseUse.CLOSE)
    phrase(world, "家計の相談をお願いします。", PhraseUse.REQUEST)
    Phrase.objects.create(agency=world.a, use=PhraseUse.PROGRESS, text="支所の経過")
    sheet = make_sheet(world)
    client.force_login(world.bob)
    html = client.get(reverse("sheets:redirect", args=[sheet.pk])).content.decode()
    assert "家計の相談をお願いします。" in picker(html, "id_request")  # the redirect's request
    html = client.get(reverse("sheets:detail", args=[sheet.pk])).content.decode()
    assert "自宅を訪問しました。" not in html  # 経過報告 is offered once acknowledged

    sheet.acknowledge(by=world.bob, assignee=world.bob, roles="包括: 訪問")
    html = client.get(reverse("sheets:detail", args=[sheet.pk])).content.decode()

    assert "自宅を訪問しました。" in picker(html, "id_text")
    assert "支所の経過" not in html
    # 終結 has its own page, with the phrases for its note.
    html = client.get(reverse("sheets:close", args=[sheet.pk])).content.decode()
    assert "支援を終えました。" in picker(html, "id_note")
    assert "支所の経過" not in html
    # The sender sees no receiver's phrases.
    client.force_login(world.alice)
    html = client.get(reverse("sheets:detail", args=[sheet.pk])).content.decode()
    assert "data-phrase-picker" not in html


def test_the_django_admin_edits_phrases_and_the_agency_card() -> None:
    assert Phrase in admin.site._registry
    agency_admin = next(a for m, a in admin.site._registry.items() if m.__name__ == "Agency")
    shown = [f for _, spec in agency_admin.fieldsets or () for f in spec["fields"]]
    assert {"description", "hours", "on_duty"} <= set(shown)


# The 定型文 list, for B's 責任者: 1 session, 2 user, 3 the agencies I keep, 4 my memberships
# (scope), 5 my agencies, 6 their phrases, 7 inbox count and unread notices (navigation, one
# statement). (The idle-timeout stamp was written by the first request.)
PHRASE_LIST_QUERIES = 7


@pytest.mark.parametrize("count", [1, 50])
def test_the_phrase_list_takes_the_same_queries_for_few_or_many_phrases(
    client: Client, world: World, django_assert_num_queries: DjangoAssertNumQueries, count: int
) -> None:
    for i in range(count):
        phrase(world, f"定型文{i}", [PhraseUse.REQUEST, PhraseUse.PROGRESS, PhraseUse.CLOSE][i % 3])
    client.force_login(world.bob_boss)
    client.get(reverse("sheets:phrases"))
    with django_assert_num_queries(PHRASE_LIST_QUERIES):
        html = client.get(reverse("sheets:phrases")).content.decode()
    assert html.count('<li class="list-group-item') == count
