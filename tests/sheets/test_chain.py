"""The chain in the sender's view (issue 10 item 3): the outbox follows a sheet down its
redirects with each sheet's live status and the agency holding it; an earlier sender may open
every sheet below its own, and sees the case there only as the rule lets it (the
de-identified view when the basis does not name it)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.test import Client
from django.urls import reverse
from pytest_django import DjangoAssertNumQueries

from areas.models import Agency, Role
from sheets.models import Sheet
from tests.conftest import World, make_case, make_member, make_sheet, make_user

SENT = datetime(2026, 11, 24, 1, 0, tzinfo=UTC)
NAMES = ("山田", "花子", "一郎", "やまだ", "はなこ")


def agency(code: str, name: str, user: str) -> Agency:
    made = Agency.objects.create(code=code, name=name, kind=Agency.Kind.OUTSIDE)
    make_member(make_user(user), made, Role.STAFF)
    return made


def staff(of: Agency) -> object:
    return of.memberships.get().user


def chain_of(world: World, first: Sheet, *agencies: Agency) -> list[Sheet]:
    """first → agencies[0] → agencies[1] …, each redirect written for a de-identified reader."""
    sheets = [first]
    holder = world.bob
    for to in agencies:
        child = sheets[-1].redirect(
            by=holder,  # type: ignore[arg-type]
            to=to,
            reason="より適した機関のため",
            request=f"{to.name}での支援をお願いします。",
            continuing="引き続き連絡の窓口になります。",
            now=SENT,
        )
        sheets.append(child)
        holder = staff(to)  # type: ignore[assignment]
    return sheets


@pytest.fixture
def four(world: World) -> list[Sheet]:
    """朽木支所 → 包括 (B, named by the consent) → C → ホップ → 社協: four redirects deep."""
    hop = agency("hop", "就労準備支援「ホップ」", "hop")
    shakyo = agency("shakyo", "社会福祉協議会", "shakyo")
    return chain_of(world, make_sheet(world, now=SENT), world.c, hop, shakyo)


def test_the_outbox_shows_every_sheet_below_with_its_status_and_holder(
    client: Client, world: World, four: list[Sheet]
) -> None:
    client.force_login(world.alice)
    html = client.get(reverse("sheets:outbox")).content.decode()
    assert html.count('data-testid="outbox-row"') == 1
    assert html.count('data-testid="outbox-chain-row"') == 3
    for child in four[1:]:
        assert child.number in html
        assert reverse("sheets:detail", args=[child.pk]) in html
    assert "転送 → 就労準備支援「ホップ」" in html and "転送 → 社会福祉協議会" in html
    # depth first: each sheet after the one it came from
    assert html.index(four[1].number) < html.index(four[2].number) < html.index(four[3].number)
    # B sent only the sheet to C (by redirecting), which C redirected on: its chain below it.
    client.force_login(world.bob)
    html = client.get(reverse("sheets:outbox")).content.decode()
    assert html.count('data-testid="outbox-row"') == 1
    assert html.count('data-testid="outbox-chain-row"') == 2
    assert html.index(four[1].number) < html.index(four[2].number) < html.index(four[3].number)


def test_every_earlier_sender_may_open_every_sheet_below_and_nobody_else(
    client: Client, world: World, four: list[Sheet]
) -> None:
    last = four[-1]
    outsider = agency("npo", "NPO法人", "npo")
    hop_user = staff(four[2].receiver_agency)  # type: ignore[arg-type]
    for user in (world.alice, world.bob, world.bob_boss, world.charlie, hop_user):
        client.force_login(user)  # type: ignore[arg-type]
        assert client.get(reverse("sheets:detail", args=[last.pk])).status_code == 200, user
    client.force_login(staff(outsider))  # type: ignore[arg-type]
    assert client.get(reverse("sheets:detail", args=[last.pk])).status_code == 404
    # Opening is not acting: an earlier sender has no move on a sheet below its own.
    client.force_login(world.alice)
    html = client.get(reverse("sheets:detail", args=[last.pk])).content.decode()
    assert 'value="取り下げる"' not in html and 'value="受理する"' not in html
    response = client.post(reverse("sheets:withdraw", args=[last.pk]), {"reason": "x"})
    assert response.status_code == 302
    last.refresh_from_db()
    assert last.status == "sent"


def test_an_earlier_sender_the_basis_does_not_name_sees_the_deidentified_view(
    client: Client, world: World, four: list[Sheet]
) -> None:
    last = four[-1]
    url = reverse("sheets:detail", args=[last.pk])
    # C is an earlier sender of the last sheet but the consent names only B.
    client.force_login(world.charlie)
    html = client.get(url).content.decode()
    assert [n for n in NAMES if n in html] == []
    assert "社会福祉協議会での支援をお願いします。" in html  # written for anonymous readers
    # B is named by the consent, the counter received the consultation: they see the person.
    for user in (world.bob, world.alice):
        client.force_login(user)
        assert "山田 花子" in client.get(url).content.decode()


def test_coordinators_and_receivers_are_unchanged(world: World, four: list[Sheet]) -> None:
    assert set(Sheet.objects.visible_to(world.charlie)) == set(four[1:])  # C: sent, received,
    # and everything below what it sent
    assert set(Sheet.objects.visible_to(world.alice)) == set(four)


@pytest.mark.parametrize("count", [1, 10])
def test_the_outbox_with_chains_costs_the_same_queries_whatever_the_size(
    client: Client, world: World, django_assert_num_queries: DjangoAssertNumQueries, count: int
) -> None:
    hop = agency("hop", "就労準備支援「ホップ」", "hop")
    for _ in range(count):
        case = make_case(world, now=SENT)
        chain_of(world, make_sheet(world, case, now=SENT), world.c, hop)
    client.force_login(world.alice)
    # 1 session, 2 user, 3 memberships (scope), 4 COUNT of the outbox, 5 inbox count and
    # unread notice entries (nav, one statement), 6 districts for the filter, 7 the page's ids,
    # 8 the page's sheets, 9 the sheets below the page's redirected ones (one query for all
    # chains), 10-12 SAVEPOINT / UPDATE session / RELEASE. Without a redirected sheet on the
    # page: 11 (tests/sheets/test_views_queries.py OUTBOX_QUERIES).
    with django_assert_num_queries(12):
        html = client.get(reverse("sheets:outbox")).content.decode()
    assert html.count('data-testid="outbox-chain-row"') == 2 * count


def test_the_page_links_its_parent_exactly_when_visible_to_lets_the_viewer_open_it(
    client: Client, world: World, four: list[Sheet]
) -> None:
    """The sheet page marks its 転送元 with visible_to's own condition, narrowed to the case's
    chains (sheets/views.py related_sheets): alice and bob may open the parent only through
    the chain clause (they sent a sheet above it that was redirected), ホップ received it, and
    社協 (the last receiver) may not open it."""
    last, parent = four[-1], four[-2]
    hop_user = staff(four[2].receiver_agency)  # type: ignore[arg-type]
    shakyo_user = staff(last.receiver_agency)  # type: ignore[arg-type]
    link = f'href="{reverse("sheets:detail", args=[parent.pk])}"'
    expected = {world.alice: True, world.bob: True, hop_user: True, shakyo_user: False}
    for user, linked in expected.items():
        assert Sheet.objects.visible_to(user).filter(pk=parent.pk).exists() is linked, user  # type: ignore[arg-type]
        client.force_login(user)  # type: ignore[arg-type]
        html = client.get(reverse("sheets:detail", args=[last.pk])).content.decode()
        assert parent.number in html
        assert (link in html) is linked, user
