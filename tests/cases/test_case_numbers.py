"""Case numbers run per fiscal year (April–March, Tokyo date) and are shown with 令和."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
import time_machine

from cases.intake import open_case
from cases.models import Basis, Case, Channel, Event, Person
from tests.conftest import World, make_case
from tsumugi.lib.dates import TOKYO, wareki_fiscal_year


def jst(year: int, month: int, day: int, hour: int, minute: int) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=TOKYO).astimezone(UTC)


@pytest.fixture(params=["Asia/Tokyo", "UTC", "America/New_York"])
def process_tz(request: pytest.FixtureRequest) -> Iterator[str]:
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


def test_the_fiscal_year_turns_at_midnight_on_april_1st_in_tokyo(
    world: World, process_tz: str
) -> None:
    first = make_case(world, now=jst(2027, 3, 1, 9, 0))
    last_of_year = make_case(world, now=jst(2027, 3, 31, 23, 30))
    # 2027-04-01 00:10 JST is still 3/31 in UTC and in New York.
    new_year = make_case(world, now=jst(2027, 4, 1, 0, 10))
    second_of_new_year = make_case(world, now=jst(2027, 4, 1, 9, 0))
    assert [first.number, last_of_year.number] == ["2026-00001", "2026-00002"]
    assert [new_year.number, second_of_new_year.number] == ["2027-00001", "2027-00002"]
    assert (last_of_year.fiscal_year, last_of_year.serial) == (2026, 2)
    assert (new_year.fiscal_year, new_year.serial) == (2027, 1)
    assert last_of_year.fiscal_year_label == "令和8年度"
    assert new_year.fiscal_year_label == "令和9年度"


def test_a_back_dated_consultation_is_numbered_by_when_it_was_received(world: World) -> None:
    # Entered on 4/2 after the new fiscal year started, about a visit on 3/31.
    with time_machine.travel(jst(2027, 4, 2, 10, 0), tick=False):
        case = open_case(
            agency=world.a,
            by=world.alice,
            district=world.kutsuki,
            channel=Channel.VISIT,
            summary="3/31の訪問の記録",
            basis=Basis.NONE,
            received_at=jst(2027, 3, 31, 15, 0),
        )
    case = Case.objects.get(pk=case.pk)
    assert case.number == "2026-00001"
    assert case.received_at == jst(2027, 3, 31, 15, 0)
    assert case.created_at == jst(2027, 4, 2, 10, 0)
    assert case.fiscal_year_label == "令和8年度"


def test_january_to_march_belong_to_the_previous_fiscal_year(world: World) -> None:
    numbers = [make_case(world, now=jst(2027, m, 15, 10, 0)).number for m in (1, 2, 3, 4, 12)]
    assert numbers == ["2026-00001", "2026-00002", "2026-00003", "2027-00001", "2027-00002"]


def test_a_failed_intake_takes_no_number_and_leaves_no_half_case(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_case(world, now=jst(2026, 11, 26, 10, 0))

    def failing_save(self: Event, *args: Any, **kwargs: Any) -> None:
        raise RuntimeError("disk full")

    with monkeypatch.context() as patch:
        patch.setattr(Event, "save", failing_save)
        with pytest.raises(RuntimeError):
            make_case(world, now=jst(2026, 11, 26, 10, 30))
    assert Case.objects.count() == 1
    assert Person.objects.count() == 2
    assert make_case(world, now=jst(2026, 11, 26, 11, 0)).number == "2026-00002"
    with pytest.raises(ValueError, match="naive"):
        make_case(world, now=datetime(2026, 11, 26, 12, 0))
    assert make_case(world, now=jst(2026, 11, 26, 13, 0)).number == "2026-00003"


@pytest.mark.parametrize(
    ("year", "label"), [(2019, "令和元年度"), (2020, "令和2年度"), (2026, "令和8年度")]
)
def test_fiscal_year_labels_use_reiwa(year: int, label: str) -> None:
    assert wareki_fiscal_year(year) == label
