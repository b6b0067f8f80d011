"""Two municipalities in one database: each counts its own case numbers, may reuse the other's
codes, keeps its people, and hears only its own reminders."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from areas.models import Agency, Membership, Role
from cases.models import Case, Person
from reminders.engine import sweep
from reminders.models import Notification
from sheets.models import ACROSS_MUNICIPALITIES, Sheet, SheetError
from tenancy import scope
from tenancy.fields import MunicipalityUnknown
from tenancy.models import check_digit
from tests.conftest import World, make_case, make_sheet
from tests.tenancy.conftest import City, office_hours_after


def test_the_check_digit_of_a_municipality_code() -> None:
    assert check_digit("25212") == 3  # 高島市 252123
    assert check_digit("13101") == 6  # 千代田区 131016
    assert check_digit("01100") == 2  # 札幌市 011002


def test_case_numbers_count_per_municipality(world: World, minato: City) -> None:
    mine = make_case(world)
    year = mine.fiscal_year
    assert minato.case.number == f"{minato.case.fiscal_year}-00001"
    assert mine.number == f"{year}-00001"
    assert Case.objects.filter(number=mine.number).count() == 2
    with scope.using(minato.municipality.pk):
        assert list(Case.objects.values_list("pk", flat=True)) == [minato.case.pk]


def test_the_same_agency_code_in_two_municipalities(world: World, minato: City) -> None:
    assert Agency.objects.filter(code="kurashi").count() == 2
    with scope.using(minato.municipality.pk):
        assert Agency.objects.get(code="kurashi") == minato.office
    with scope.using(world.office.municipality_id):
        assert Agency.objects.get(code="kurashi") == world.office


def test_a_sheet_to_another_municipality_is_refused_with_the_reason(
    world: World, minato: City
) -> None:
    case = make_case(world)
    with pytest.raises(SheetError) as refused:
        Sheet.issue(
            case=case,
            by=world.alice,
            sender_agency=world.a,
            receiver_agency=minato.receiver,
            request="転出先へお願いします。",
            sender_continuing="",
        )
    assert str(refused.value) == ACROSS_MUNICIPALITIES
    assert "システム外への引継ぎ" in ACROSS_MUNICIPALITIES
    assert not Sheet.objects.filter(receiver_agency=minato.receiver, case=case).exists()


def test_a_user_belongs_to_one_municipality(world: World, minato: City) -> None:
    with pytest.raises(ValidationError, match="別の市町村に所属"):
        Membership.objects.create(user=world.bob, agency=minato.receiver, role=Role.STAFF)
    assert not Membership.objects.filter(user=world.bob, agency=minato.receiver).exists()


def test_a_row_with_no_municipality_to_take_is_refused(world: World, minato: City) -> None:
    with pytest.raises(MunicipalityUnknown):
        Agency.objects.create(code="nowhere", name="どこでもない機関", kind=Agency.Kind.OUTSIDE)


def test_a_child_row_takes_its_parents_municipality(world: World, minato: City) -> None:
    case = make_case(world)
    person = Person.objects.create(case=case, name="山田 次郎", relation="次男")
    assert person.municipality_id == case.municipality_id == world.a.municipality_id
    with pytest.raises(MunicipalityUnknown, match="differs"):
        Person.objects.create(
            case=case, name="山田 三郎", relation="三男", municipality=minato.municipality
        )


def test_the_coordination_office_of_each_city_hears_only_its_own_reminders(
    world: World, minato: City
) -> None:
    """Step 3 goes to the coordination office: 高島市's overdue sheet to 高島市's くらし連携支援室
    only, みなと市's to みなと市's office only."""
    takashima = make_sheet(world)
    for moment in office_hours_after(60):
        sweep(moment)
    heard = {
        (n.user.username, n.reminder.subject_id if n.reminder else 0)
        for n in Notification.objects.select_related("user", "reminder").filter(
            reminder__isnull=False
        )
    }
    assert ("coord", takashima.pk) in heard
    assert ("minato_coord", minato.sheet.pk) in heard
    assert ("coord", minato.sheet.pk) not in heard
    assert ("minato_coord", takashima.pk) not in heard
