"""Deadlines in business days of the Takashima offices, due at 17:15 Asia/Tokyo, stored in UTC,
whatever time zone the server process runs in."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock

import pytest
import time_machine
from django.db import connection
from pytest_django.fixtures import Settings as SettingsWrapper

from areas.models import Agency, Closure
from sheets.models import Sheet, Urgency
from tests.conftest import World, make_case, make_sheet
from tests.reminders.reminder_support import cursor
from tsumugi.lib.dates import TOKYO


def jst(y: int, m: int, d: int, hh: int = 10, mm: int = 0) -> datetime:
    """A Tokyo wall-clock time, expressed in UTC (time_machine must not be given a ZoneInfo:
    it would then mock the process time zone itself, hiding what these tests check)."""
    return datetime(y, m, d, hh, mm, tzinfo=TOKYO).astimezone(UTC)


def end_of_day(y: int, m: int, d: int) -> datetime:
    return datetime(y, m, d, 17, 15, tzinfo=TOKYO).astimezone(UTC)


@pytest.fixture(params=["Asia/Tokyo", "UTC", "America/New_York"])
def process_tz(request: pytest.FixtureRequest) -> Iterator[str]:
    """Run the test with the process (libc) time zone set as on a badly configured server."""
    old = os.environ.get("TZ")
    os.environ["TZ"] = request.param
    time.tzset()
    try:
        yield request.param
    finally:
        if old is None:
            del os.environ["TZ"]
        else:
            os.environ["TZ"] = old
        time.tzset()


def issue_at(world: World, moment: datetime, urgency: str = Urgency.NORMAL) -> Sheet:
    """Issue a sheet with the clock moved, the way a view would (no `now=` passed)."""
    with time_machine.travel(moment, tick=False):
        return make_sheet(world, urgency=urgency)


def ack_at(world: World, sheet: Sheet, moment: datetime) -> Sheet:
    with time_machine.travel(moment, tick=False):
        sheet.acknowledge(by=world.bob, assignee=world.bob, roles="訪問")
    sheet.refresh_from_db()
    return sheet


def report_at(world: World, sheet: Sheet, moment: datetime) -> Sheet:
    with time_machine.travel(moment, tick=False):
        sheet.report_progress(by=world.bob, text="訪問しました")
    sheet.refresh_from_db()
    return sheet


ACK_CASES = [
    # (name, sent at (JST), urgency, due day)
    ("plain week", jst(2026, 11, 24), Urgency.NORMAL, (2026, 11, 26)),
    ("over a weekend", jst(2026, 11, 26), Urgency.NORMAL, (2026, 11, 30)),
    ("sent on a Saturday", jst(2026, 11, 28), Urgency.NORMAL, (2026, 12, 1)),
    # 11/23 (Mon) 勤労感謝の日
    ("national holiday", jst(2026, 11, 20), Urgency.NORMAL, (2026, 11, 25)),
    # 5/3 Sun, 5/4, 5/5 holidays, 5/6 (Wed) 振替休日 for 5/3
    ("golden week", jst(2026, 4, 30), Urgency.NORMAL, (2026, 5, 7)),
    ("urgent on a holiday skips the 振替休日", jst(2026, 5, 5), Urgency.URGENT, (2026, 5, 7)),
    # 9/21 敬老の日, 9/22 国民の休日, 9/23 秋分の日
    ("silver week", jst(2026, 9, 18), Urgency.NORMAL, (2026, 9, 25)),
    # 12/29–1/3 closed; 1/4 (Mon) is the first business day, 1/5 the second
    ("year end", jst(2026, 12, 28), Urgency.NORMAL, (2027, 1, 5)),
    ("year end, urgent", jst(2026, 12, 28), Urgency.URGENT, (2027, 1, 4)),
    ("urgent: end of the next business day", jst(2026, 11, 26), Urgency.URGENT, (2026, 11, 27)),
    ("urgent on a Friday", jst(2026, 11, 27), Urgency.URGENT, (2026, 11, 30)),
    # After closing time the Tokyo date still counts, not the UTC date:
    ("Thu 23:30 JST (Thu in UTC)", jst(2026, 11, 26, 23, 30), Urgency.NORMAL, (2026, 11, 30)),
    ("Fri 00:30 JST (still Thu in UTC)", jst(2026, 11, 27, 0, 30), Urgency.NORMAL, (2026, 12, 1)),
]


@pytest.mark.parametrize(
    ("sent", "urgency", "due"), [c[1:] for c in ACK_CASES], ids=[c[0] for c in ACK_CASES]
)
def test_acknowledgement_due_skips_closed_days(
    world: World, process_tz: str, sent: datetime, urgency: str, due: tuple[int, int, int]
) -> None:
    sheet = issue_at(world, sent, urgency)
    sheet.refresh_from_db()
    assert sheet.sent_at == sent
    assert sheet.ack_due_at == end_of_day(*due)
    assert sheet.next_due_at == cursor(sheet.pk)[0] == sheet.ack_due_at


def test_an_admin_closure_moves_the_deadline(world: World, process_tz: str) -> None:
    # Tue 12/1: due Thu 12/3 on an ordinary week …
    assert issue_at(world, jst(2026, 12, 1)).ack_due_at == end_of_day(2026, 12, 3)
    # … and Fri 12/4 once an admin closes the offices on 12/3.
    Closure.objects.create(date=date(2026, 12, 3), reason="大雪のため臨時閉庁")
    assert issue_at(world, jst(2026, 12, 1)).ack_due_at == end_of_day(2026, 12, 4)


def test_an_agency_may_have_its_own_deadlines(world: World, process_tz: str) -> None:
    Agency.objects.filter(pk=world.b.pk).update(ack_business_days=5, follow_up_business_days=3)
    world.b.refresh_from_db()
    sheet = issue_at(world, jst(2026, 11, 26))
    assert sheet.ack_due_at == end_of_day(2026, 12, 3)  # 5 business days
    sheet = ack_at(world, sheet, jst(2026, 11, 26, 15))
    assert sheet.follow_up_due_at == end_of_day(2026, 12, 1)  # 3 business days
    # Urgent stays "end of the next business day", whatever the agency's own setting.
    assert issue_at(world, jst(2026, 11, 26), Urgency.URGENT).ack_due_at == end_of_day(2026, 11, 27)
    # Another agency keeps the city default.
    other = make_sheet(
        world, make_case(world, now=jst(2026, 11, 26)), now=jst(2026, 11, 26), receiver=world.c
    )
    assert other.ack_due_at == end_of_day(2026, 11, 30)


def test_the_city_default_is_a_setting(world: World, settings: SettingsWrapper) -> None:
    settings.ACK_BUSINESS_DAYS = 3
    settings.FOLLOW_UP_BUSINESS_DAYS = 5
    sheet = issue_at(world, jst(2026, 11, 26))
    assert sheet.ack_due_at == end_of_day(2026, 12, 1)
    sheet = ack_at(world, sheet, jst(2026, 11, 26, 11))
    assert sheet.follow_up_due_at == end_of_day(2026, 12, 3)


def test_follow_up_is_due_ten_business_days_after_ack_and_after_each_report(
    world: World, process_tz: str
) -> None:
    sheet = issue_at(world, jst(2026, 12, 18))
    # Acknowledged Mon 12/21: 12/22–25 (4), 12/28 (5), 12/29–1/3 closed, 1/4–1/8 (10).
    sheet = ack_at(world, sheet, jst(2026, 12, 21, 9))
    assert sheet.follow_up_due_at == end_of_day(2027, 1, 8)
    assert sheet.next_due_at == cursor(sheet.pk)[0] == sheet.follow_up_due_at
    # Reported Wed 1/6: 1/7, 1/8, (1/11 成人の日), 1/12–1/15, 1/18–1/21 → Thu 1/21.
    sheet = report_at(world, sheet, jst(2027, 1, 6, 16))
    assert sheet.follow_up_due_at == end_of_day(2027, 1, 21)
    # A report written after hours on Thu 1/7 counts from 1/7 (Tokyo date), not from 1/8.
    sheet = report_at(world, sheet, jst(2027, 1, 7, 22))
    assert sheet.follow_up_due_at == end_of_day(2027, 1, 22)
    assert sheet.next_due_at == cursor(sheet.pk)[0] == sheet.follow_up_due_at


def test_a_redirect_starts_the_child_with_its_own_fresh_deadline(
    world: World, process_tz: str
) -> None:
    sheet = issue_at(world, jst(2026, 12, 24))
    assert sheet.ack_due_at == end_of_day(2026, 12, 28)
    with time_machine.travel(jst(2026, 12, 28, 16), tick=False):
        child = sheet.redirect(
            by=world.bob,
            to=world.c,
            reason="就労の相談が中心のため",
            request="就労の相談をお願いします。",
        )
    assert child.ack_due_at == end_of_day(2027, 1, 5)


def test_due_times_are_17_15_in_tokyo_stored_as_utc(world: World, process_tz: str) -> None:
    sheet = ack_at(world, issue_at(world, jst(2026, 11, 26)), jst(2026, 11, 27))
    for due in (sheet.ack_due_at, sheet.follow_up_due_at):
        assert due is not None
        assert due.utcoffset() == timedelta(0)
        local = due.astimezone(TOKYO)
        assert (local.hour, local.minute) == (17, 15)
        assert due.time() == clock(8, 15)
    with connection.cursor() as cursor:
        cursor.execute("SELECT ack_due_at FROM sheets_sheet WHERE id = %s", [sheet.pk])
        (raw,) = cursor.fetchone()
    if isinstance(raw, str):
        raw = datetime.fromisoformat(raw)
    if raw.tzinfo is None:  # SQLite keeps the UTC wall clock without an offset
        assert raw == datetime(2026, 11, 30, 8, 15)
    else:  # PostgreSQL timestamptz
        assert raw == datetime(2026, 11, 30, 8, 15, tzinfo=UTC)


def test_a_sheet_is_overdue_from_17_15_on_its_due_day(world: World) -> None:
    sheet = issue_at(world, jst(2026, 11, 26))
    due = end_of_day(2026, 11, 30)
    just_before = due - timedelta(seconds=1)
    assert not sheet.is_overdue(just_before)
    assert sheet.is_overdue(due)
    assert not Sheet.objects.overdue(just_before).exists()
    assert list(Sheet.objects.overdue(due)) == [sheet]
    assert cursor(sheet.pk) == (due, 1)
    # Acknowledging moves the cursor to the follow-up deadline: no longer overdue.
    sheet = ack_at(world, sheet, due + timedelta(hours=16))  # Tue 12/1 09:15 JST
    assert sheet.follow_up_due_at == end_of_day(2026, 12, 15)
    assert not Sheet.objects.overdue(due + timedelta(hours=16)).exists()
