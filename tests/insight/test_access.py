"""Who may open the insight pages: supervisors, coordinators and the city office; no one else."""

import pytest
from django.test import Client
from django.urls import reverse

from areas.models import Agency, Role
from reminders.models import Export
from tests.conftest import World, make_member, make_sheet, make_user

PAGES = [
    "insight:figures",
    "insight:figures_csv",
    "insight:failures",
    "insight:indicators",
    "insight:indicators_csv",
]


@pytest.mark.parametrize("name", PAGES)
def test_the_city_office_opens_every_page(client: Client, world: World, name: str) -> None:
    make_sheet(world)
    client.force_login(world.coordinator)
    # a CSV link leads to its export's page (reminders/exports.py)
    assert client.get(reverse(name), follow=True).status_code == 200


@pytest.mark.parametrize("name", PAGES)
def test_a_supervisor_opens_every_page(client: Client, world: World, name: str) -> None:
    make_sheet(world)
    client.force_login(world.bob_boss)
    assert client.get(reverse(name), follow=True).status_code == 200


@pytest.mark.parametrize("name", [*PAGES, "karte"])
@pytest.mark.parametrize("who", ["alice", "bob", "charlie", "admin"])
def test_staff_counters_and_admins_get_404(
    client: Client, world: World, name: str, who: str
) -> None:
    client.force_login(getattr(world, who))
    url = reverse("insight:karte", args=["kutsuki"]) if name == "karte" else reverse(name)
    assert client.get(url).status_code == 404


def test_anonymous_is_sent_to_login(client: Client, world: World) -> None:
    response = client.get(reverse("insight:figures"))
    assert response.status_code == 302
    assert "/login/" in response["Location"]


def test_karte_by_code_and_by_pk(client: Client, world: World) -> None:
    client.force_login(world.coordinator)
    assert client.get(reverse("insight:karte", args=["kutsuki"])).status_code == 200
    assert client.get(reverse("insight:karte", args=[world.kutsuki.pk])).status_code == 200
    assert client.get(reverse("insight:karte", args=["nowhere"])).status_code == 404
    # the city is not a district
    assert client.get(reverse("insight:karte", args=[world.city.pk])).status_code == 404


def test_karte_of_a_district_the_viewer_does_not_cover_is_404(client: Client, world: World) -> None:
    kutsuki_coordinator = make_user("kc", "朽木", "調整")
    make_member(kutsuki_coordinator, world.a, Role.COORDINATOR)  # 朽木支所 serves 朽木 only
    client.force_login(kutsuki_coordinator)
    assert client.get(reverse("insight:karte", args=["kutsuki"])).status_code == 200
    assert client.get(reverse("insight:karte", args=["imazu"])).status_code == 404
    # a supervisor covers agencies, not districts
    client.force_login(world.bob_boss)
    assert client.get(reverse("insight:karte", args=["kutsuki"])).status_code == 404


def test_bad_filters_rerender_with_a_japanese_message(client: Client, world: World) -> None:
    client.force_login(world.coordinator)
    response = client.get(reverse("insight:figures"), {"start": "2026-05-01", "end": "2026-04-01"})
    assert response.status_code == 200
    assert "期間の末日は初日より後の日にしてください。" in response.content.decode()
    response = client.get(reverse("insight:figures"), {"year": "abc", "district": "999999"})
    assert response.status_code == 200
    # A CSV with refused filters is not asked of the worker: back to the page, which says why.
    bad = {"start": "2026-05-01", "end": "2026-04-01"}
    response = client.get(reverse("insight:figures_csv"), bad, follow=True)
    assert response.redirect_chain[0][0].startswith(reverse("insight:figures") + "?start=")
    assert "期間の末日は初日より後の日にしてください。" in response.content.decode()
    assert client.get(reverse("insight:figures_csv"), {"start": "x"})["Location"].startswith(
        reverse("insight:figures")
    )
    assert not Export.objects.exists()


def test_nav_links_to_insight_for_those_who_may_see_it(client: Client, world: World) -> None:
    client.force_login(world.coordinator)
    assert reverse("insight:figures") in client.get(reverse("home")).content.decode()
    client.force_login(world.alice)
    assert reverse("insight:figures") not in client.get(reverse("home")).content.decode()


def test_inactive_agency_membership_gives_no_rights(client: Client, world: World) -> None:
    Agency.objects.filter(pk=world.b.pk).update(is_active=False)
    client.force_login(world.bob_boss)
    assert client.get(reverse("insight:figures")).status_code == 404
