"""宿題: reminded by the engine's ladder, carried to the next meeting until done."""

from __future__ import annotations

from datetime import date, datetime

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from meetings.models import ActionItem, Attendance, Meeting, MeetingError, MeetingEvent
from reminders.engine import sweep
from reminders.models import Notification, Reminder
from tests.conftest import World
from tests.meetings.conftest import NOW, Bodies, add_theme, attend, make_meeting, member
from tests.reminders.reminder_support import cursor

JST = "+09:00"


def at(text: str) -> datetime:
    return datetime.fromisoformat(text + JST)


@pytest.fixture
def meeting(world: World, bodies: Bodies) -> Meeting:
    with time_machine.travel(NOW, tick=False):
        meeting = make_meeting(world, bodies.kutsuki)
        add_theme(world, meeting)
    attend(meeting, world.coordinator, Attendance.Role.CHAIR)
    attend(meeting, world.bob, Attendance.Role.REPORTER)
    return meeting


def assign(world: World, meeting: Meeting, due: date = date(2026, 12, 11)) -> ActionItem:
    return ActionItem.assign(
        item=meeting.items.get(),
        text="民生委員さんと一緒に訪問する",
        owner=member(world.bob),
        due_date=due,
        by=world.coordinator,
        now=NOW,
    )


def notified(action: ActionItem, step: int) -> list[str]:
    return sorted(
        Notification.objects.filter(
            reminder__kind="action_item", reminder__subject_id=action.pk, reminder__step=step
        ).values_list("user__username", flat=True)
    )


def test_due_at_is_the_end_of_that_business_day_in_tokyo(world: World, meeting: Meeting) -> None:
    assert assign(world, meeting).due_at == at("2026-12-11T17:15:00")
    # Saturday 12-12 → the next business day, Monday 12-14
    assert assign(world, meeting, date(2026, 12, 12)).due_at == at("2026-12-14T17:15:00")


def test_action_items_climb_the_same_ladder_as_sheets(world: World, meeting: Meeting) -> None:
    action = assign(world, meeting)
    assert sweep(at("2026-12-11T17:00:00"), enqueue=False).by_kind["action_item"] == 0
    # At 17:15 the office has closed: the step waits for Monday's opening.
    assert sweep(at("2026-12-11T17:15:00"), enqueue=False).deferred == 1
    assert Reminder.objects.count() == 0

    assert sweep(at("2026-12-14T09:00:00"), enqueue=False).by_kind["action_item"] == 1
    assert notified(action, 1) == ["bob"]
    assert sweep(at("2026-12-14T09:00:00"), enqueue=False).by_kind["action_item"] == 0  # once
    assert sweep(at("2026-12-15T09:00:00"), enqueue=False).by_kind["action_item"] == 1
    assert notified(action, 2) == ["bob_boss"]  # the owner agency's supervisor
    assert sweep(at("2026-12-17T09:00:00"), enqueue=False).by_kind["action_item"] == 1
    assert notified(action, 3) == ["coord"]  # coordinators of the district and the chair
    assert cursor(action.pk, "action_item")[0] is None
    titles = Notification.objects.filter(reminder__kind="action_item").values_list(
        "title", flat=True
    )
    assert all("朽木くらし連携会議" in t and "訪問" not in t for t in titles)
    texts = MeetingEvent.objects.filter(meeting=meeting, kind="reminder").values_list(
        "text", flat=True
    )
    assert [t[-8:] for t in texts] == ["（段階1、1人）", "（段階2、1人）", "（段階3、1人）"]


def test_a_done_action_item_is_never_reminded(world: World, meeting: Meeting) -> None:
    action = assign(world, meeting)
    action.mark_done(by=world.bob, now=NOW)
    assert cursor(action.pk, "action_item") == (None, 0)
    assert sweep(at("2026-12-14T09:00:00"), enqueue=False).by_kind["action_item"] == 0
    with pytest.raises(MeetingError, match="すでに完了"):
        action.mark_done(by=world.bob, now=NOW)


def test_open_action_items_are_carried_to_the_next_meeting_until_done(
    world: World, bodies: Bodies, meeting: Meeting
) -> None:
    action = assign(world, meeting)
    later = make_meeting(world, bodies.kutsuki, day=date(2027, 1, 13))
    other_body = make_meeting(world, bodies.imazu, day=date(2027, 1, 13))
    assert list(later.carried_actions()) == [action]
    assert list(other_body.carried_actions()) == []
    assert list(meeting.carried_actions()) == []  # not carried back onto its own meeting
    action.mark_done(by=world.bob, now=NOW)
    assert list(later.carried_actions()) == []


def test_no_new_action_items_on_approved_minutes(world: World, meeting: Meeting) -> None:
    meeting.distribute(by=world.coordinator, now=NOW)
    meeting.approve_minutes(by=world.coordinator, now=NOW)
    with pytest.raises(MeetingError, match="承認済み"):
        assign(world, meeting)


def test_the_reminder_mail_names_the_meeting_not_the_people(world: World, meeting: Meeting) -> None:
    from django.core import mail

    from reminders.models import Mail
    from reminders.outbox import deliver

    assign(world, meeting)
    sweep(at("2026-12-14T09:00:00"), enqueue=False)
    mails = list(Mail.objects.values_list("pk", flat=True))
    assert deliver(mails, at("2026-12-14T09:00:00")) == 1
    message = mail.outbox[0]
    text = f"{message.subject}{message.body}"
    assert message.to == ["bob@example.jp"]
    assert "宿題の期日" in text and "朽木くらし連携会議" in text
    assert "民生委員" not in text and "訪問" not in text


TASK = "民生委員さんと一緒に訪問する"


def test_the_owner_meets_open_action_items_in_the_inbox_and_can_finish_them_there(
    client: Client, world: World, meeting: Meeting
) -> None:
    action = assign(world, meeting)
    inbox = reverse("sheets:inbox")
    client.force_login(world.bob)
    page = client.get(inbox).content.decode()
    assert "あなたの宿題" in page and TASK in page
    client.force_login(world.charlie)
    assert TASK not in client.get(inbox).content.decode()

    client.force_login(world.bob)
    done = reverse("meetings:action_done", args=[meeting.pk, action.pk])
    response = client.post(done, {"back": "inbox"})
    assert response.status_code == 302 and response["Location"] == inbox
    action.refresh_from_db()
    assert action.done_at is not None
    assert 'data-testid="action-row"' not in client.get(inbox).content.decode()
