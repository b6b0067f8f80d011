"""Roster list pages run a fixed number of queries, however many rows they show."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from areas.models import Agency, Membership, Role
from tests.conftest import World, signed_in

User = get_user_model()


def grow(world: World, n: int) -> None:
    """n more agencies, each with fields, districts and a member (n more memberships)."""
    agencies = Agency.objects.bulk_create(
        Agency(code=f"extra-{i}", name=f"追加の機関{i}", kind=Agency.Kind.OUTSIDE) for i in range(n)
    )
    users = User.objects.bulk_create(
        User(username=f"extra{i}", last_name=f"追加{i}") for i in range(n)
    )
    for agency in agencies:
        agency.fields.add(world.fields["elderly"], world.fields["poverty"])
        agency.districts.add(world.kutsuki, world.imazu)
    Membership.objects.bulk_create(
        Membership(user=u, agency=a, role=Role.STAFF) for u, a in zip(users, agencies, strict=True)
    )


# Every signed-in page of an admin starts with: 1 the session, 2 the user, 3 the user's
# memberships (scope_of, for the admin check and the navigation), 4 the navigation's unread
# notification COUNT (the inbox COUNT is skipped: an admin alone has no agency work). The
# idle-timeout stamp is not written: the session got it on the first request (signed_in).
PAGE_CHROME = 4


@pytest.mark.parametrize("extra", [0, 60])
def test_agency_list_query_count(
    client: Client, world: World, django_assert_num_queries: Any, extra: int
) -> None:
    grow(world, extra)
    signed_in(client, world.admin)
    # 8 agencies with their active member counts, 9 prefetch fields, 10 prefetch districts.
    with django_assert_num_queries(PAGE_CHROME + 3):
        response = client.get("/roster/agencies/")
    assert response.status_code == 200
    assert len(response.context["agencies"]) == 4 + extra


@pytest.mark.parametrize("extra", [0, 150])
def test_membership_list_query_count(
    client: Client, world: World, django_assert_num_queries: Any, extra: int
) -> None:
    grow(world, extra)
    signed_in(client, world.admin)
    # 8 COUNT for the paginator, 9 agencies for the filter menu,
    # 10 one page of memberships joined with user and agency.
    with django_assert_num_queries(PAGE_CHROME + 3):
        response = client.get("/roster/memberships/")
    assert response.status_code == 200
    assert response.context["page"].paginator.count == 6 + extra


def test_body_list_and_roster_query_count(
    client: Client, world: World, django_assert_num_queries: Any
) -> None:
    from areas.models import Body, RosterEntry

    body = Body.objects.create(
        code="k", name="朽木くらし連携会議", kind="district", area=world.kutsuki
    )
    for membership in Membership.objects.all():
        RosterEntry.objects.create(body=body, membership=membership)
    signed_in(client, world.admin)
    # 8 bodies with area and member count.
    with django_assert_num_queries(PAGE_CHROME + 1):
        assert client.get("/roster/bodies/").status_code == 200
    # 8 the body, 9 the roster entries with membership, user and agency,
    # 10 the memberships offered in the add form (none left: all sit on the body).
    with django_assert_num_queries(PAGE_CHROME + 3):
        assert client.get(f"/roster/bodies/{body.pk}/").status_code == 200


@pytest.mark.parametrize("extra", [0, 40])
def test_area_list_query_count(
    client: Client, world: World, django_assert_num_queries: Any, extra: int
) -> None:
    from areas.models import Area

    Area.objects.bulk_create(
        Area(code=f"x{i}", name=f"追加の区域{i}", layer=Area.Layer.DISTRICT, parent=world.city)
        for i in range(extra)
    )
    grow(world, 3)  # agencies serving districts: the list counts them per area
    signed_in(client, world.admin)
    # 5 the areas with their parent and a COUNT of the agencies serving each (one GROUP BY).
    with django_assert_num_queries(PAGE_CHROME + 1):
        response = client.get("/roster/areas/")
    assert response.status_code == 200
    assert response.content.decode().count("追加の区域") == 2 * extra  # name, edit link


@pytest.mark.parametrize("extra", [1, 40])
def test_closure_list_query_count(
    client: Client, world: World, django_assert_num_queries: Any, extra: int
) -> None:
    from datetime import date, timedelta

    from areas.models import Closure

    Closure.objects.bulk_create(
        Closure(date=date(2027, 1, 4) + timedelta(days=i), reason=f"臨時閉庁{i}")
        for i in range(extra)
    )
    signed_in(client, world.admin)
    # 5 the closures, in date order.
    with django_assert_num_queries(PAGE_CHROME + 1):
        response = client.get("/roster/closures/")
    assert response.status_code == 200
    assert response.content.decode().count("臨時閉庁") == extra


@pytest.mark.parametrize("extra", [1, 30])
def test_body_list_query_count_does_not_grow(
    client: Client, world: World, django_assert_num_queries: Any, extra: int
) -> None:
    from areas.models import Body, RosterEntry

    bodies = Body.objects.bulk_create(
        Body(code=f"b{i}", name=f"追加の会議体{i}", kind="district", area=world.kutsuki)
        for i in range(extra)
    )
    RosterEntry.objects.bulk_create(
        RosterEntry(body=b, membership=m) for b in bodies for m in Membership.objects.all()
    )
    signed_in(client, world.admin)
    # 5 the bodies with their area and a COUNT of each roster (one GROUP BY).
    with django_assert_num_queries(PAGE_CHROME + 1):
        response = client.get("/roster/bodies/")
    assert response.status_code == 200
    assert response.content.decode().count("追加の会議体") == 2 * extra  # name, edit link
