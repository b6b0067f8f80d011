"""The 重層的支援体制整備事業 indicators for one fiscal year."""

from __future__ import annotations

from datetime import datetime

from areas.scope import scope_of
from insight.health import indicators
from sheets.models import Sheet
from tests.conftest import World, make_case, make_sheet
from tsumugi.lib.dates import TOKYO

IN_2026 = datetime(2026, 6, 1, 10, 0, tzinfo=TOKYO)
IN_2025 = datetime(2026, 3, 31, 10, 0, tzinfo=TOKYO)  # still fiscal 2025


def test_multi_agency_cases_are_two_fields_or_two_distinct_receivers(world: World) -> None:
    two_receivers = make_case(world, tags=("konkyu",), now=IN_2026)
    make_sheet(world, two_receivers, now=IN_2026, receiver=world.b)
    make_sheet(world, two_receivers, now=IN_2026, receiver=world.c)
    same_receiver_twice = make_case(world, tags=("konkyu",), now=IN_2026)
    make_sheet(world, same_receiver_twice, now=IN_2026, receiver=world.b)
    make_sheet(world, same_receiver_twice, now=IN_2026, receiver=world.b)
    make_case(world, tags=("8050", "hikikomori"), now=IN_2026)  # two fields, no sheet
    make_case(world, tags=("konkyu",), now=IN_2026)  # neither
    last_year = make_case(world, tags=("8050", "hikikomori"), now=IN_2025)
    make_sheet(world, last_year, now=IN_2026)  # a sheet this year about last year's case

    rows = dict(indicators(scope_of(world.coordinator), 2026).rows)

    assert rows["相談受付件数"] == [4, 0]  # 朽木, 今津
    assert rows["うち複数分野にわたる相談"] == [1, 0]
    assert rows["多機関協働の事例数"] == [2, 0]
    assert rows["関係機関間の情報連携（シート送付数）"] == [5, 0]
    assert rows["うち転送（つなぎ直し）"] == [0, 0]
    assert Sheet.objects.count() == 5
    assert sum(rows["相談受付件数"]) + 1 == 5  # last year's case counts in 2025
    assert dict(indicators(scope_of(world.coordinator), 2025).rows)["相談受付件数"] == [1, 0]
