"""和暦 across 明治–令和: dates, boundaries, 元年 and 年度; parsing of every accepted form."""

from __future__ import annotations

from datetime import date, datetime, time

import pytest
from django.core.exceptions import ValidationError

from tsumugi.lib.dates import TOKYO, wareki, wareki_compact, wareki_fiscal_year, wareki_year
from tsumugi.lib.forms import parse_date, parse_datetime, parse_time


@pytest.mark.parametrize(
    ("day", "label"),
    [
        (date(2026, 12, 1), "令和8年12月1日"),
        (date(2019, 5, 1), "令和元年5月1日"),
        (date(2019, 4, 30), "平成31年4月30日"),
        (date(1989, 1, 8), "平成元年1月8日"),
        (date(1989, 1, 7), "昭和64年1月7日"),
        (date(1988, 5, 1), "昭和63年5月1日"),
        (date(1926, 12, 25), "昭和元年12月25日"),
        (date(1926, 12, 24), "大正15年12月24日"),
        (date(1912, 7, 30), "大正元年7月30日"),
        (date(1912, 7, 29), "明治45年7月29日"),
        (date(1900, 1, 1), "明治33年1月1日"),
        (date(2100, 12, 31), "令和82年12月31日"),
    ],
)
def test_wareki_names_the_era_in_force_that_day(day: date, label: str) -> None:
    assert wareki(day) == label


def test_the_compact_form_uses_the_era_letter() -> None:
    assert wareki_compact(date(2026, 12, 1)) == "R8.12.1"
    assert wareki_compact(date(2019, 4, 30)) == "H31.4.30"
    assert wareki_compact(date(1980, 1, 1)) == "S55.1.1"


@pytest.mark.parametrize(
    ("year", "label"),
    [
        (2026, "令和8年度"),
        (2020, "令和2年度"),
        (2019, "令和元年度"),
        (2018, "平成30年度"),
        (1989, "平成元年度"),
        (1988, "昭和63年度"),
    ],
)
def test_fiscal_years_across_the_change_of_era(year: int, label: str) -> None:
    assert wareki_fiscal_year(year) == label


def test_a_year_is_named_by_the_era_at_its_end() -> None:
    assert [wareki_year(y) for y in (2018, 2019, 1989, 1988)] == [
        "平成30年",
        "令和元年",
        "平成元年",
        "昭和63年",
    ]


@pytest.mark.parametrize(
    "typed",
    [
        "2026-12-01",
        "2026/12/1",
        "2026.12.1",
        "2026年12月1日",
        "20261201",
        "令和8年12月1日",
        "令和８年１２月１日",
        "令和8年12月1日（火）",
        "R8.12.1",
        "r8.12.1",
        "Ｒ８．１２．１",
        "R08.12.01",
        "２０２６－１２－０１",
        "２０２６／１２／１",
        " 2026-12-01 ",
    ],
)
def test_every_written_form_of_one_day_is_read(typed: str) -> None:
    assert parse_date(typed) == date(2026, 12, 1)


@pytest.mark.parametrize(
    ("typed", "day"),
    [
        ("H30.4.1", date(2018, 4, 1)),
        ("S55.1.1", date(1980, 1, 1)),
        ("令和元年5月1日", date(2019, 5, 1)),
        ("平成31年4月30日", date(2019, 4, 30)),
        ("昭和64年1月7日", date(1989, 1, 7)),
        ("平成元年1月8日", date(1989, 1, 8)),
        ("T15.12.24", date(1926, 12, 24)),
        ("明治33年1月1日", date(1900, 1, 1)),
    ],
)
def test_wareki_and_its_letters_are_read(typed: str, day: date) -> None:
    assert parse_date(typed) == day


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("0001-01-01", "1900年1月1日から2100年12月31日までの範囲"),
        ("9999-12-31", "1900年1月1日から2100年12月31日までの範囲"),
        ("1899-12-31", "1900年1月1日から2100年12月31日までの範囲"),
        ("2101-01-01", "1900年1月1日から2100年12月31日までの範囲"),
        ("令和99年1月1日", "1900年1月1日から2100年12月31日までの範囲"),
        ("平成31年5月1日", "平成は平成31年4月30日までです。"),
        ("令和元年4月30日", "令和は令和元年5月1日からです。"),
        ("昭和64年1月8日", "昭和は昭和64年1月7日までです。"),
        ("令和0年1月1日", "令和は元年（1年）から数えます。"),
        ("2026-02-30", "その日付は存在しません。"),
        ("2026-13-01", "その日付は存在しません。"),
        ("X8.12.1", "日付を読み取れませんでした。"),
        ("来週", "日付を読み取れませんでした。"),
        ("", "日付を読み取れませんでした。"),
    ],
)
def test_impossible_and_out_of_range_dates_are_refused_in_japanese(
    typed: str, message: str
) -> None:
    with pytest.raises(ValidationError) as refused:
        parse_date(typed)
    assert message in refused.value.messages[0]


@pytest.mark.parametrize(
    ("typed", "at"),
    [
        ("2026-12-01 10:30", datetime(2026, 12, 1, 10, 30, tzinfo=TOKYO)),
        ("2026-12-01T10:30", datetime(2026, 12, 1, 10, 30, tzinfo=TOKYO)),
        ("令和8年12月1日10時30分", datetime(2026, 12, 1, 10, 30, tzinfo=TOKYO)),
        ("R8.12.1 9:05", datetime(2026, 12, 1, 9, 5, tzinfo=TOKYO)),
        ("２０２６/１２/１　１７：１５", datetime(2026, 12, 1, 17, 15, tzinfo=TOKYO)),
        ("令和8年12月1日", datetime(2026, 12, 1, 0, 0, tzinfo=TOKYO)),
    ],
)
def test_a_date_with_a_time_is_read_in_tokyo(typed: str, at: datetime) -> None:
    assert parse_datetime(typed) == at


def test_times_are_read_with_full_width_digits() -> None:
    assert [parse_time(t) for t in ("14:00", "１４：３０", "9時", "9時5分")] == [
        time(14, 0),
        time(14, 30),
        time(9, 0),
        time(9, 5),
    ]
    for bad in ("25:00", "14:60", "午後", "0001-01-01 10:00"):
        with pytest.raises(ValidationError):
            parse_time(bad)
    with pytest.raises(ValidationError, match="1900年1月1日から"):
        parse_datetime("0001-01-01 10:00")
