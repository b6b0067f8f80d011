"""Business days of a Japanese municipal office, computed in Asia/Tokyo.

A day is closed when it is a Saturday or Sunday, a national holiday (jpholiday, which includes
振替休日 and 国民の休日), one of 12/29–1/3 (行政機関の休日に関する法律), or a closure that an
admin added. Every function takes the admin closures as a set so this module stays free of models;
`areas.calendar.business_calendar()` builds one from the database.

Times are stored in UTC. Each function converts to Asia/Tokyo first, because "the end of the
business day" of a time stored as 15:00 UTC is the next calendar day in Tokyo.
"""

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import jpholiday

TOKYO = ZoneInfo("Asia/Tokyo")


def is_year_end_closure(day: date) -> bool:
    return (day.month == 12 and day.day >= 29) or (day.month == 1 and day.day <= 3)


def local_date(moment: datetime) -> date:
    if moment.tzinfo is None:
        raise ValueError("naive datetime: business days need an aware time")
    return moment.astimezone(TOKYO).date()


def fiscal_year(day: date) -> int:
    """Japanese fiscal year: April to March, named by the year it starts in."""
    return day.year if day.month >= 4 else day.year - 1


def wareki(day: date) -> str:
    """令和8年11月27日. Only 令和 and 平成 are needed for dates this system shows."""
    if day >= date(2019, 5, 1):
        era, year = "令和", day.year - 2018
    else:
        era, year = "平成", day.year - 1988
    return f"{era}{'元' if year == 1 else year}年{day.month}月{day.day}日"


def wareki_fiscal_year(year: int) -> str:
    era_year = year - 2018
    return f"令和{'元' if era_year == 1 else era_year}年度"


@dataclass(frozen=True)
class BusinessCalendar:
    closures: Collection[date] = field(default_factory=frozenset)
    opens: time = time(8, 30)
    ends: time = time(17, 15)

    def is_business_day(self, day: date) -> bool:
        return not (
            day.weekday() >= 5
            or is_year_end_closure(day)
            or jpholiday.is_holiday(day)
            or day in self.closures
        )

    def next_business_day(self, day: date) -> date:
        """The first business day strictly after `day`."""
        day += timedelta(days=1)
        while not self.is_business_day(day):
            day += timedelta(days=1)
        return day

    def business_day_on_or_after(self, day: date) -> date:
        return day if self.is_business_day(day) else self.next_business_day(day)

    def add_business_days(self, day: date, n: int) -> date:
        """The n-th business day after `day` (n=0: `day` itself if open, else the next)."""
        if n <= 0:
            return self.business_day_on_or_after(day)
        for _ in range(n):
            day = self.next_business_day(day)
        return day

    def end_of_day(self, day: date) -> datetime:
        return datetime.combine(day, self.ends, tzinfo=TOKYO).astimezone(UTC)

    def opening_of(self, day: date) -> datetime:
        return datetime.combine(day, self.opens, tzinfo=TOKYO).astimezone(UTC)

    def due_after(self, start: datetime, business_days: int) -> datetime:
        """End of the n-th business day after the local day of `start`."""
        return self.end_of_day(self.add_business_days(local_date(start), business_days))

    def shift_business_days(self, moment: datetime, business_days: int) -> datetime:
        """The same Tokyo wall-clock time n business days later (escalation offsets)."""
        local = moment.astimezone(TOKYO)
        day = self.add_business_days(local.date(), business_days)
        return datetime.combine(day, local.timetz()).astimezone(UTC)

    def business_days_between(self, start: date, end: date) -> int:
        """Business days d with start < d <= end (0 when end <= start)."""
        count = 0
        day = start
        while day < end:
            day += timedelta(days=1)
            if self.is_business_day(day):
                count += 1
        return count

    def is_open_at(self, moment: datetime) -> bool:
        local = moment.astimezone(TOKYO)
        return self.is_business_day(local.date()) and self.opens <= local.time() < self.ends

    def next_opening(self, moment: datetime) -> datetime:
        """`moment` itself during business hours, else the next time the office opens."""
        if self.is_open_at(moment):
            return moment
        local = moment.astimezone(TOKYO)
        day = local.date()
        if self.is_business_day(day) and local.time() < self.opens:
            return self.opening_of(day)
        return self.opening_of(self.next_business_day(day))
