"""Exact query counts for the inbox and the outbox, the same with 10 and 1,000 sheets."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client
from django.urls import reverse
from pytest_django import DjangoAssertNumQueries

from areas.scope import scope_of
from cases.models import Case, Event
from reminders.models import Cursor
from sheets.models import Phrase, PhraseUse, Sheet, Status
from tests.conftest import World, make_case, make_sheet, signed_in

SENT = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)


def bulk_sheets(world: World, case: Case, count: int) -> None:
    """`count` sheets from A to B (half of them overdue), written in one INSERT."""
    rows = []
    for i in range(count):
        due = SENT + timedelta(days=i % 60)
        rows.append(
            Sheet(
                number=f"{case.number}-{i:04d}",
                case=case,
                sender_agency=world.a,
                liaison=world.alice,
                receiver_agency=world.b,
                status=Status.SENT,
                request="依頼",
                sender_continuing="継続",
                basis=case.basis,
                sent_at=SENT,
                ack_due_at=due,
                next_due_at=due,
                last_event_at=SENT,
            )
        )
    created = Sheet.objects.bulk_create(rows)
    Cursor.objects.bulk_create(
        Cursor(
            kind="sheet",
            subject_id=s.pk,
            deadline=s.next_due_at,
            remind_at=s.next_due_at,
            step=1 + i % 3,
        )
        for i, s in enumerate(created)
    )


# Queries of a signed-in page, before the view's own:
#   1 session row, 2 user row.
# (The idle-timeout stamp is written when the session has none, then once a minute: the first
# request after signing in wrote it — signed_in — so the measured ones do not.)
# Inbox, in order:
#   3 memberships of the user (scope_of, cached for the request),
#   4 COUNT of the inbox for the paginator (receiver IN my agencies AND next_due_at NOT NULL);
#     unfiltered, it is also the navigation's count of open sheets, so that is not repeated,
#   5 navigation: COUNT of unread notifications,
#   6 my open meeting action items (宿題) with their meeting and body, above the sheets,
#   7 districts for the filter's <select>,
#   8 the ids of the page's 25 sheets (OFFSET on the index, no joins),
#   9 those 25 sheets with case, district, sender, receiver and assignee joined.
INBOX_QUERIES = 9
# A filtered inbox counts its own rows, so the navigation counts the open sheets (+1).
FILTERED_INBOX_QUERIES = 10
# Outbox: the inbox's shape with its own COUNT and page (sender IN my agencies) and the
# navigation's inbox COUNT.
OUTBOX_QUERIES = 9


@pytest.mark.parametrize("count", [10, 1000])
def test_inbox_query_count_does_not_grow(
    client: Client, world: World, django_assert_num_queries: DjangoAssertNumQueries, count: int
) -> None:
    bulk_sheets(world, make_case(world), count)
    signed_in(client, world.bob)
    with django_assert_num_queries(INBOX_QUERIES):
        response = client.get(reverse("sheets:inbox"))
    assert response.status_code == 200
    assert response.content.decode().count('data-testid="inbox-row"') == min(count, 25)
    with django_assert_num_queries(FILTERED_INBOX_QUERIES):
        client.get(reverse("sheets:inbox"), {"page": "2", "overdue": "on", "status": "all"})


@pytest.mark.parametrize("count", [10, 1000])
def test_outbox_query_count_does_not_grow(
    client: Client, world: World, django_assert_num_queries: DjangoAssertNumQueries, count: int
) -> None:
    bulk_sheets(world, make_case(world), count)
    signed_in(client, world.alice)
    with django_assert_num_queries(OUTBOX_QUERIES):
        response = client.get(reverse("sheets:outbox"))
    assert response.content.decode().count('data-testid="outbox-row"') == min(count, 25)


def test_boxes_stay_inside_the_visible_to_choke_point(client: Client, world: World) -> None:
    """The boxes filter by my agencies directly; that must never show more than visible_to."""
    case = make_case(world)
    bulk_sheets(world, case, 5)
    for user in (world.alice, world.bob, world.bob_boss, world.charlie, world.coordinator):
        visible = set(Sheet.objects.visible_to(user).values_list("pk", flat=True))
        ids = scope_of(user).agency_ids
        assert set(Sheet.objects.inbox_of(ids).values_list("pk", flat=True)) <= visible
        assert set(Sheet.objects.outbox_of(ids).values_list("pk", flat=True)) <= visible
        assert set(Case.objects.listed_for(user).values_list("pk", flat=True)) <= set(
            Case.objects.visible_to(user).values_list("pk", flat=True)
        )


# The sheet page, for the receiver before acknowledgement:
#   1 session, 2 user, 3 my memberships (scope), 4 the sheet with its related rows,
#   5-6 the case's consent records and their agencies (the one rule: may I see the people),
#   7 the people, 8 the redirect children, 9 the sheet's timeline,
#   10-11 the read log (SAVEPOINT, INSERT), 12 inbox count, 13 unread notices, 14 tags,
#   15 assignee choices (acknowledge form), 16 agencies (redirect form), 17 the receiving
#   agency's 定型文 (beside the redirect's request), 18 RELEASE.
RECEIVER_SHEET_QUERIES = 18
# The sender: the same without the two choice lists.
SENDER_SHEET_QUERIES = 15


@pytest.mark.parametrize("events", [1, 30])
def test_the_sheet_page_renders_only_the_receivers_moves_in_constant_queries(
    client: Client,
    world: World,
    django_assert_num_queries: DjangoAssertNumQueries,
    events: int,
) -> None:
    sheet = make_sheet(world)
    for i in range(events):  # a long timeline does not add queries
        Event.objects.create(
            case=sheet.case, sheet=sheet, kind=Event.Kind.NOTE, at=SENT, text=f"記録{i}"
        )
        Phrase.objects.create(agency=world.b, use=PhraseUse.REQUEST, text=f"定型文{i}")
    signed_in(client, world.bob)
    url = reverse("sheets:detail", args=[sheet.pk])
    client.get(url)
    with django_assert_num_queries(RECEIVER_SHEET_QUERIES):
        page = client.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert f"記録{events - 1}" in html
    # Only the moves open to bob (receiver, not yet acknowledged): acknowledge and redirect.
    assert 'value="受理する"' in html and 'value="転送する"' in html
    assert 'value="経過を報告する"' not in html and 'value="取り下げる"' not in html
    assert 'value="終結する"' not in html


def test_the_sender_sees_only_the_withdraw_form(
    client: Client, world: World, django_assert_num_queries: DjangoAssertNumQueries
) -> None:
    sheet = make_sheet(world)
    signed_in(client, world.alice)
    url = reverse("sheets:detail", args=[sheet.pk])
    client.get(url)
    with django_assert_num_queries(SENDER_SHEET_QUERIES):
        html = client.get(url).content.decode()
    assert 'value="取り下げる"' in html
    assert 'value="受理する"' not in html and 'value="転送する"' not in html


# The boxes asked for by htmx (a filter changed, a page turned: HX-Request): the list region
# only, so no menu counts, no 宿題 and no districts for the filter's <select>:
#   1 session, 2 user, 3 memberships (scope), 4 COUNT for the paginator, 5 the page's ids,
#   6 the page's sheets. Filtered or not, inbox or outbox (no redirected sheet on the page).
BOX_PARTIAL_QUERIES = 6
HTMX = {"HX-Request": "true"}


@pytest.mark.parametrize("count", [10, 1000])
@pytest.mark.parametrize("box", ["sheets:inbox", "sheets:outbox"])
def test_a_box_asked_for_by_htmx_answers_only_its_list_in_fewer_queries(
    client: Client,
    world: World,
    django_assert_num_queries: DjangoAssertNumQueries,
    count: int,
    box: str,
) -> None:
    bulk_sheets(world, make_case(world), count)
    signed_in(client, world.bob if box == "sheets:inbox" else world.alice)
    row = 'data-testid="inbox-row"' if box == "sheets:inbox" else 'data-testid="outbox-row"'
    for query in ({}, {"page": "2", "overdue": "on", "status": "all"}):
        with django_assert_num_queries(BOX_PARTIAL_QUERIES):
            response = client.get(reverse(box), query, headers=HTMX)
        html = response.content.decode()
        assert response.status_code == 200 and "HX-Request" in response["Vary"]
        assert "<html" not in html and "メインメニュー" not in html and "絞り込む" not in html
        assert html.count(row) == min(count, 25)  # page 2 of 10 sheets is the last page: 1
    # Without the header the same address is the whole page.
    assert "メインメニュー" in client.get(reverse(box)).content.decode()
