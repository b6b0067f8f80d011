"""The packet print log in the Django admin: listed, never editable."""

from __future__ import annotations

from django.test import Client

from meetings.models import PacketPrint
from tests.conftest import World
from tests.meetings.conftest import Bodies, make_meeting


def test_the_print_log_is_read_only_in_the_admin(
    client: Client, world: World, bodies: Bodies
) -> None:
    world.admin.is_staff = world.admin.is_superuser = True
    world.admin.save()
    PacketPrint.objects.create(
        meeting=make_meeting(world, bodies.kutsuki), user=world.bob, masked=True
    )
    client.force_login(world.admin)
    listing = client.get("/django-admin/meetings/packetprint/")
    assert listing.status_code == 200 and "bob" in listing.content.decode()
    assert client.get("/django-admin/meetings/packetprint/add/").status_code == 403
    row = PacketPrint.objects.get()
    assert (
        client.post(
            f"/django-admin/meetings/packetprint/{row.pk}/delete/", {"post": "yes"}
        ).status_code
        == 403
    )
    assert PacketPrint.objects.count() == 1
