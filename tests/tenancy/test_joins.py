"""The rows of the many-to-many join tables carry a municipality (keyed `through` models,
tenancy.fields.TenantManyToManyField): add() and set() name it from the row they are called on,
so linking four rows costs the same queries as linking one."""

from __future__ import annotations

from typing import Any

from areas.models import Agency, AgencyDistrict, AgencyField, Field
from tests.conftest import World
from tests.tenancy.conftest import City


def test_a_join_row_takes_the_municipality_of_the_row_it_is_added_from(
    world: World, minato: City
) -> None:
    assert set(AgencyDistrict.objects.values_list("agency_id", "municipality_id")) == {
        (world.a.pk, world.a.municipality_id),
        (world.b.pk, world.a.municipality_id),
        (world.c.pk, world.a.municipality_id),
        (minato.counter_agency.pk, minato.municipality.pk),
        (minato.receiver.pk, minato.municipality.pk),
    }
    # from the national side (an 分野 has no municipality) the key asks the agency
    world.fields["poverty"].agencies.add(minato.office)
    assert AgencyField.objects.get(agency=minato.office).municipality_id == minato.municipality.pk


def test_set_links_any_number_of_rows_in_the_same_queries(
    world: World, django_assert_num_queries: Any
) -> None:
    fields = list(Field.objects.order_by("order"))
    one, four = world.a, world.c
    for agency, wanted in ((one, fields[:1]), (four, fields[:4])):
        # 1 the agency's current 分野, 2 which of the wanted are missing, 3 one INSERT
        with django_assert_num_queries(3):
            agency.fields.set(wanted)
    rows = AgencyField.objects.filter(agency__in=[one, four])
    assert rows.count() == 5
    assert set(rows.values_list("municipality_id", flat=True)) == {world.a.municipality_id}
    assert Agency.objects.get(pk=four.pk).fields.count() == 4
