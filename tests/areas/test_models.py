"""Shapes and one-row rules of areas: the database refuses what the forms also refuse."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from areas.models import Agency, Area, Body, Closure, Membership, Role, RosterEntry
from tenancy.models import Municipality
from tests.conftest import World, make_member


def test_a_membership_needs_an_agency(world: World) -> None:
    membership = Membership(user=world.charlie, role=Role.STAFF)
    with pytest.raises(ValidationError) as error:
        membership.full_clean()
    assert "agency" in error.value.message_dict
    with pytest.raises(IntegrityError), transaction.atomic():
        membership.save()


def test_a_district_needs_a_city_parent(world: World) -> None:
    orphan = Area(code="orphan", name="孤立", layer=Area.Layer.DISTRICT)
    with pytest.raises(ValidationError) as error:
        orphan.full_clean()
    assert "第2層の区域には上位の市域が必要です" in str(error.value)
    with pytest.raises(IntegrityError), transaction.atomic():
        orphan.save()


def test_a_city_must_not_have_a_parent(world: World) -> None:
    city = Area(code="sub-city", name="入れ子の市", layer=Area.Layer.CITY, parent=world.city)
    with pytest.raises(IntegrityError), transaction.atomic():
        city.save()


def test_district_names_are_unique_within_their_city(world: World) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        Area.objects.create(code="kutsuki2", name="朽木", layer=2, parent=world.city)
    # A municipality has one 市域: another city is another municipality, with names of its own.
    with pytest.raises(IntegrityError), transaction.atomic():
        Area.objects.create(code="other", name="よその市", layer=Area.Layer.CITY)
    elsewhere = Municipality.objects.create(code="999997", name="よその市")
    other = Area.objects.create(
        code="other", name="よその市", layer=Area.Layer.CITY, municipality=elsewhere
    )
    Area.objects.create(code="other-kutsuki", name="朽木", layer=2, parent=other)
    assert Area.objects.filter(name="朽木").count() == 2


@pytest.mark.parametrize(("field", "value"), [("code", "kutsuki-branch"), ("name", "朽木支所")])
def test_agency_code_and_name_are_unique(world: World, field: str, value: str) -> None:
    values = {"code": "new", "name": "新しい機関", field: value}
    with pytest.raises(IntegrityError), transaction.atomic():
        Agency.objects.create(kind=Agency.Kind.OUTSIDE, **values)


def test_a_user_holds_one_role_once_per_agency_but_may_belong_to_several(world: World) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        make_member(world.bob, world.b, Role.STAFF)
    make_member(world.bob, world.b, Role.COORDINATOR)
    make_member(world.bob, world.c, Role.STAFF)
    assert set(Membership.objects.of(world.bob).values_list("agency__name", flat=True)) == {
        "地域包括支援センター",
        "働き暮らし応援センター",
    }


def test_inactive_memberships_and_agencies_do_not_count(world: World) -> None:
    Membership.objects.filter(user=world.bob).update(is_active=False)
    assert not Membership.objects.of(world.bob).exists()
    world.c.is_active = False
    world.c.save()
    assert not Membership.objects.of(world.charlie).exists()


def test_agency_deadlines_fall_back_to_the_city_default(world: World, settings: object) -> None:
    world.b.ack_business_days = 3
    world.b.save()
    assert world.b.ack_days() == 3
    assert world.c.ack_days() == 2
    assert world.c.follow_up_days() == 10
    with pytest.raises(IntegrityError), transaction.atomic():
        Agency.objects.filter(pk=world.c.pk).update(ack_business_days=0)


def test_a_member_sits_on_a_body_once(world: World) -> None:
    body = Body.objects.create(
        code="b", name="朽木くらし連携会議", kind="district", area=world.kutsuki
    )
    bob = Membership.objects.get(user=world.bob, agency=world.b)
    RosterEntry.objects.create(body=body, membership=bob, title="委員")
    with pytest.raises(IntegrityError), transaction.atomic():
        RosterEntry.objects.create(body=body, membership=bob)
    assert not body.is_confidential
    support = Body.objects.create(code="s", name="支援会議", kind="support", area=world.city)
    assert support.is_confidential


def test_a_closure_date_is_registered_once(world: World) -> None:
    from datetime import date

    Closure.objects.create(date=date(2026, 9, 1), reason="台風")
    with pytest.raises(IntegrityError), transaction.atomic():
        Closure.objects.create(date=date(2026, 9, 1), reason="二重登録")
