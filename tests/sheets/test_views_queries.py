"""Exact query counts for the inbox and the outbox, the same with 10 and 1,000 sheets."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse
from pytest_django import DjangoAssertNumQueries

from areas.scope import scope_of
from cases.models import Access, Case, Event
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
                district_id=case.district_id,
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
# A filtered inbox counts its own rows, so the navigation counts the open sheets, in the same
# statement as the unread notices (5): as many queries.
FILTERED_INBOX_QUERIES = 9
# Outbox: the inbox's shape with its own COUNT and page (sender IN my agencies); the
# navigation's two COUNTs in one statement (5).
OUTBOX_QUERIES = 8


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


@pytest.mark.parametrize(
    ("asked", "rows"), [("", 25), ("50", 50), ("100", 100), ("30", 25), ("x", 25)]
)
@pytest.mark.parametrize(
    ("box", "user", "queries"),
    [("inbox", "bob", FILTERED_INBOX_QUERIES), ("outbox", "alice", OUTBOX_QUERIES)],
)
def test_the_page_size_is_chosen_kept_in_the_links_and_costs_no_query(
    client: Client,
    world: World,
    django_assert_num_queries: DjangoAssertNumQueries,
    asked: str,
    rows: int,
    box: str,
    user: str,
    queries: int,
) -> None:
    bulk_sheets(world, make_case(world), 250)
    signed_in(client, getattr(world, user))
    # Filtered by status so the inbox counts its own rows (the navigation's count is separate);
    # the outbox always does.
    with django_assert_num_queries(queries):
        response = client.get(reverse(f"sheets:{box}"), {"status": "sent", "per_page": asked})
    assert response.status_code == 200
    html = response.content.decode()
    assert html.count(f'data-testid="{box}-row"') == rows
    if asked in ("50", "100"):
        assert f'<option value="{rows}" selected>{rows}件</option>' in html
    # (Missing or not a choice: the first option, 25, is what the browser shows.)
    # The next page keeps the size (and the other filters).
    assert f"?status=sent&amp;per_page={asked}&amp;page=2" in html
    assert f"1 / {-(-250 // rows)} ページ" in html


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
#   1 session, 2 user, 3 my memberships (scope),
#   4 the sheet with its case, district and agencies (liaison, assignee and outcome by name),
#   5 the case's consents with the agencies each names (the one rule: may I see the people),
#   6 the people,
#   7 the sheets it was redirected to and its parent, each marked followable or not by
#     visible_to (one query, however long the chain),
#   8 the sheet's timeline, 9 the read log (INSERT, committed before rendering),
#   10 navigation: the inbox COUNT and the unread COUNT in one statement, 11 tags,
#   12 assignee choices (受理). 転送 has its own page: its agency list is not read here.
RECEIVER_SHEET_QUERIES = 12
# The receiver after acknowledgement: 12 is the 定型文 offered beside 経過報告 (終結, 担当者を
# 変える and 転送 have their own pages: no outcome, member or agency lists here).
ACKNOWLEDGED_RECEIVER_SHEET_QUERIES = 12
# The sender: the same without a choice list (取下げ has none).
SENDER_SHEET_QUERIES = 11


def relatives(world: World, sheet: Sheet, count: int) -> None:
    """A long life for `sheet`: `count` timeline entries, redirect children, earlier reads and
    定型文, and a parent it was redirected from."""
    parent = make_sheet(world, sheet.case)
    Sheet.objects.filter(pk=sheet.pk).update(parent=parent)
    for i in range(count):
        Event.objects.create(
            case=sheet.case, sheet=sheet, kind=Event.Kind.NOTE, at=SENT, text=f"記録{i}"
        )
        Phrase.objects.create(agency=world.b, use=PhraseUse.REQUEST, text=f"定型文{i}")
        Phrase.objects.create(agency=world.b, use=PhraseUse.PROGRESS, text=f"経過の定型文{i}")
        Access.objects.create(case=sheet.case, user=world.bob, agency=world.b, what="前の閲覧")
    children = Sheet.objects.bulk_create(
        Sheet(
            number=f"{sheet.number}-{i:02d}",
            case=sheet.case,
            district_id=sheet.district_id,
            parent=sheet,
            sender_agency=world.b,
            liaison=world.bob,
            receiver_agency=world.c,
            status=Status.SENT,
            request="転送先への依頼",
            sender_continuing="継続",
            basis=sheet.basis,
            sent_at=SENT + timedelta(minutes=i),
            ack_due_at=SENT + timedelta(days=2),
            next_due_at=SENT + timedelta(days=2),
            last_event_at=SENT,
        )
        for i in range(count)
    )
    assert len(children) == count


def sheet_page(client: Client, user: User, sheet: Sheet, queries: int, counted: Any) -> str:
    signed_in(client, user)
    url = reverse("sheets:detail", args=[sheet.pk])
    client.get(url)
    with counted(queries):
        page = client.get(url)
    assert page.status_code == 200
    return str(page.content.decode())


@pytest.mark.parametrize("many", [0, 30])
def test_the_sheet_page_renders_only_the_receivers_moves_in_constant_queries(
    client: Client,
    world: World,
    django_assert_num_queries: DjangoAssertNumQueries,
    many: int,
) -> None:
    sheet = make_sheet(world)
    if many:
        relatives(world, sheet, many)
    html = sheet_page(client, world.bob, sheet, RECEIVER_SHEET_QUERIES, django_assert_num_queries)
    if many:
        assert "記録29" in html and f"{sheet.number}-29" in html
        assert html.count('href="/sheets/') >= many + 1  # parent and children are followable
    # Only the moves open to bob (receiver, not yet acknowledged): the 受理 form, and 転送 as a
    # button to its own page.
    assert 'value="受理する"' in html
    assert 'data-testid="move-redirect"' in html and 'value="転送する"' not in html
    assert 'value="経過を報告する"' not in html and 'value="取り下げる"' not in html
    assert 'value="終結する"' not in html and 'data-testid="move-close"' not in html


@pytest.mark.parametrize("many", [0, 30])
def test_the_acknowledged_sheet_page_takes_as_many_queries(
    client: Client,
    world: World,
    django_assert_num_queries: DjangoAssertNumQueries,
    many: int,
) -> None:
    sheet = make_sheet(world)
    sheet.acknowledge(by=world.bob, assignee=world.bob, roles="包括=介護申請")
    if many:
        relatives(world, sheet, many)
    html = sheet_page(
        client, world.bob, sheet, ACKNOWLEDGED_RECEIVER_SHEET_QUERIES, django_assert_num_queries
    )
    assert 'value="経過を報告する"' in html and "経過の定型文" in html if many else True
    for key in ("close", "reassign", "redirect"):
        assert f'data-testid="move-{key}"' in html
    assert 'value="終結する"' not in html and 'value="担当者を変える"' not in html


@pytest.mark.parametrize("many", [0, 30])
def test_the_sender_sees_only_the_withdraw_form(
    client: Client, world: World, django_assert_num_queries: DjangoAssertNumQueries, many: int
) -> None:
    sheet = make_sheet(world)
    if many:
        relatives(world, sheet, many)
    html = sheet_page(client, world.alice, sheet, SENDER_SHEET_QUERIES, django_assert_num_queries)
    assert 'value="取り下げる"' in html
    assert 'value="受理する"' not in html and 'data-testid="move-redirect"' not in html


def test_a_rarer_move_opens_its_own_page_with_the_form(client: Client, world: World) -> None:
    sheet = make_sheet(world)
    signed_in(client, world.bob)
    url = reverse("sheets:redirect", args=[sheet.pk])
    page = client.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert 'value="転送する"' in html and world.c.name in html
    assert "母の介護保険" not in html  # the form only: no case contents on this page
    # Not a move open to the sender: back to the sheet.
    signed_in(client, world.alice)
    assert client.get(url)["Location"] == reverse("sheets:detail", args=[sheet.pk])
    # An invalid answer comes back on the same page, with nothing changed.
    signed_in(client, world.bob)
    again = client.post(url, {"reason": ""})
    assert again.status_code == 400 and 'value="転送する"' in again.content.decode()
    sheet.refresh_from_db()
    assert sheet.status == Status.SENT


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
