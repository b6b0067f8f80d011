"""The home page answers "what needs me now": sheets waiting for my agency, my sheets whose
receiver is late, my open cases and what other agencies did — each row with district, tags and
the person as the one rule lets this viewer see them, in a constant number of queries."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from cases.models import Access, Basis
from tests.conftest import World, make_case, make_sheet


def home(client: Client) -> str:
    response = client.get(reverse("home"))
    assert response.status_code == 200
    return response.content.decode()


def test_receiver_named_by_consent_sees_the_waiting_sheet_with_the_name(
    client: Client, world: World
) -> None:
    sheet = make_sheet(world)  # consent names bob's agency B
    client.force_login(world.bob)
    html = home(client)
    assert sheet.number in html and "山田 花子" in html and "朽木" in html and "ひきこもり" in html
    assert Access.objects.filter(user=world.bob, case=sheet.case, what="ホーム").count() == 1


def test_receiver_outside_the_basis_sees_the_alias_and_no_read_record(
    client: Client, world: World
) -> None:
    case = make_case(world, basis=Basis.NONE)
    sheet = make_sheet(world, case)
    client.force_login(world.bob)
    html = home(client)
    assert sheet.number in html and "Aさん（80代）" in html
    assert "山田" not in html and "やまだ" not in html and "1944" not in html
    assert not Access.objects.filter(user=world.bob, what="ホーム").exists()


def test_sender_sees_late_sheets_and_what_the_receiver_did(client: Client, world: World) -> None:
    then = timezone.now() - timedelta(days=10)
    late = make_sheet(world, now=then)
    answered = make_sheet(world)
    answered.acknowledge(by=world.bob, assignee=world.bob, roles="包括: 訪問")
    client.force_login(world.alice)
    html = home(client)
    assert 'data-testid="dash-late"' in html and late.number in html
    recent = html.split('id="h-dash-recent"')[1]
    assert answered.number in recent and "受理" in recent and world.b.name in recent
    # Alice's own sending is not news to her.
    assert "シート送付" not in recent


@pytest.mark.parametrize("rows", [1, 12])
def test_home_queries_do_not_grow_with_the_rows(
    client: Client, world: World, django_assert_num_queries: object, rows: int
) -> None:
    then = timezone.now() - timedelta(days=10)
    for _ in range(rows):
        make_sheet(world, now=then)
    client.force_login(world.bob)
    client.get(reverse("home"))  # warm the session
    # session, user, memberships (scope); navigation: inbox count and unread notices (one
    # statement);
    # waiting sheets, late sheets, open cases, recent events, tags (one prefetch for every row's
    # case), the rule's decisions, people, one INSERT of the read records, my open 宿題 (the
    # idle-timeout stamp was written by the warm-up request)
    with django_assert_num_queries(13):  # type: ignore[operator]
        html = home(client)
    assert html.count('data-testid="dash-waiting"') == min(rows, 10)
