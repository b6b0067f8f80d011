"""Django admin stays registered and usable for every areas model."""

from __future__ import annotations

import pytest
from django.test import Client

from areas.models import (
    Agency,
    AgencyDistrict,
    AgencyField,
    Area,
    Body,
    Closure,
    Field,
    Membership,
    RosterEntry,
)
from tests.conftest import World


@pytest.mark.parametrize("model", [Field, Area, Agency, Membership, Body, RosterEntry, Closure])
def test_admin_changelist_and_add_pages_render(client: Client, world: World, model: type) -> None:
    world.admin.is_staff = world.admin.is_superuser = True
    world.admin.save()
    client.force_login(world.admin)
    name = model.__name__.lower()
    assert client.get(f"/django-admin/areas/{name}/").status_code == 200
    assert client.get(f"/django-admin/areas/{name}/add/").status_code == 200


def test_agency_autocomplete_for_memberships(client: Client, world: World) -> None:
    world.admin.is_staff = world.admin.is_superuser = True
    world.admin.save()
    client.force_login(world.admin)
    response = client.get(
        "/django-admin/autocomplete/",
        {"term": "包括", "app_label": "areas", "model_name": "membership", "field_name": "agency"},
    )
    assert response.status_code == 200
    assert "地域包括支援センター" in response.json()["results"][0]["text"]


def test_an_agencys_fields_and_districts_are_edited_as_keyed_rows(
    client: Client, world: World
) -> None:
    """The join rows carry a municipality (AgencyField, AgencyDistrict), so the admin edits
    them as inline rows; a row added there takes the agency's municipality."""
    world.admin.is_staff = world.admin.is_superuser = True
    world.admin.save()
    client.force_login(world.admin)
    agency = world.c
    url = f"/django-admin/areas/agency/{agency.pk}/change/"
    assert client.get(url).status_code == 200
    (served,) = AgencyDistrict.objects.filter(agency=agency)
    data = {
        "code": agency.code,
        "name": agency.name,
        "kind": agency.kind,
        "is_active": "on",
        "field_links-TOTAL_FORMS": "1",
        "field_links-INITIAL_FORMS": "0",
        "field_links-0-field": world.fields["poverty"].pk,
        "district_links-TOTAL_FORMS": "2",
        "district_links-INITIAL_FORMS": "1",
        "district_links-0-id": served.pk,
        "district_links-0-area": served.area_id,
        "district_links-1-area": world.kutsuki.pk,
    }
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert list(agency.fields.all()) == [world.fields["poverty"]]
    assert set(agency.districts.all()) == {world.imazu, world.kutsuki}
    keys = {
        *AgencyDistrict.objects.filter(agency=agency).values_list("municipality_id", flat=True),
        *AgencyField.objects.filter(agency=agency).values_list("municipality_id", flat=True),
    }
    assert keys == {agency.municipality_id}
