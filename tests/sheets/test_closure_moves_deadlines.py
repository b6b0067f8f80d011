"""An admin closure added after a sheet was sent moves the sheet's deadline past the closed day."""

from datetime import UTC, date, datetime

import pytest
import time_machine
from pytest_django import DjangoCaptureOnCommitCallbacks

from areas.models import Closure
from cases.models import Event
from sheets.models import Sheet
from tests.conftest import World, make_sheet

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
    assert (sheet.ack_due_at, sheet.next_due_at, sheet.remind_at) == (THURSDAY_END,) * 3
    assert sheet.remind_step == 1
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
