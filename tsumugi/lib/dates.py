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


@dataclass(frozen=True)
class Era:
    name: str
    letter: str
    starts: date

    @property
    def offset(self) -> int:
        """Gregorian year of this era's year 0 (令和: 2018, so 2019 is 令和1 = 元年)."""
        return self.starts.year - 1


# The eras a date from 1900 to 2100 can fall in, newest first. Each starts on the day of its
# 改元 and ends the day before the next one starts (昭和64年: 1989-01-01..07; 平成元年 from 01-08).
# Written out rather than taken from japanera: that library (2.1.3) installs and formats on
# Python 3.12, but its strptime refused 「令和8年12月1日」 and it has no arabic 元年, and the
# parsing here needs R/H/S letters, full-width digits and 1900–2100 anyway.
ERAS: tuple[Era, ...] = (
    Era("令和", "R", date(2019, 5, 1)),
    Era("平成", "H", date(1989, 1, 8)),
    Era("昭和", "S", date(1926, 12, 25)),
    Era("大正", "T", date(1912, 7, 30)),
    Era("明治", "M", date(1868, 1, 25)),
)
ERA_BY_KEY: dict[str, Era] = {k: e for e in ERAS for k in (e.name, e.letter, e.letter.lower())}
WEEKDAYS = "月火水木金土日"


def era_of(day: date) -> tuple[Era, int]:
    for era in ERAS:
        if day >= era.starts:
            return era, day.year - era.offset
    raise ValueError(f"{day} is before 明治")


def era_ends(era: Era) -> date:
    """The last day of `era` (date.max for the current one)."""
    index = ERAS.index(era)
    return date.max if index == 0 else ERAS[index - 1].starts - timedelta(days=1)


def _year_label(era_year: int) -> str:
    return "元" if era_year == 1 else str(era_year)


def wareki(day: date) -> str:
    """令和8年11月27日; 令和元年5月1日; 平成31年4月30日; 昭和64年1月7日."""
    era, year = era_of(day)
    return f"{era.name}{_year_label(year)}年{day.month}月{day.day}日"


def wareki_compact(day: date) -> str:
    """R8.11.27 — the form used on Japanese official forms, for table cells."""
    era, year = era_of(day)
    return f"{era.letter}{year}.{day.month}.{day.day}"


def weekday_ja(day: date) -> str:
    return WEEKDAYS[day.weekday()]


def wareki_year(year: int) -> str:
    """The era name of a Gregorian year: the era in force at its end, as in a 和暦 year table
    (2019 → 令和元年, 1989 → 平成元年, 1988 → 昭和63年)."""
    era, era_year = era_of(date(year, 12, 31))
    return f"{era.name}{_year_label(era_year)}年"


def wareki_fiscal_year(year: int) -> str:
    """年度 named by the year it starts in: 2018 → 平成30年度, 2019 → 令和元年度 (that 年度 began
    under 平成 on 4月1日, but is called by the new era, as municipalities did)."""
    return wareki_year(year).removesuffix("年") + "年度"


# --- the one way dates are written on screen, in PDFs, mails and CSV ---------------------------
# 和暦 first with the weekday (令和8年12月1日（火）), times as 17:15 in Tokyo, R8.12.1 in tables,
# and 西暦 beside 和暦 where a year alone could be misread (birth years, fiscal-year pickers).


def _local(value: date | datetime) -> date:
    if isinstance(value, datetime):
        return local_date(value) if value.tzinfo else value.date()
    return value


def _clock(value: datetime) -> str:
    local = value.astimezone(TOKYO) if value.tzinfo else value
    return f"{local:%H:%M}"


def format_date(value: date | datetime) -> str:
    """令和8年12月1日（火）"""
    day = _local(value)
    return f"{wareki(day)}（{weekday_ja(day)}）"


def format_datetime(value: datetime) -> str:
    """令和8年12月1日（火）17:15"""
    return f"{format_date(value)}{_clock(value)}"


def format_date_compact(value: date | datetime) -> str:
    """R8.12.1 — table cells."""
    return wareki_compact(_local(value))


def format_datetime_compact(value: datetime) -> str:
    """R8.12.1 17:15 — table cells."""
    return f"{format_date_compact(value)} {_clock(value)}"


def format_time(value: datetime | time) -> str:
    return _clock(value) if isinstance(value, datetime) else f"{value:%H:%M}"


def format_month(value: date | datetime) -> str:
    """令和8年4月 (captions of monthly charts)."""
    day = _local(value)
    era, year = era_of(day)
    return f"{era.name}{_year_label(year)}年{day.month}月"


def format_birth_year(year: int) -> str:
    """1944年（昭和19年）: a year alone is where 西暦 and 和暦 are most often confused."""
    return f"{year}年（{wareki_year(year)}）"


def format_fiscal_year(year: int) -> str:
    """令和8年度（2026年度）"""
    return f"{wareki_fiscal_year(year)}（{year}年度）"


@dataclass(frozen=True)
class BusinessCalendar:
    closures: Collection[date] = field(default_factory=frozenset)
    opens: time = time(8, 30)
    ends: time = time(17, 15)
    # add_business_days' answers: a calendar lives for one request or one sweep, its closures
    # fixed, and the sweep asks the same few (deadline day, offset) 140,000 times.
    _added: dict[tuple[date, int], date] = field(
        default_factory=dict, init=False, compare=False, repr=False
    )
    _shifted: dict[tuple[datetime, int], datetime] = field(
        default_factory=dict, init=False, compare=False, repr=False
    )

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
        found = self._added.get((day, n))
        if found is None:
            found = self._walk(day, n)
            self._added[(day, n)] = found
        return found

    def _walk(self, day: date, n: int) -> date:
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
        found = self._shifted.get((moment, business_days))
        if found is None:
            local = moment.astimezone(TOKYO)
            day = self.add_business_days(local.date(), business_days)
            found = datetime.combine(day, local.timetz()).astimezone(UTC)
            self._shifted[(moment, business_days)] = found
        return found

    def business_days_between(self, start: date, end: date) -> int:
        """Business days d with start < d <= end (0 when end <= start)."""
        count = 0
        day = start
        while day < end:
            day += timedelta(days=1)
            if self.is_business_day(day):
                count += 1
        return count

    def business_days_before(self, day: date, n: int) -> date:
        """The n-th business day strictly before `day` (n=0: `day` itself). The one walk back
        over the calendar: agenda distribution dates and every quiet-since cut-off use it."""
        counted = 0
        while counted < n:
            day -= timedelta(days=1)
            if self.is_business_day(day):
                counted += 1
        return day

    def quiet_cutoff(self, today: date, n: int) -> datetime:
        """The first moment that is *not* yet n business days ago.

        Something that last happened on local day D has been quiet for n business days when
        `business_days_between(D, today) >= n`. The latest such D is the n-th business day
        counting back from today itself, and everything before the next local midnight
        qualifies, so one indexed `< cutoff` comparison in SQL replaces a per-row count.
        """
        day = self.business_days_before(today + timedelta(days=1), n)
        return datetime.combine(day, time(), tzinfo=TOKYO)

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
