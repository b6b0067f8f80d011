"""Django admin stays registered and usable for every areas model."""

from __future__ import annotations

import pytest
from django.test import Client

from areas.models import Agency, Area, Body, Closure, Field, Membership, RosterEntry
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
