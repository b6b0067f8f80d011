"""Agenda items reordered by 上へ/下へ (plain POST forms, and htmx with JavaScript) or by drag
(the new place as `to`): the agenda is numbered 1…n again, a distributed-then-reopened agenda
logs the change, a frozen one refuses it."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from meetings.models import AgendaItem, Meeting, MeetingEvent
from tests.conftest import World, make_case, signed_in
from tests.meetings.conftest import Bodies, add_theme, attend, make_meeting

HTMX = {"HX-Request": "true"}


def agenda(world: World, bodies: Bodies, *themes: str) -> tuple[Meeting, list[AgendaItem]]:
    meeting = make_meeting(world, bodies.kutsuki)
    return meeting, [add_theme(world, meeting, theme) for theme in themes]


def titles(meeting: Meeting) -> list[str]:
    return [item.title for item in meeting.items.order_by("order", "id")]


def move(client: Client, meeting: Meeting, item: AgendaItem, **data: str) -> Any:
    url = reverse("meetings:item_move", args=[meeting.pk, item.pk])
    return client.post(url, data, headers=HTMX if data.pop("htmx", "") else {})


def test_up_and_down_without_javascript_redirect_to_the_item(
    client: Client, world: World, bodies: Bodies
) -> None:
    meeting, (a, _b, c) = agenda(world, bodies, "あ", "い", "う")
    signed_in(client, world.coordinator)
    response = move(client, meeting, c, direction="up")
    assert response.status_code == 302
    assert response["Location"] == reverse("meetings:detail", args=[meeting.pk]) + f"#item-{c.pk}"
    assert titles(meeting) == ["あ", "う", "い"]
    move(client, meeting, a, direction="down")
    assert titles(meeting) == ["う", "あ", "い"]
    move(client, meeting, c, direction="up")  # already first: nothing moves
    assert titles(meeting) == ["う", "あ", "い"]
    page = client.get(response["Location"]).content.decode()
    assert "「う」を1番目にしました。" in page


def test_htmx_answers_the_agenda_region_renumbered_with_the_focus_kept(
    client: Client, world: World, bodies: Bodies
) -> None:
    meeting, (a, _b, _c) = agenda(world, bodies, "あ", "い", "う")
    signed_in(client, world.coordinator)
    response = move(client, meeting, a, direction="down", htmx="1")
    html = response.content.decode()
    assert response.status_code == 200 and "<html" not in html and "HX-Request" in response["Vary"]
    assert "「あ」を2番目にしました。" in html
    assert html.index("〜 い") < html.index("〜 あ") < html.index("〜 う")
    # The pressed button of the moved item is where the focus goes back.
    pressed = html.split(f'id="item-{a.pk}"')[1].split("</form>")[0]
    assert 'value="down" aria-label="「あ」を下へ" data-focus-after-swap' in pressed
    assert list(meeting.items.order_by("order").values_list("order", flat=True)) == [1, 2, 3]


def test_a_dragged_item_takes_the_place_it_was_dropped_on(
    client: Client, world: World, bodies: Bodies
) -> None:
    meeting, (a, _b, _c, d) = agenda(world, bodies, "あ", "い", "う", "え")
    signed_in(client, world.coordinator)
    move(client, meeting, d, to="2", htmx="1")
    assert titles(meeting) == ["あ", "え", "い", "う"]
    move(client, meeting, a, to="99")  # beyond the end: last
    assert titles(meeting) == ["え", "い", "う", "あ"]


def test_a_distributed_agenda_refuses_and_a_reopened_one_logs_the_move(
    client: Client, world: World, bodies: Bodies
) -> None:
    meeting, (_a, b) = agenda(world, bodies, "あ", "い")
    attend(meeting, world.bob)
    meeting.distribute(by=world.coordinator)
    signed_in(client, world.coordinator)
    response = move(client, meeting, b, direction="up")
    assert titles(meeting) == ["あ", "い"]
    page = client.get(response["Location"]).content.decode()
    assert "配布済みの議題は変更できません。" in page
    meeting.reopen_agenda(by=world.coordinator, reason="順番を入れ替える")
    move(client, meeting, b, direction="up")
    assert titles(meeting) == ["い", "あ"]
    logged = MeetingEvent.objects.filter(meeting=meeting, kind="agenda_changed")
    assert [e.text for e in logged] == ["議題の順番を変更: い（1番目へ）"]
    meeting.refresh_from_db()
    assert meeting.agenda_changed_since_distribution


def test_only_those_who_manage_the_meeting_may_move(
    client: Client, world: World, bodies: Bodies
) -> None:
    meeting, (_a, b) = agenda(world, bodies, "あ", "い")
    signed_in(client, world.alice)  # on the roster, not chair or coordinator
    assert move(client, meeting, b, direction="up", htmx="1").status_code == 403
    signed_in(client, world.charlie)
    assert move(client, meeting, b, direction="up", htmx="1").status_code == 404
    assert titles(meeting) == ["あ", "い"]


# The htmx move: 1 session, 2 user, 3 memberships, 4 districts (scope), 5 the meeting,
# 6 the item, 7 the agenda's order; 8 SAVEPOINT, 9 the meeting locked, 10 the items, 11 the
# moved item's case (its title for the log), 12 one UPDATE numbering them all, 13 RELEASE;
# the region: 14 the cases shown, 15 INSERT of their read records, 16 minutes revisions,
# 17 the items with their related rows, 18-22 needed agencies, people, tags, 宿題 and sheets
# (one prefetch each), then 1 per case item — its consent records with the agencies each
# names (the masking rule decides per case; the meeting page has the same growth, see the
# note) — and the plans on the agenda. The whole page after a plain POST's redirect is far
# more: the partial skips attendees, suggestions, the menu and the forms.
MOVE_QUERIES = {1: 24, 6: 29}


@pytest.mark.parametrize("cases", [1, 6])
def test_the_htmx_move_costs_fewer_queries_than_the_page(
    client: Client, world: World, bodies: Bodies, django_assert_num_queries: Any, cases: int
) -> None:
    meeting = make_meeting(world, bodies.kutsuki)
    items = [
        meeting.add_item(by=world.coordinator, kind=AgendaItem.Kind.CASE, case=make_case(world))
        for _ in range(cases)
    ]
    add_theme(world, meeting, "テーマ")
    signed_in(client, world.coordinator)
    with django_assert_num_queries(MOVE_QUERIES[cases]):
        assert move(client, meeting, items[0], direction="down", htmx="1").status_code == 200
    with CaptureQueriesContext(connection) as page:
        client.get(reverse("meetings:detail", args=[meeting.pk]))
    assert len(page.captured_queries) > MOVE_QUERIES[cases] + 10
