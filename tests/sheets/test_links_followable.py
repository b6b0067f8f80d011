"""Never render a link the viewer cannot follow (issue 9 item 11): the 転送元 of a redirected
sheet and the case's chain show a sheet the viewer may not open as its plain number."""

from __future__ import annotations

from django.test import Client
from django.urls import reverse

from tests.conftest import World, make_sheet


def test_the_new_receiver_sees_the_parent_number_without_a_link(
    client: Client, world: World
) -> None:
    parent = make_sheet(world)
    child = parent.redirect(
        by=world.bob, to=world.c, reason="就労の相談が中心のため", request="本人の就労の相談"
    )
    client.force_login(world.charlie)
    assert client.get(reverse("sheets:detail", args=[parent.pk])).status_code == 404
    page = client.get(reverse("sheets:detail", args=[child.pk])).content.decode()
    assert parent.number in page  # shown, as text
    assert reverse("sheets:detail", args=[parent.pk]) not in page  # never as a link
    client.force_login(world.bob)  # bob may open both: linked both ways
    page = client.get(reverse("sheets:detail", args=[child.pk])).content.decode()
    assert f'href="{reverse("sheets:detail", args=[parent.pk])}"' in page
