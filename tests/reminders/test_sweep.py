"""The reminder sweep called directly: who hears what, when, and exactly once (issues 4, 11)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.core import mail
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from areas.models import Role
from cases.models import Event
from reminders.engine import CLAIM_SQL, reached_step, send_due_reminders, sweep
from reminders.models import Cursor, Mail, Notification, Reminder
from sheets.models import Sheet, Status
from tenancy.models import Municipality
from tests.conftest import World, make_member, make_user, outcome
from tests.reminders.reminder_support import (
    cursor,
    eager_celery,  # noqa: F401
    mail_texts,
    make_due_sheet,
    personal_data_in,
    reminder_notices,
    set_cursor,
)
from tsumugi.lib import bulk

SENT = datetime(2026, 11, 20, 1, 0, tzinfo=UTC)  # Fri 10:00 JST
DUE = datetime(2026, 11, 25, 1, 0, tzinfo=UTC)  # Wed 10:00 JST, a business day
STEP2 = datetime(2026, 11, 26, 1, 0, tzinfo=UTC)  # Thu 10:00 JST: one business day later
STEP3 = datetime(2026, 11, 30, 1, 0, tzinfo=UTC)  # Mon 10:00 JST: three business days later


@pytest.fixture(autouse=True)
def no_personal_data_in_any_mail() -> Iterator[None]:
    yield
    leaked = [word for text in mail_texts() for word in personal_data_in(text)]
    assert leaked == []


def notified(sheet: Sheet, step: int | None = None) -> list[str]:
    qs = Notification.objects.filter(reminder__kind="sheet", reminder__subject_id=sheet.pk)
    if step is not None:
        qs = qs.filter(reminder__step=step)
    return sorted(qs.values_list("user__username", flat=True))


def test_nothing_due_sends_nothing(world: World) -> None:
    make_due_sheet(world, DUE, now=SENT)
    assert send_due_reminders(DUE - timedelta(seconds=1)) == 0
    assert Reminder.objects.count() == 0
    assert reminder_notices().count() == 0


def test_a_sweep_with_nothing_due_costs_two_queries_however_many_municipalities(
    world: World, django_assert_num_queries: Any
) -> None:
    make_due_sheet(world, DUE, now=SENT)
    Municipality.objects.create(code="999997", name="よその市")
    # 1 which municipalities have anything due (none: no calendar, recount, batch or digest
    # query of their own), 2 the unsent mails to hand to the broker again
    with django_assert_num_queries(2):
        assert sweep(DUE - timedelta(seconds=1)).sent == 0


def test_due_sheet_before_acknowledgement_notifies_the_receiving_agency_once(
    world: World,
) -> None:
    sheet = make_due_sheet(world, DUE, now=SENT)
    assert send_due_reminders(DUE) == 1
    reminder = Reminder.objects.get()
    assert (reminder.kind, reminder.subject_id, reminder.deadline, reminder.step) == (
        "sheet",
        sheet.pk,
        DUE,
        1,
    )
    # Every staff member and supervisor of 地域包括支援センター; never the sender or outsiders.
    assert notified(sheet) == ["bob", "bob_boss"]
    at, step = cursor(sheet.pk)
    assert (at, step, reached_step(step)) == (STEP2, 2, 1)
    event = Event.objects.filter(sheet=sheet).last()
    assert event is not None
    assert event.kind == Event.Kind.REMINDER
    assert "受理期限" in event.text


def test_running_the_sweep_twice_sends_nothing_more(world: World) -> None:
    make_due_sheet(world, DUE, now=SENT)
    assert send_due_reminders(DUE) == 1
    assert send_due_reminders(DUE) == 0
    assert send_due_reminders(DUE + timedelta(hours=1)) == 0
    assert Reminder.objects.count() == 1
    assert reminder_notices().count() == 2
    assert Event.objects.filter(kind=Event.Kind.REMINDER).count() == 1


def test_after_acknowledgement_only_the_assignee_hears_at_the_due_time(world: World) -> None:
    sheet = make_due_sheet(world, DUE, now=SENT)
    sheet.acknowledge(by=world.bob_boss, assignee=world.bob, roles="包括: 訪問", now=SENT)
    sheet.refresh_from_db()
    due = sheet.follow_up_due_at
    assert due is not None
    # The follow-up deadline ends the business day (17:15): reminded at the next opening.
    assert send_due_reminders(due) == 0
    sheet.refresh_from_db()
    opening = datetime(2026, 12, 7, 23, 30, tzinfo=UTC)  # Tue 12/8 08:30 JST
    assert due == datetime(2026, 12, 7, 8, 15, tzinfo=UTC)  # Mon 12/7 17:15 JST
    assert cursor(sheet.pk) == (opening, 1)
    assert send_due_reminders(opening) == 1
    assert notified(sheet) == ["bob"]
    assert "経過報告期限" in reminder_notices().get().title


@pytest.mark.parametrize("end", ["acknowledge", "close", "withdraw", "redirect", "progress"])
def test_moves_before_the_deadline_stop_the_ladder_for_it(world: World, end: str) -> None:
    sheet = make_due_sheet(world, DUE, now=SENT)
    if end in {"acknowledge", "close", "progress"}:
        sheet.acknowledge(by=world.bob, assignee=world.bob, roles="訪問", now=SENT)
    if end == "close":
        sheet.close(by=world.bob, outcome=outcome(), note="支援開始", now=SENT)
    elif end == "withdraw":
        sheet.withdraw(by=world.alice, reason="本人が辞退", now=SENT)
    elif end == "redirect":
        sheet.redirect(
            by=world.bob,
            to=world.c,
            reason="就労の相談",
            request="就労の相談をお願いします。",
            now=SENT,
        )
    elif end == "progress":
        sheet.report_progress(by=world.bob, text="訪問しました", now=SENT)
    for moment in (DUE, STEP2, STEP3, STEP3 + timedelta(days=1)):
        send_due_reminders(moment)
    assert Reminder.objects.filter(subject_id=sheet.pk, deadline=DUE).count() == 0


@pytest.mark.parametrize("end", ["close", "withdraw"])
def test_ended_sheets_are_never_reminded_even_long_after(world: World, end: str) -> None:
    sheet = make_due_sheet(world, DUE, now=SENT)
    sheet.acknowledge(by=world.bob, assignee=world.bob, roles="訪問", now=SENT)
    if end == "close":
        sheet.close(by=world.bob, outcome=outcome(), note="支援開始", now=SENT)
    else:
        sheet.withdraw(by=world.alice, reason="本人が辞退", now=SENT)
    assert send_due_reminders(DUE + timedelta(days=60)) == 0
    assert Reminder.objects.count() == 0
    sheet.refresh_from_db()
    assert sheet.status in {Status.CLOSED, Status.WITHDRAWN}


def test_each_ladder_step_goes_to_its_people_at_its_offset(world: World) -> None:
    district_coordinator = make_user("district_coord", "北", "光")
    make_member(district_coordinator, world.b, Role.COORDINATOR)  # B serves 朽木
    far_coordinator = make_user("far_coord", "南", "海")
    make_member(far_coordinator, world.c, Role.COORDINATOR)  # C serves only 今津
    sheet = make_due_sheet(world, DUE, now=SENT)

    assert send_due_reminders(DUE) == 1
    assert send_due_reminders(STEP2 - timedelta(minutes=1)) == 0
    assert send_due_reminders(STEP2) == 1
    assert notified(sheet, 2) == ["bob_boss"]
    sheet.refresh_from_db()
    assert cursor(sheet.pk) == (STEP3, 3)

    assert send_due_reminders(STEP3 - timedelta(minutes=1)) == 0
    assert send_due_reminders(STEP3) == 1
    # District coordinators, くらし連携支援室's coordinators and the sender's 連携担当.
    assert notified(sheet, 3) == ["alice", "coord", "district_coord"]
    at, step = cursor(sheet.pk)
    assert (at, step, reached_step(step)) == (None, 4, 3)
    assert send_due_reminders(STEP3 + timedelta(days=30)) == 0
    kinds = list(
        Event.objects.filter(
            sheet=sheet, kind__in=[Event.Kind.REMINDER, Event.Kind.ESCALATION]
        ).values_list("kind", flat=True)
    )
    assert kinds == ["reminder", "escalation", "escalation"]
    assert Reminder.objects.filter(subject_id=sheet.pk).count() == 3


def test_a_sweep_after_days_of_downtime_catches_up_every_step_once(world: World) -> None:
    sheet = make_due_sheet(world, DUE, now=SENT)
    assert send_due_reminders(STEP3 + timedelta(hours=1)) == 3
    assert sorted(Reminder.objects.values_list("step", flat=True)) == [1, 2, 3]
    assert notified(sheet) == ["alice", "bob", "bob_boss", "bob_boss", "coord"]


def test_a_deadline_on_friday_night_before_a_holiday_goes_out_at_the_next_opening(
    world: World,
) -> None:
    friday_night = datetime(2026, 11, 20, 14, 0, tzinfo=UTC)  # Fri 11/20 23:00 JST
    tuesday_opening = datetime(2026, 11, 23, 23, 30, tzinfo=UTC)  # Tue 11/24 08:30 JST
    sheet = make_due_sheet(world, friday_night, now=SENT)
    for moment in (
        friday_night,
        datetime(2026, 11, 21, 3, 0, tzinfo=UTC),  # Saturday noon
        datetime(2026, 11, 23, 1, 0, tzinfo=UTC),  # Mon 11/23 勤労感謝の日 10:00
        tuesday_opening - timedelta(minutes=1),
    ):
        with time_machine.travel(moment, tick=False):
            assert send_due_reminders() == 0
    assert reminder_notices().count() == 0
    sheet.refresh_from_db()
    assert cursor(sheet.pk) == (tuesday_opening, 1)
    with time_machine.travel(tuesday_opening, tick=False):
        assert send_due_reminders() == 1
    assert notified(sheet) == ["bob", "bob_boss"]
    reminder = Reminder.objects.get()
    assert reminder.deadline == friday_night  # the deadline people saw, not the sending time
    assert reminder.created_at == tuesday_opening


def test_progress_report_restarts_the_ladder_for_the_new_deadline(world: World) -> None:
    sheet = make_due_sheet(world, DUE, now=SENT)
    sheet.acknowledge(by=world.bob, assignee=world.bob, roles="訪問", now=SENT)
    sheet.refresh_from_db()
    first = sheet.follow_up_due_at
    assert first is not None
    reported = first + timedelta(days=9, hours=16)  # ten days later, 09:15 JST
    assert send_due_reminders(reported) == 3  # the whole ladder, caught up
    sheet.refresh_from_db()
    assert cursor(sheet.pk)[0] is None

    sheet.report_progress(by=world.bob, text="訪問を続けています", now=reported)
    sheet.refresh_from_db()
    second = sheet.follow_up_due_at
    assert second is not None and second > first
    assert cursor(sheet.pk) == (second, 1)
    assert send_due_reminders(second - timedelta(minutes=1)) == 0
    assert send_due_reminders(second + timedelta(hours=16)) == 1  # next morning's opening
    latest = Reminder.objects.filter(deadline=second)
    assert list(latest.values_list("step", flat=True)) == [1]
    assert notified(sheet, 1) == ["bob", "bob"]  # once for each deadline


def test_the_same_deadline_set_again_does_not_repeat_a_step(world: World) -> None:
    sheet = make_due_sheet(world, DUE, now=SENT)
    assert send_due_reminders(DUE) == 1
    # Something puts the cursor back on the same deadline and step (e.g. two progress reports
    # on one day): the Reminder row already exists, so nothing is sent again.
    set_cursor(sheet.pk, DUE)
    counts = sweep(DUE, enqueue=False)
    assert (counts.sent, counts.repeated) == (0, 1)
    sheet.refresh_from_db()
    assert cursor(sheet.pk) == (STEP2, 2)
    assert reminder_notices().count() == 2


def test_inactive_people_and_agencies_without_supervisors(world: World) -> None:
    world.bob_boss.is_active = False
    world.bob_boss.save()
    sheet = make_due_sheet(world, DUE, now=SENT)
    assert send_due_reminders(STEP2) == 2
    assert notified(sheet, 1) == ["bob"]
    assert notified(sheet, 2) == []
    # The step is still recorded (and shown on the timeline), so it is not retried forever.
    event = Event.objects.filter(sheet=sheet, kind=Event.Kind.ESCALATION).get()
    assert "登録されていません" in event.text


def test_batches_cover_every_due_sheet(world: World) -> None:
    sheets = [make_due_sheet(world, DUE - timedelta(minutes=i), now=SENT) for i in range(7)]
    counts = sweep(DUE, limit=3, enqueue=False)
    assert counts.sent == 7
    assert Reminder.objects.filter(subject_id__in=[s.pk for s in sheets], step=1).count() == 7


@pytest.mark.parametrize("due", [1, 6])
def test_the_ladder_reads_its_sheets_in_one_query_however_many_are_due(
    world: World, due: int
) -> None:
    """No query per due sheet: on 100,000 due sheets a column left out of the ladder's load
    (the municipality key, read for each event) cost one more query per step: 1,226 queries
    for 1,136 steps instead of 90."""
    for i in range(due):
        make_due_sheet(world, DUE - timedelta(minutes=i), now=SENT)
    with CaptureQueriesContext(connection) as ctx:
        assert sweep(DUE, enqueue=False).sent == due
    reads = [q["sql"] for q in ctx.captured_queries if q["sql"].startswith('SELECT "sheets_sheet"')]
    assert len(reads) == 1, reads


@pytest.mark.usefixtures("eager_celery")
def test_the_mail_goes_to_each_notified_person_without_personal_data(
    world: World, django_capture_on_commit_callbacks: object
) -> None:
    sheet = make_due_sheet(world, DUE, now=SENT)
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        assert send_due_reminders(DUE) == 1
    assert sorted(m.to[0] for m in mail.outbox) == ["bob@example.jp", "bob_boss@example.jp"]
    message = mail.outbox[0]
    assert sheet.number in message.subject
    assert "受理期限" in message.subject
    assert f"http://127.0.0.1:8000/sheets/{sheet.pk}/" in str(message.body) or (
        f"/sheets/{sheet.pk}" in str(message.body)
    )
    assert "朽木支所 → 地域包括支援センター" in str(message.body)
    reminder_mail = Mail.objects.get(user=world.bob, template=Mail.Template.REMINDERS)
    assert message.extra_headers["X-Tsumugi-Mail"] == str(reminder_mail.pk)
    assert "令和8年11月25日（水）10:00" in str(message.body)
    assert Mail.objects.filter(sent_at__isnull=True).count() == 0
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        send_due_reminders(DUE + timedelta(minutes=5))
    assert len(mail.outbox) == 2


def test_a_demo_can_send_outside_business_hours(world: World, settings: object) -> None:
    settings.REMINDER_BUSINESS_HOURS_ONLY = False  # type: ignore[attr-defined]
    saturday_night = datetime(2026, 11, 21, 13, 0, tzinfo=UTC)  # Sat 22:00 JST
    make_due_sheet(world, saturday_night, now=SENT)
    assert send_due_reminders(saturday_night) == 1


def test_the_escalation_offsets_are_settings(world: World, settings: object) -> None:
    settings.ESCALATE_SUPERVISORS_AFTER_DAYS = 2  # type: ignore[attr-defined]
    settings.ESCALATE_COORDINATORS_AFTER_DAYS = 5  # type: ignore[attr-defined]
    sheet = make_due_sheet(world, DUE, now=SENT)
    assert send_due_reminders(DUE) == 1
    assert cursor(sheet.pk)[0] == datetime(2026, 11, 27, 1, 0, tzinfo=UTC)  # Fri: 2 business days
    assert send_due_reminders(datetime(2026, 11, 27, 1, 0, tzinfo=UTC)) == 1
    assert cursor(sheet.pk)[0] == datetime(2026, 12, 2, 1, 0, tzinfo=UTC)  # Wed: 5 business days


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's plan")
def test_the_claim_finds_its_cursors_by_primary_key_under_row_security(world: World) -> None:
    """The batch's compare-and-set joins its cursors by the primary key. With the JSON
    extraction in the join clause, row security let no index be used: PostgreSQL hashed all
    1,000,000 cursors of the benchmark for every batch of 2,000 (428 ms instead of 59). Joins
    other than a nested loop, and sequential scans, are switched off here: the key must then
    be the index's condition."""
    sheet = make_due_sheet(world, DUE, now=SENT)
    c = Cursor.objects.get(kind="sheet", subject_id=sheet.pk)
    rows = bulk.rows_json([(c.pk, c.remind_at, c.step, STEP2, 2)])
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute("SET LOCAL enable_hashjoin = off")
        cur.execute("SET LOCAL enable_mergejoin = off")
        cur.execute("SET LOCAL enable_seqscan = off")
        cur.execute(f"EXPLAIN (COSTS OFF) {CLAIM_SQL}", [rows])
        plan = "\n".join(line for (line,) in cur.fetchall())
    # (the leaky form scans the whole index instead, with the join in a filter)
    assert "Index Cond: (id = v.id)" in plan, plan
