"""Audit: every page that shows a case's contents writes exactly one access row (user, agency,
case, what, IP); list pages write none; supervisors and coordinators see who read a case."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from cases.models import Access
from tests.conftest import World, make_case, make_sheet


@pytest.mark.parametrize(
    ("user", "name", "what", "agency"),
    [
        ("alice", "cases:detail", "相談の詳細", "a"),
        ("alice", "cases:edit", "相談の修正", "a"),
        ("alice", "sheets:new", "シートの作成", "a"),
        ("bob", "cases:detail", "相談の詳細", "b"),
        ("bob", "sheets:detail", "シートの詳細", "b"),
        ("alice", "sheets:detail", "シートの詳細", "a"),
        ("coordinator", "cases:detail", "相談の詳細", "office"),
    ],
)
def test_each_case_data_page_writes_exactly_one_access_row(
    client: Client, world: World, user: str, name: str, what: str, agency: str
) -> None:
    case = make_case(world)
    sheet = make_sheet(world, case)
    client.force_login(getattr(world, user))
    target = sheet.pk if name == "sheets:detail" else case.pk
    response = client.get(reverse(name, args=[target]), REMOTE_ADDR="192.0.2.7")
    assert response.status_code == 200
    access = Access.objects.get()
    assert (access.case, access.user, access.what) == (case, getattr(world, user), what)
    assert access.agency == getattr(world, agency)
    assert access.ip == "192.0.2.7"


def test_a_refused_edit_rerender_also_writes_one_row(client: Client, world: World) -> None:
    case = make_case(world)
    client.force_login(world.alice)
    client.post(reverse("cases:edit", args=[case.pk]), {"version": case.version})
    assert Access.objects.filter(case=case, what="相談の修正").count() == 1


def test_list_pages_write_no_access_rows(client: Client, world: World) -> None:
    make_sheet(world)
    client.force_login(world.bob)
    for url in [
        reverse("cases:list"),
        reverse("sheets:inbox"),
        reverse("sheets:outbox"),
    ]:
        client.get(url)
    # (The home page shows the people of its rows, and records it: tests/sheets/test_dashboard.py.)
    assert not Access.objects.exists()


def test_search_writes_one_row_per_case_shown_with_names(client: Client, world: World) -> None:
    first, second = make_case(world), make_case(world)
    client.force_login(world.alice)
    client.get(reverse("cases:search"), {"q": "やまだ"})
    assert sorted(Access.objects.values_list("case_id", "what")) == [
        (first.pk, "検索結果"),
        (second.pk, "検索結果"),
    ]


def test_who_saw_this_case_is_for_supervisors_and_coordinators(
    client: Client, world: World
) -> None:
    case = make_case(world)
    make_sheet(world, case)
    client.force_login(world.bob)
    client.get(reverse("cases:detail", args=[case.pk]))
    url = reverse("cases:accesses", args=[case.pk])
    assert client.get(url).status_code == 403
    for reader in (world.bob_boss, world.coordinator):
        client.force_login(reader)
        html = client.get(url).content.decode()
        assert "坂東 勉" in html and "相談の詳細" in html and "地域包括支援センター" in html
    # Reading the log is not itself a read of the case's contents.
    assert Access.objects.count() == 1
