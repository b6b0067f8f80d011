"""The notification centre: list, unread badge, mark read, link to the sheet; mine only."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from django.test import Client
from django.urls import reverse
from pytest_django import DjangoAssertNumQueries

from reminders.engine import send_due_reminders
from reminders.models import Notification
from tests.conftest import World
from tests.reminders.reminder_support import make_due_sheet, reminder_notices

SENT = datetime(2026, 11, 20, 1, 0, tzinfo=UTC)
DUE = datetime(2026, 11, 25, 1, 0, tzinfo=UTC)  # Wed 10:00 JST


def remind(world: World, count: int = 1) -> None:
    for _ in range(count):
        make_due_sheet(world, DUE, now=SENT)
    # The 「新しいシート」 notices of the set-up were read when the sheets came.
    Notification.objects.filter(reminder__isnull=True).update(read_at=SENT)
    send_due_reminders(DUE)


def test_the_badge_shows_my_unread_count_and_the_list_shows_my_notices(
    client: Client, world: World
) -> None:
    remind(world)
    client.force_login(world.bob)
    page = client.get(reverse("notifications:list"))
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-testid="unread-badge">1<' in html
    assert "督促（段階1）" in html
    assert "受理期限" in html


def test_people_without_notices_see_no_badge(client: Client, world: World) -> None:
    remind(world)
    client.force_login(world.charlie)
    html = client.get(reverse("notifications:list")).content.decode()
    assert "unread-badge" not in html
    assert "通知はありません。" in html


def test_opening_a_notice_marks_it_read_and_goes_to_the_sheet(client: Client, world: World) -> None:
    remind(world)
    notice = reminder_notices().get(user=world.bob)
    client.force_login(world.bob)
    response = client.post(reverse("notifications:read", args=[notice.pk]), {"open": "1"})
    assert response.status_code == 302
    assert response["Location"] == notice.url
    assert notice.url == reverse("sheets:detail", args=[notice.reminder.subject_id])  # type: ignore[union-attr]
    notice.refresh_from_db()
    assert notice.read_at is not None
    html = client.get(reverse("notifications:list")).content.decode()
    assert "unread-badge" not in html


def test_mark_all_read(client: Client, world: World) -> None:
    remind(world, 3)
    client.force_login(world.bob)
    response = client.post(reverse("notifications:read_all"), follow=True)
    assert "3件の通知を既読にしました。" in response.content.decode()
    assert Notification.objects.filter(user=world.bob, read_at__isnull=True).count() == 0
    assert reminder_notices().filter(user=world.bob_boss, read_at__isnull=True).count() == 3


def test_charlie_gets_404_for_someone_elses_notice(client: Client, world: World) -> None:
    remind(world)
    notice = reminder_notices().get(user=world.bob)
    client.force_login(world.charlie)
    assert client.post(reverse("notifications:read", args=[notice.pk])).status_code == 404
    notice.refresh_from_db()
    assert notice.read_at is None


def test_marking_read_needs_post_and_a_login(client: Client, world: World) -> None:
    remind(world)
    notice = reminder_notices().get(user=world.bob)
    assert client.post(reverse("notifications:read", args=[notice.pk])).status_code == 302
    client.force_login(world.bob)
    assert client.get(reverse("notifications:read", args=[notice.pk])).status_code == 405
    assert client.get(reverse("notifications:read_all")).status_code == 405
    notice.refresh_from_db()
    assert notice.read_at is None


def test_a_foreign_link_is_never_followed(client: Client, world: World) -> None:
    notice = Notification.objects.create(
        user=world.bob, title="x", url="https://evil.example/", created_at=DUE
    )
    client.force_login(world.bob)
    response = client.post(reverse("notifications:read", args=[notice.pk]), {"open": "1"})
    assert response["Location"] == reverse("notifications:list")


def test_the_list_is_paginated_by_subject(client: Client, world: World) -> None:
    Notification.objects.bulk_create(
        Notification(user=world.bob, title=f"お知らせ{i:02d}", created_at=DUE) for i in range(35)
    )
    client.force_login(world.bob)
    first = client.get(reverse("notifications:list")).content.decode()
    second = client.get(reverse("notifications:list") + "?page=2").content.decode()
    # Notices without a subject are each an entry of their own.
    assert len(set(re.findall(r"お知らせ\d\d", first))) == 20
    assert len(set(re.findall(r"お知らせ\d\d", second))) == 15
    assert "1 / 2" in first
    assert client.get(reverse("notifications:list") + "?page=zzz").status_code == 200


def test_a_sheets_notices_are_one_entry_saying_what_happened_and_what_waits_for_me(
    client: Client, world: World
) -> None:
    sheet = make_due_sheet(world, DUE, now=SENT)
    send_due_reminders(DUE)
    client.force_login(world.bob)
    html = client.get(reverse("notifications:list")).content.decode()
    assert html.count('data-testid="notice-group"') == 1
    assert f"シート {sheet.number}（朽木支所 → 地域包括支援センター）" in html
    assert "未読 2" in html
    assert "あなたの機関の受理を待っています（期限切れ）" in html
    # newest first: the reminder above the arrival
    assert html.index("督促（段階1）") < html.index("が届きました")
    assert 'data-testid="unread-badge">1<' in html  # one subject, two notices

    sheet.acknowledge(by=world.bob, assignee=world.bob, roles="訪問", now=DUE)
    client.force_login(world.alice)
    html = client.get(reverse("notifications:list")).content.decode()
    assert "地域包括支援センターが受理しました（担当者: 坂東 勉）" in html
    assert "いまの状態: 地域包括支援センターが対応中（担当者: 坂東 勉" in html
    assert 'data-testid="needs-me"' not in html  # the sender is not waited for


def test_marking_one_entry_read_leaves_the_others(client: Client, world: World) -> None:
    first = make_due_sheet(world, DUE, now=SENT)
    second = make_due_sheet(world, DUE, now=SENT)
    send_due_reminders(DUE)
    client.force_login(world.bob)
    url = reverse("notifications:read_group", args=["sheet", first.pk])
    assert client.post(url).status_code == 302
    mine = Notification.objects.filter(user=world.bob)
    assert not mine.filter(group_id=first.pk, read_at__isnull=True).exists()
    assert mine.filter(group_id=second.pk, read_at__isnull=True).count() == 2
    html = client.get(reverse("notifications:list")).content.decode()
    assert 'data-testid="unread-badge">1<' in html
    opened = client.post(
        reverse("notifications:read_group", args=["sheet", second.pk]), {"open": "1"}
    )
    assert opened["Location"] == reverse("sheets:detail", args=[second.pk])
    assert not mine.filter(read_at__isnull=True).exists()


def test_charlie_gets_404_for_someone_elses_entry(client: Client, world: World) -> None:
    sheet = make_due_sheet(world, DUE, now=SENT)
    client.force_login(world.charlie)
    url = reverse("notifications:read_group", args=["sheet", sheet.pk])
    assert client.post(url, {"open": "1"}).status_code == 404
    assert client.get(url).status_code == 405
    assert not Notification.objects.filter(read_at__isnull=False).exists()


@pytest.mark.parametrize("count", [1, 30])
def test_the_centre_costs_the_same_queries_whatever_the_size(
    client: Client, world: World, django_assert_num_queries: DjangoAssertNumQueries, count: int
) -> None:
    for _ in range(count):
        make_due_sheet(world, DUE, now=SENT)
    send_due_reminders(DUE)  # two notices per sheet: its arrival and a reminder
    Notification.objects.bulk_create(
        Notification(user=world.bob, title=f"お知らせ{i}", url="/sheets/1/", created_at=SENT)
        for i in range(count)
    )
    client.force_login(world.bob)
    # (A redirected sheet on the page would add one query for the sheets it went to.)
    # 1 session, 2 user, 3 memberships (scope), 4 inbox count and unread entries (badges, one
    # statement), 5 paginator count of entries, 6 the page of entries, 7 their latest notices
    # (window), 8 the page's sheets (visible_to), 9-11 savepoint, session update (idle
    # timeout), release.
    with django_assert_num_queries(11):
        assert client.get(reverse("notifications:list")).status_code == 200
