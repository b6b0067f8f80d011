"""The worst bug is a leak between agencies. charlie (agency C) guesses every case and sheet URL,
by GET and by POST: each is a 404 and nothing changes. bob, reading an anonymised sheet and its
case, never sees a name, kana or birth year anywhere in the HTML."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from cases.models import Basis, Case
from sheets.models import Sheet, Status
from tests.conftest import World, make_case, make_sheet, outcome

PERSONAL = ["山田", "花子", "一郎", "やまだ", "はなこ", "いちろう", "1944", "1972", "昭和"]


def case_urls(case: Case) -> list[str]:
    return [
        reverse(name, args=[case.pk])
        for name in ["cases:detail", "cases:edit", "cases:close", "cases:accesses", "sheets:new"]
    ]


def sheet_urls(sheet: Sheet) -> list[str]:
    names = ["detail", "acknowledge", "progress", "close", "redirect", "withdraw"]
    return [reverse(f"sheets:{name}", args=[sheet.pk]) for name in names]


@pytest.fixture
def shared(world: World) -> tuple[Case, Sheet]:
    case = make_case(world)
    sheet = make_sheet(world, case)
    return case, sheet


def test_charlie_gets_404_for_every_case_and_sheet_url(
    client: Client, world: World, shared: tuple[Case, Sheet]
) -> None:
    case, sheet = shared
    client.force_login(world.charlie)
    post_data = {
        "note": "x",
        "reason": "x",
        "text": "x",
        "roles": "x",
        "assignee": world.charlie.pk,
        "outcome": outcome().pk,
        "to": world.c.pk,
        "summary": "x",
        "version": 1,
    }
    for url in case_urls(case) + sheet_urls(sheet):
        assert client.get(url).status_code == 404, url
        assert client.post(url, post_data).status_code == 404, url
    case.refresh_from_db()
    sheet.refresh_from_db()
    assert (case.status, case.version, sheet.status) == (Case.Status.OPEN, 1, Status.SENT)
    assert case.events.count() == 2
    assert not case.accesses.exists()


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


def test_admin_without_a_case_role_gets_404(
    client: Client, world: World, shared: tuple[Case, Sheet]
) -> None:
    case, sheet = shared
    client.force_login(world.admin)
    for url in case_urls(case) + sheet_urls(sheet):
        assert client.get(url).status_code == 404, url
    assert client.get(reverse("cases:new")).status_code == 404


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
