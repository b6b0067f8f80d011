"""受理 and 経過報告 asked for by htmx (HX-Request): the answer is the sheet page's region as the
sheet is now, with the message or the form's errors in Japanese; without the header the same
views redirect to the page as before."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from pytest_django import DjangoAssertNumQueries

from sheets.models import Sheet, Status
from tests.conftest import World, make_sheet, signed_in

HTMX = {"HX-Request": "true"}


def region(response: object) -> str:
    html: str = response.content.decode()  # type: ignore[attr-defined]
    assert "<html" not in html and "メインメニュー" not in html  # the region, not the page
    assert "HX-Request" in response["Vary"]  # type: ignore[index]
    return html


def acknowledged(world: World) -> Sheet:
    sheet = make_sheet(world)
    sheet.acknowledge(by=world.bob, assignee=world.bob, roles="包括: 訪問")
    return sheet


def test_acknowledging_through_htmx_answers_the_region_with_the_new_status(
    client: Client, world: World
) -> None:
    sheet = make_sheet(world)
    signed_in(client, world.bob)
    data = {"assignee": world.bob_boss.pk, "roles": "包括: 介護申請"}
    response = client.post(reverse("sheets:acknowledge", args=[sheet.pk]), data, headers=HTMX)
    assert response.status_code == 200
    html = region(response)
    assert f"シート {sheet.number} を受理しました。" in html
    assert 'data-testid="sheet-status">対応中<' in html and "馬場 文雄" in html
    # The moves of an acknowledged sheet replace the acknowledge form.
    assert 'value="経過を報告する"' in html and 'value="受理する"' not in html
    sheet.refresh_from_db()
    assert (sheet.status, sheet.assignee) == (Status.ACKNOWLEDGED, world.bob_boss)


def test_an_invalid_acknowledgement_re_renders_the_form_in_place_in_japanese(
    client: Client, world: World
) -> None:
    sheet = make_sheet(world)
    signed_in(client, world.bob)
    response = client.post(
        reverse("sheets:acknowledge", args=[sheet.pk]), {"roles": "x"}, headers=HTMX
    )
    assert response.status_code == 400
    html = region(response)
    assert "入力内容を確認してください。まだ何も変わっていません。" in html
    assert "このフィールドは必須です。" in html and 'aria-invalid="true"' in html
    assert 'value="受理する"' in html
    sheet.refresh_from_db()
    assert sheet.status == Status.SENT


def test_a_progress_report_through_htmx_answers_the_region(client: Client, world: World) -> None:
    sheet = acknowledged(world)
    signed_in(client, world.bob)
    url = reverse("sheets:progress", args=[sheet.pk])
    response = client.post(url, {"text": "訪問して申請を手伝いました"}, headers=HTMX)
    assert response.status_code == 200
    html = region(response)
    assert "経過を報告しました。" in html and "訪問して申請を手伝いました" in html  # timeline
    empty = client.post(url, {"text": ""}, headers=HTMX)
    assert empty.status_code == 400
    assert "このフィールドは必須です。" in region(empty)
    assert sheet.events.filter(kind="progress").count() == 1


def test_without_htmx_the_moves_still_redirect_to_the_page(client: Client, world: World) -> None:
    sheet = make_sheet(world)
    signed_in(client, world.bob)
    data = {"assignee": world.bob.pk, "roles": "包括: 訪問"}
    response = client.post(reverse("sheets:acknowledge", args=[sheet.pk]), data)
    assert response.status_code == 302
    assert response["Location"] == reverse("sheets:detail", args=[sheet.pk])


def test_charlie_gets_404_through_htmx_too(client: Client, world: World) -> None:
    sheet = acknowledged(world)
    signed_in(client, world.charlie)
    for name, data in [("acknowledge", {"roles": "x"}), ("progress", {"text": "x"})]:
        url = reverse(f"sheets:{name}", args=[sheet.pk])
        assert client.post(url, data, headers=HTMX).status_code == 404


# An htmx 経過報告 does the move and renders the region in the one request; without htmx the
# same move is a POST answered by a redirect, then a GET of the whole page (34: a second
# session, user and scope, the menu's two counts in one statement).
#   The move: 1 session, 2 user, 3 memberships (scope), 4 the sheet with its related rows
#   (scoped), 5-6 SAVEPOINTs, 7 the sheet locked, 8 the receiving agency, 9 closures (business
#   days), 10 UPDATE sheet, 11 the sheet's cursor row, 12 UPDATE cursor, 13 the case, 14 INSERT
#   event, 15 RELEASE; the notice: 16 agencies along the chain, 17 active liaisons, 18 already
#   told?, 19 mail preferences, 20 INSERT mail, 21 INSERT notification, 22 RELEASE.
#   The region: 23 the sheet as it is now, 24 the receiver's 定型文, 25 consents with the
#   agencies each names (the rule), 26 people, 27 redirect children and parent (followable or
#   not), 28 timeline, 29 INSERT read log, 30 tags — the page's queries without its menu
#   counts (終結, 担当者を変える and 転送 have their own pages: no choice lists here).
@pytest.mark.parametrize("events", [1, 20])
def test_an_htmx_progress_report_costs_fewer_queries_than_post_redirect_get(
    client: Client,
    world: World,
    django_assert_num_queries: DjangoAssertNumQueries,
    events: int,
) -> None:
    sheet = acknowledged(world)
    url = reverse("sheets:progress", args=[sheet.pk])
    signed_in(client, world.bob)
    for i in range(events):
        client.post(url, {"text": f"報告{i}"})
    with django_assert_num_queries(HTMX_PROGRESS_QUERIES) as htmx_run:
        assert client.post(url, {"text": "htmx"}, headers=HTMX).status_code == 200
    with django_assert_num_queries(PLAIN_PROGRESS_QUERIES) as plain_run:
        assert client.post(url, {"text": "plain"}, follow=True).status_code == 200
    assert len(htmx_run.captured_queries) < len(plain_run.captured_queries)


# (+1: the municipality's office hours for the new deadline, once per request; +1: the case's
# row lock, which a move takes before its sheet's (Sheet._lock))
HTMX_PROGRESS_QUERIES = 32
PLAIN_PROGRESS_QUERIES = 36  # (+1, +1 as above)
