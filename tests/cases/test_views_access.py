"""The worst bug is a leak between agencies. Every URL guessed by charlie (agency C) or the admin,
by GET and by POST, is tests/test_url_access.py (generated from the URLconf); here: charlie's own
lists and search show nothing of the case, and bob, reading an anonymised sheet and its case,
never sees a name, kana or birth year anywhere in the HTML."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from cases.models import Basis, Case
from sheets.models import Sheet
from tests.conftest import World, make_case, make_sheet

PERSONAL = ["山田", "花子", "一郎", "やまだ", "はなこ", "いちろう", "1944", "1972", "昭和"]


@pytest.fixture
def shared(world: World) -> tuple[Case, Sheet]:
    case = make_case(world)
    sheet = make_sheet(world, case)
    return case, sheet


def test_charlie_sees_nothing_in_lists_search_and_dashboard(
    client: Client, world: World, shared: tuple[Case, Sheet]
) -> None:
    _, sheet = shared
    client.force_login(world.charlie)
    for url in [
        reverse("cases:list"),
        reverse("sheets:inbox"),
        reverse("sheets:outbox"),
        reverse("cases:search") + "?q=やまだ",
        reverse("home"),
    ]:
        html = client.get(url).content.decode()
        assert sheet.number not in html, url
        assert "山田" not in html, url


@pytest.mark.parametrize("basis", [Basis.NONE, Basis.CONSENT])
def test_anonymised_sheet_and_case_show_no_personal_field_to_bob(
    client: Client, world: World, basis: str
) -> None:
    # With consent, bob's agency is outside the consent scope when the consent names only C.
    case = make_case(world, basis=basis)
    if basis == Basis.CONSENT:
        case.consents.get().agencies.set([world.c])
    sheet = make_sheet(world, case)
    assert sheet.is_anonymised
    sheet.acknowledge(by=world.bob, assignee=world.bob, roles="包括: 状況確認")
    sheet.report_progress(by=world.bob, text="訪問しました")
    client.force_login(world.bob)
    pages = [
        reverse("sheets:detail", args=[sheet.pk]),
        reverse("cases:detail", args=[case.pk]),
        reverse("sheets:inbox"),
        reverse("sheets:inbox") + "?status=all",
        reverse("cases:search") + f"?q={case.number}",
        reverse("home"),
    ]
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        html = response.content.decode()
        for personal in PERSONAL:
            assert personal not in html, (url, personal)
    # A name search echoes the query but finds nothing: names are matched only where visible.
    html = client.get(reverse("cases:search"), {"q": "ヤマダ"}).content.decode()
    assert f"{case.number}</a>" not in html and "花子" not in html and "1944" not in html
    # The same pages do show the names to alice, so the check above can fail.
    client.force_login(world.alice)
    html = client.get(reverse("cases:detail", args=[case.pk])).content.decode()
    assert "山田 花子" in html and "1944" in html


def test_non_anonymised_sheet_shows_names_to_bob(client: Client, world: World) -> None:
    case = make_case(world)
    sheet = make_sheet(world, case)
    assert not sheet.is_anonymised
    client.force_login(world.bob)
    assert "山田 花子" in client.get(reverse("sheets:detail", args=[sheet.pk])).content.decode()


def test_coordinator_sees_masked_case_without_basis(client: Client, world: World) -> None:
    case = make_case(world, basis=Basis.NONE)
    client.force_login(world.coordinator)
    html = client.get(reverse("cases:detail", args=[case.pk])).content.decode()
    assert "山田" not in html and "Aさん" in html
