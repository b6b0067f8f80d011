"""The office calendar: holidays, 振替休日, 12/29–1/3, admin closures, 17:15 JST in UTC.

Results must not depend on the server's own time zone, so the key cases run again with the
process TZ set to UTC and to America/New_York.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import pytest

from areas.calendar import business_calendar
from areas.models import Closure
from tenancy.models import Municipality
from tsumugi.lib.dates import TOKYO, BusinessCalendar, fiscal_year, local_date, wareki

CAL = BusinessCalendar()


@pytest.fixture(params=["Asia/Tokyo", "UTC", "America/New_York"])
def process_tz(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv("TZ", request.param)
    time.tzset()
    yield request.param
    monkeypatch.undo()
    time.tzset()


def test_weekends_and_national_holidays_are_closed() -> None:
    assert CAL.is_business_day(date(2026, 11, 27))  # Friday
    assert not CAL.is_business_day(date(2026, 11, 28))  # Saturday
    assert not CAL.is_business_day(date(2026, 11, 23))  # 勤労感謝の日 (Monday)
    assert not CAL.is_business_day(date(2026, 9, 22))  # 国民の休日 between 敬老の日 and 秋分の日


def test_substitute_holiday_after_golden_week_sunday() -> None:
    # 2026-05-03 (憲法記念日) is a Sunday, so the 振替休日 falls on Wednesday 05-06.
    assert not CAL.is_business_day(date(2026, 5, 6))
    assert CAL.next_business_day(date(2026, 5, 1)) == date(2026, 5, 7)
    assert CAL.add_business_days(date(2026, 5, 1), 2) == date(2026, 5, 8)


def test_year_end_closure_runs_from_dec_29_to_jan_3() -> None:
    assert CAL.is_business_day(date(2026, 12, 28))
    for day in (29, 30, 31):
        assert not CAL.is_business_day(date(2026, 12, day))
    for day in (1, 2, 3):
        assert not CAL.is_business_day(date(2027, 1, day))
    assert CAL.next_business_day(date(2026, 12, 28)) == date(2027, 1, 4)


def test_admin_closures_come_from_the_database(db: None) -> None:
    Municipality.objects.create(code="252123", name="高島市")
    assert business_calendar().is_business_day(date(2026, 9, 1))
    Closure.objects.create(date=date(2026, 9, 1), reason="台風による臨時閉庁")
    calendar = business_calendar()
    assert not calendar.is_business_day(date(2026, 9, 1))
    assert calendar.next_business_day(date(2026, 8, 31)) == date(2026, 9, 2)


def test_end_of_day_is_17_15_tokyo_stored_as_utc(process_tz: str) -> None:
    end = CAL.end_of_day(date(2026, 11, 27))
    assert end == datetime(2026, 11, 27, 8, 15, tzinfo=UTC)
    assert end.utcoffset() is not None and end.utcoffset().total_seconds() == 0  # type: ignore[union-attr]


def test_due_after_counts_business_days_in_tokyo(process_tz: str) -> None:
    # Sent Friday 2026-11-27 16:00 JST, two business days: Tuesday 12-01 17:15 JST.
    sent = datetime(2026, 11, 27, 7, 0, tzinfo=UTC)
    assert CAL.due_after(sent, 2) == datetime(2026, 12, 1, 8, 15, tzinfo=UTC)
    # 23:30 UTC Friday is already Saturday in Tokyo: counting starts from Saturday.
    late = datetime(2026, 11, 27, 23, 30, tzinfo=UTC)
    assert local_date(late) == date(2026, 11, 28)
    assert CAL.due_after(late, 1) == datetime(2026, 11, 30, 8, 15, tzinfo=UTC)


def test_next_opening(process_tz: str) -> None:
    friday_evening = datetime(2026, 11, 27, 18, 0, tzinfo=TOKYO)
    assert CAL.next_opening(friday_evening) == datetime(2026, 11, 29, 23, 30, tzinfo=UTC)
    monday_early = datetime(2026, 11, 30, 7, 0, tzinfo=TOKYO)
    assert CAL.next_opening(monday_early) == datetime(2026, 11, 29, 23, 30, tzinfo=UTC)
    during = datetime(2026, 11, 30, 10, 0, tzinfo=TOKYO)
    assert CAL.next_opening(during) == during
    assert CAL.is_open_at(datetime(2026, 11, 30, 17, 14, tzinfo=TOKYO))
    assert not CAL.is_open_at(datetime(2026, 11, 30, 17, 15, tzinfo=TOKYO))
    year_end = datetime(2026, 12, 28, 17, 30, tzinfo=TOKYO)
    assert CAL.next_opening(year_end) == datetime(2027, 1, 4, 8, 30, tzinfo=TOKYO)


def test_business_days_between_and_shift() -> None:
    assert CAL.business_days_between(date(2026, 5, 1), date(2026, 5, 8)) == 2
    assert CAL.business_days_between(date(2026, 5, 8), date(2026, 5, 1)) == 0
    moment = datetime(2026, 11, 27, 10, 0, tzinfo=TOKYO)
    assert CAL.shift_business_days(moment, 1) == datetime(2026, 11, 30, 10, 0, tzinfo=TOKYO)


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError):
        local_date(datetime(2026, 11, 27, 10, 0))


def test_fiscal_year_and_wareki() -> None:
    assert fiscal_year(date(2027, 3, 31)) == 2026
    assert fiscal_year(date(2026, 4, 1)) == 2026
    assert wareki(date(2026, 11, 27)) == "令和8年11月27日"
    assert wareki(date(2019, 5, 1)) == "令和元年5月1日"
    assert wareki(date(2019, 4, 30)) == "平成31年4月30日"


def test_business_days_before_walks_back_over_closed_days() -> None:
    # Monday 2026-01-05: before it lie the year-end closure (12/29–1/3) and a weekend.
    assert CAL.business_days_before(date(2026, 1, 5), 1) == date(2025, 12, 26)
    assert CAL.business_days_before(date(2026, 1, 5), 2) == date(2025, 12, 25)
    assert CAL.business_days_before(date(2026, 1, 5), 0) == date(2026, 1, 5)


def test_quiet_cutoff_agrees_with_business_days_between() -> None:
    today = date(2026, 1, 6)  # Tuesday after the year-end closure
    assert CAL.quiet_cutoff(today, 0) == datetime(2026, 1, 7, tzinfo=TOKYO)
    for n in range(1, 6):
        cutoff = CAL.quiet_cutoff(today, n)
        assert cutoff.tzinfo is TOKYO and cutoff.time() == datetime.min.time()
        # the day before the cut-off has been quiet n business days; the cut-off day has not
        assert CAL.business_days_between(local_date(cutoff) - timedelta(days=1), today) >= n
        assert CAL.business_days_between(local_date(cutoff), today) < n
