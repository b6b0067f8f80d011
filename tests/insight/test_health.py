"""Hand-off health: counts by status, business days to acknowledge and close, the ladder."""

from __future__ import annotations

from datetime import datetime

from areas.calendar import business_calendar
from areas.scope import scope_of
from insight.figures import Filters, Names, Period
from insight.health import handoff_health, weighted_percentile
from tests.conftest import World, make_sheet, outcome
from tsumugi.lib.dates import TOKYO

YEAR = Filters(Period.fiscal(2026))


def jst(month: int, day: int, hour: int = 10, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=TOKYO)


def health_at(world: World, now: datetime) -> dict:
    return handoff_health(scope_of(world.coordinator), YEAR, business_calendar(), now, Names.load())


def test_weighted_percentile_is_nearest_rank() -> None:
    assert weighted_percentile([], 0.5) is None
    assert weighted_percentile([(3, 1)], 0.9) == 3
    assert weighted_percentile([(0, 1), (1, 1), (3, 1)], 0.5) == 1
    assert weighted_percentile([(0, 1), (1, 1), (3, 1)], 0.9) == 3
    assert weighted_percentile([(1, 9), (10, 1)], 0.9) == 1
    assert weighted_percentile([(1, 9), (10, 2)], 0.9) == 10


def test_business_days_to_acknowledge_and_close_skip_the_holiday(world: World) -> None:
    # sent Friday 11-20; Monday 11-23 is a holiday
    for ack_day in (20, 24, 26):
        sheet = make_sheet(world, now=jst(11, 20))
        sheet.acknowledge(by=world.bob, assignee=world.bob, roles="包括", now=jst(11, ack_day, 16))
    sheet.close(by=world.bob, outcome=outcome(), note="支援開始", now=jst(11, 30, 9))

    health = health_at(world, jst(12, 1))

    assert health["ack"] == {"count": 3, "median": 1, "p90": 3}  # 0, 1 (not 3), 3 days
    assert health["close"] == {"count": 1, "median": 5, "p90": 5}  # 11-24..11-30
    by_status = dict(
        zip(health["by_agency"].columns, health["by_agency"].column_totals, strict=True)
    )
    assert by_status == {"受理待ち": 0, "対応中": 2, "転送済み": 0, "取下げ": 0, "終結": 1}


def test_overdue_sheets_by_ladder_step(world: World) -> None:
    make_sheet(world, now=jst(11, 20))  # ack due 11-25 17:15

    def steps(now: datetime) -> list[int]:
        table = health_at(world, now)["overdue"]
        return table.column_totals

    assert steps(jst(11, 25, 17, 14)) == [0, 0, 0]
    assert steps(jst(11, 25, 17, 15)) == [1, 0, 0]  # at due: the receiver
    assert steps(jst(11, 26, 17, 15)) == [0, 1, 0]  # 1 business day over: supervisors
    assert steps(jst(11, 30, 17, 14)) == [0, 1, 0]
    assert steps(jst(11, 30, 17, 15)) == [0, 0, 1]  # 3 business days over: coordinators


def test_redirects_and_withdrawals_are_counted(world: World) -> None:
    redirected = make_sheet(world, now=jst(11, 20))
    redirected.redirect(
        by=world.bob,
        to=world.c,
        reason="就労の相談が中心のため",
        request="就労の相談をお願いします。",
        now=jst(11, 24),
    )
    withdrawn = make_sheet(world, now=jst(11, 20))
    withdrawn.withdraw(by=world.alice, reason="本人が辞退", now=jst(11, 24))
    health = health_at(world, jst(11, 25))
    rows = {
        label: dict(zip(health["by_agency"].columns, cells, strict=True))
        for label, cells in health["by_agency"].rows
    }
    assert rows["地域包括支援センター"]["転送済み"] == 1
    assert rows["地域包括支援センター"]["取下げ"] == 1
    assert rows["働き暮らし応援センター"]["受理待ち"] == 1  # the child sheet
