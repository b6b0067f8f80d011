"""CSV export: Excel-friendly UTF-8 with BOM, Japanese headers, round trip, formula guard."""

from __future__ import annotations

import csv
import io

from areas import csvio
from areas.models import Agency, Membership
from tests.conftest import World


def rows(data: bytes) -> list[list[str]]:
    assert data.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


def test_agency_export_has_the_importers_headers(world: World) -> None:
    table = rows(csvio.export_agencies())
    assert table[0] == [c.header for c in csvio.AGENCY_COLUMNS]
    houkatsu = next(r for r in table if r[0] == "houkatsu")
    assert houkatsu[1:6] == ["地域包括支援センター", "庁外の機関", "高齢", "朽木、今津", "いいえ"]


def test_agency_export_round_trips_unchanged(world: World) -> None:
    world.b.phone = "+81-740-00-0000"
    world.b.ack_business_days = 3
    world.b.description = "65歳以上の方の介護の相談"
    world.b.hours = "平日 8:30〜17:15"
    world.b.on_duty = "今週の当番: 社会福祉士"
    world.b.save()
    result = csvio.import_agencies(csvio.export_agencies())
    assert result.errors == []
    assert (result.created, result.updated, result.unchanged) == (0, 0, Agency.objects.count())
    world.b.refresh_from_db()
    assert world.b.phone == "+81-740-00-0000"
    assert (world.b.description, world.b.hours, world.b.on_duty) == (
        "65歳以上の方の介護の相談",
        "平日 8:30〜17:15",
        "今週の当番: 社会福祉士",
    )


def test_membership_export_round_trips_unchanged(world: World) -> None:
    table = rows(csvio.export_memberships())
    assert table[0] == [c.header for c in csvio.MEMBERSHIP_COLUMNS]
    assert [
        "bob",
        "坂東",
        "勉",
        "bob@example.jp",
        "houkatsu",
        "地域包括支援センター",
        "職員",
        "社会福祉士",
        "はい",
    ] in table
    result = csvio.import_memberships(csvio.export_memberships())
    assert result.errors == []
    assert result.unchanged == Membership.objects.count()


def test_formula_cells_are_guarded_and_the_guard_is_removed_on_import(world: World) -> None:
    world.c.name = '=HYPERLINK("http://evil.example","押して")'
    world.c.phone = "@SUM(1)"
    world.c.save()
    table = rows(csvio.export_agencies())
    hataraki = next(r for r in table if r[0] == "hataraki")
    assert hataraki[1] == "'" + world.c.name
    assert hataraki[8] == "'@SUM(1)"
    assert csvio.import_agencies(csvio.export_agencies()).errors == []
    world.c.refresh_from_db()
    assert world.c.name == '=HYPERLINK("http://evil.example","押して")'
    assert world.c.phone == "@SUM(1)"


def test_guard_is_lossless_for_values_that_start_with_a_quote() -> None:
    for value in ["-1", "+1", "=1+1", "@a", "'-x", "'plain", "plain", ""]:
        assert csvio.unguard(csvio.guard(value)) == value
    assert csvio.guard("-1") == "'-1"
    assert csvio.guard("plain") == "plain"
