"""An admin closure added after a deadline was set moves it past the closed day — every kind's
open deadlines (sheets and 宿題), recounted by the worker after the admin's commit, not in the
request (issue 11)."""

from datetime import UTC, date, datetime

import pytest
import time_machine
from pytest_django import DjangoCaptureOnCommitCallbacks

from areas.models import Closure
from cases.models import Event
from reminders.models import Recount
from sheets.models import Sheet
from tests.conftest import World, make_sheet
from tests.reminders.reminder_support import cursor, eager_celery  # noqa: F401

pytestmark = pytest.mark.usefixtures("eager_celery")

# Monday 2026-11-30 10:00 JST: 2 business days later is Wednesday 12/2, 17:15 JST.
SENT = datetime(2026, 11, 30, 1, 0, tzinfo=UTC)
WEDNESDAY_END = datetime(2026, 12, 2, 8, 15, tzinfo=UTC)
THURSDAY_END = datetime(2026, 12, 3, 8, 15, tzinfo=UTC)


@pytest.fixture
def sheet(world: World) -> Sheet:
    with time_machine.travel(SENT, tick=False):
        return make_sheet(world, now=SENT)


def test_a_closure_before_the_deadline_pushes_it_a_business_day_later(
    sheet: Sheet, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    assert sheet.ack_due_at == WEDNESDAY_END
    with (
        time_machine.travel(SENT, tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        Closure.objects.create(date=date(2026, 12, 1), reason="台風による臨時閉庁")
    sheet.refresh_from_db()
    assert (sheet.ack_due_at, sheet.next_due_at) == (THURSDAY_END,) * 2
    assert cursor(sheet.pk) == (THURSDAY_END, 1)
    assert list(Recount.objects.values_list("done_at", flat=True)) != [None]
    note = Event.objects.get(sheet=sheet, kind=Event.Kind.NOTE)
    assert "閉庁日の変更により期限が変わりました" in note.text and "12月3日" in note.text


def test_removing_the_closure_pulls_the_deadline_back(
    sheet: Sheet, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    with time_machine.travel(SENT, tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            closure = Closure.objects.create(date=date(2026, 12, 1), reason="台風")
        with django_capture_on_commit_callbacks(execute=True):
            closure.delete()
    sheet.refresh_from_db()
    assert sheet.ack_due_at == WEDNESDAY_END
    assert Event.objects.filter(sheet=sheet, kind=Event.Kind.NOTE).count() == 2


def test_a_closure_after_the_deadline_or_on_an_ended_sheet_changes_nothing(
    world: World, sheet: Sheet, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    with time_machine.travel(SENT, tick=False):
        other = make_sheet(world, now=SENT)
        other.withdraw(by=world.alice, reason="本人が転居", now=SENT)
        with django_capture_on_commit_callbacks(execute=True):
            Closure.objects.create(date=date(2026, 12, 10), reason="システム更新")
    sheet.refresh_from_db()
    other.refresh_from_db()
    assert sheet.ack_due_at == WEDNESDAY_END
    assert other.next_due_at is None
    assert not Event.objects.filter(kind=Event.Kind.NOTE).exists()


def test_an_acknowledged_sheet_recounts_its_follow_up_from_the_last_report(
    world: World, sheet: Sheet, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    with time_machine.travel(SENT, tick=False):
        sheet.acknowledge(by=world.bob, assignee=world.bob, roles="包括: 介護申請", now=SENT)
        # 10 business days after Monday 11/30: 12/1-4, 12/7-11, 12/14 -> Monday 12/14 17:15 JST.
        assert sheet.follow_up_due_at == datetime(2026, 12, 14, 8, 15, tzinfo=UTC)
        with django_capture_on_commit_callbacks(execute=True):
            Closure.objects.create(date=date(2026, 12, 4), reason="庁舎の停電")
    sheet.refresh_from_db()
    # Friday 12/4 closed: one business day more, Tuesday 12/15 17:15 JST.
    assert sheet.follow_up_due_at == datetime(2026, 12, 15, 8, 15, tzinfo=UTC)
    assert sheet.next_due_at == sheet.follow_up_due_at


def test_the_admin_request_only_records_the_recount_and_the_sweep_does_it_when_no_worker_took_it(
    sheet: Sheet,
) -> None:
    # No on-commit hand-over ran (as with the broker down): nothing moved in the request.
    with time_machine.travel(SENT, tick=False):
        Closure.objects.create(date=date(2026, 12, 1), reason="台風による臨時閉庁")
    sheet.refresh_from_db()
    assert sheet.ack_due_at == WEDNESDAY_END
    assert Recount.objects.get().done_at is None
    from reminders.engine import sweep

    with time_machine.travel(SENT, tick=False):
        assert sweep(SENT, enqueue=False).recounted == 1
    sheet.refresh_from_db()
    assert sheet.ack_due_at == THURSDAY_END
    assert Recount.objects.get().done_at is not None
    assert sweep(SENT, enqueue=False).recounted == 0  # once


def test_a_closure_added_after_an_action_item_was_set_recounts_its_due_date(
    world: World, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    from meetings.models import ActionItem, MeetingEvent
    from tests.meetings.conftest import add_theme, make_bodies, make_meeting, member

    with time_machine.travel(SENT, tick=False):
        meeting = make_meeting(world, make_bodies(world).kutsuki)
        action = ActionItem.assign(
            item=add_theme(world, meeting),
            text="民生委員さんと一緒に訪問する",
            owner=member(world.bob),
            due_date=date(2026, 12, 1),
            by=world.coordinator,
            now=SENT,
        )
        assert action.due_at == datetime(2026, 12, 1, 8, 15, tzinfo=UTC)  # Tue 17:15 JST
        with django_capture_on_commit_callbacks(execute=True):
            Closure.objects.create(date=date(2026, 12, 1), reason="台風による臨時閉庁")
    action = ActionItem.objects.get(pk=action.pk)
    assert action.due_at == WEDNESDAY_END
    assert action.due_date == date(2026, 12, 1)  # what was decided stays; the due time moved
    assert cursor(action.pk, "action_item") == (WEDNESDAY_END, 1)
    assert MeetingEvent.objects.filter(kind=MeetingEvent.Kind.DEADLINE_MOVED).count() == 1
    with (
        time_machine.travel(SENT, tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        Closure.objects.filter(date=date(2026, 12, 1)).delete()
    action = ActionItem.objects.get(pk=action.pk)
    assert action.due_at == datetime(2026, 12, 1, 8, 15, tzinfo=UTC)
