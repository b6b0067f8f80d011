"""ColumnByKey reads the column of the row a key points at, from the key's own table or a
joined one, and nothing where the key is empty."""

from __future__ import annotations

from areas.models import Agency, Area
from sheets.models import Outcome, Sheet
from tests.conftest import World, make_sheet
from tsumugi.lib.scalar import ColumnByKey


def test_it_reads_the_name_the_key_points_at(world: World) -> None:
    sheet = make_sheet(world)
    row = (
        Sheet.objects.select_related("case")
        .annotate(
            sender=ColumnByKey(Agency, "sender_agency_id"),
            receiver=ColumnByKey(Agency, "receiver_agency_id"),
            district_name=ColumnByKey(Area, "case__district_id"),
            district_code=ColumnByKey(Area, "case__district_id", column="code"),
            outcome_name=ColumnByKey(Outcome, "outcome_id"),
        )
        .get(pk=sheet.pk)
    )
    assert (row.sender, row.receiver) == (world.a.name, world.b.name)  # type: ignore[attr-defined]
    district = sheet.case.district
    assert (row.district_name, row.district_code) == (district.name, district.code)  # type: ignore[attr-defined]
    assert row.outcome_name is None  # type: ignore[attr-defined]
