"""Issue 4's browser test: after a deadline passes, the 担当者 sees the unread badge, opens the
notification and lands on the sheet. Time is moved by sweeping as of a later moment."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from areas.calendar import business_calendar
from reminders.engine import send_due_reminders
from reminders.models import Notification
from tests.browser.conftest import login
from tests.conftest import World, make_sheet
from tests.reminders.reminder_support import eager_celery, personal_data_in  # noqa: F401


@pytest.mark.usefixtures("eager_celery")
def test_the_assignee_sees_the_badge_after_the_deadline_passes(
    page: Page, live_server: LiveServer, world: World
) -> None:
    now = timezone.now()
    sheet = make_sheet(world, now=now)
    sheet.acknowledge(by=world.bob, assignee=world.bob, roles="包括: 訪問と申請", now=now)
    sheet.refresh_from_db()
    assert sheet.follow_up_due_at is not None
    # bob read the 「新しいシート」 notice when the sheet came (its mails went out then).
    Notification.objects.update(read_at=now)
    mail.outbox.clear()

    login(page, live_server, "bob")
    nav = page.get_by_role("navigation", name="メインメニュー")
    expect(nav.get_by_role("link", name=re.compile("^通知"))).to_be_visible()
    expect(page.get_by_test_id("unread-badge")).to_have_count(0)

    # The deadline passes: the sweep runs at the first opening after it.
    after = business_calendar().next_opening(sheet.follow_up_due_at + timedelta(minutes=1))
    assert send_due_reminders(after) == 1

    page.reload()
    badge = page.get_by_test_id("unread-badge")
    expect(badge).to_contain_text("1")
    nav.get_by_role("link", name=re.compile("^通知")).click()
    expect(page.get_by_role("heading", name="通知")).to_be_visible()
    notices = page.get_by_test_id("notifications")
    expect(notices).to_contain_text(
        f"シート {sheet.number}（朽木支所 → 地域包括支援センター）の経過報告期限"
    )
    expect(notices).to_contain_text("未読")

    notices.get_by_role("button", name=re.compile("^開く")).click()
    expect(page).to_have_url(re.compile(rf"/sheets/{sheet.pk}/$"))
    expect(page.get_by_test_id("unread-badge")).to_have_count(0)
    assert Notification.objects.get(user=world.bob, reminder__isnull=False).read_at is not None
    # Only the assignee was told at step 1, by mail too, without personal data.
    assert [m.to for m in mail.outbox] == [["bob@example.jp"]]
    assert personal_data_in(str(mail.outbox[0].body) + str(mail.outbox[0].subject)) == []
