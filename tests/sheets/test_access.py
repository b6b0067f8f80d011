"""The choke points: who sees which case and sheet, and who sees the people's names."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from django.contrib.auth.models import AnonymousUser, User

from areas.models import Agency, Body, Membership, Role, RosterEntry
from cases.models import Basis, Case
from sheets.models import Sheet
from tests.conftest import World, make_case, make_member, make_sheet, make_user

NOW = datetime(2026, 11, 26, 1, 0, tzinfo=UTC)


@dataclass
class Town:
    world: World
    kutsuki_case: Case  # alice's, 朽木, consent to B, sheet to B
    imazu_case: Case  # alice's, 今津, no basis, anonymised sheet to B
    charlie_case: Case  # charlie's own, 朽木, no sheets
    kutsuki_sheet: Sheet
    imazu_sheet: Sheet
    dave: User  # coordinator of an agency serving 朽木 only


@pytest.fixture
def town(world: World) -> Town:
    kutsuki_case = make_case(world, now=NOW)
    imazu_case = make_case(world, basis=Basis.NONE, district=world.imazu, now=NOW)
    charlie_case = make_case(world, agency=world.c, by=world.charlie, now=NOW)
    kutsuki_sheet = make_sheet(world, kutsuki_case, now=NOW)
    imazu_sheet = make_sheet(world, imazu_case, now=NOW)
    shakyo = Agency.objects.create(
        code="shakyo-kutsuki", name="社協 朽木事務所", kind=Agency.Kind.OUTSIDE
    )
    shakyo.districts.add(world.kutsuki)
    dave = make_user("dave", "土井", "大輔")
    make_member(dave, shakyo, Role.COORDINATOR, "生活支援コーディネーター")
    return Town(world, kutsuki_case, imazu_case, charlie_case, kutsuki_sheet, imazu_sheet, dave)


def cases_of(user: User | AnonymousUser) -> set[str]:
    return set(Case.objects.visible_to(user).values_list("number", flat=True))


def sheets_of(user: User | AnonymousUser) -> set[str]:
    return set(Sheet.objects.visible_to(user).values_list("number", flat=True))


def test_each_user_sees_exactly_their_cases_and_sheets(town: Town) -> None:
    w = town.world
    k, i, c = town.kutsuki_case.number, town.imazu_case.number, town.charlie_case.number
    ks, is_ = town.kutsuki_sheet.number, town.imazu_sheet.number
    expected: dict[str, tuple[User | AnonymousUser, set[str], set[str]]] = {
        "alice (counter at A, owns both)": (w.alice, {k, i}, {ks, is_}),
        "bob (receives both sheets)": (w.bob, {k, i}, {ks, is_}),
        "bob_boss (supervisor at B)": (w.bob_boss, {k, i}, {ks, is_}),
        "charlie (outsider, own case only)": (w.charlie, {c}, set()),
        "dave (coordinator of 朽木)": (town.dave, {k, c}, {ks}),
        "city-wide coordinator": (w.coordinator, {k, i, c}, {ks, is_}),
        "admin only": (w.admin, set(), set()),
        "anonymous": (AnonymousUser(), set(), set()),
    }
    for label, (user, cases, sheets) in expected.items():
        assert (cases_of(user), sheets_of(user)) == (cases, sheets), label


def test_an_inactive_membership_sees_nothing(town: Town) -> None:
    eve = make_user("eve", "江藤", "恵美")
    Membership.objects.create(user=eve, agency=town.world.a, role=Role.STAFF, is_active=False)
    assert cases_of(eve) == sheets_of(eve) == set()


def test_an_inactive_user_or_agency_sees_nothing(town: Town) -> None:
    w = town.world
    type(w.bob).objects.filter(pk=w.bob.pk).update(is_active=False)
    bob = type(w.bob).objects.get(pk=w.bob.pk)
    assert cases_of(bob) == sheets_of(bob) == set()
    Agency.objects.filter(pk=w.a.pk).update(is_active=False)
    alice = type(w.alice).objects.get(pk=w.alice.pk)
    assert cases_of(alice) == sheets_of(alice) == set()


def test_an_admin_who_also_works_at_an_agency_sees_that_agencys_work(town: Town) -> None:
    w = town.world
    make_member(w.admin, w.b, Role.STAFF)
    admin = type(w.admin).objects.get(pk=w.admin.pk)  # fresh: the scope is cached per object
    assert cases_of(admin) == {town.kutsuki_case.number, town.imazu_case.number}


def test_a_redirect_shows_the_new_receiver_its_own_sheet_only(town: Town) -> None:
    w = town.world
    child = town.kutsuki_sheet.redirect(
        by=w.bob, to=w.c, reason="就労の相談", request="就労の相談をお願いします。", now=NOW
    )
    charlie = type(w.charlie).objects.get(pk=w.charlie.pk)
    assert sheets_of(charlie) == {child.number}
    assert cases_of(charlie) == {town.kutsuki_case.number, town.charlie_case.number}
    # bob keeps the redirected sheet and the child he sent.
    bob = type(w.bob).objects.get(pk=w.bob.pk)
    assert sheets_of(bob) == {town.kutsuki_sheet.number, town.imazu_sheet.number, child.number}


def test_querysets_compose_with_the_choke_point(town: Town) -> None:
    w = town.world
    assert list(Sheet.objects.visible_to(w.charlie).open()) == []
    assert Sheet.objects.visible_to(w.bob).inbox_of([w.b.pk]).count() == 2
    assert not Sheet.objects.visible_to(w.charlie).filter(pk=town.kutsuki_sheet.pk).exists()
    assert not Case.objects.visible_to(w.charlie).filter(pk=town.kutsuki_case.pk).exists()


# --- personal details ---------------------------------------------------------------------------


def test_personal_details_follow_the_legal_basis(town: Town) -> None:
    w = town.world
    consented, no_basis = town.kutsuki_case, town.imazu_case
    assert town.kutsuki_sheet.is_anonymised is False
    assert town.imazu_sheet.is_anonymised is True
    assert consented.shows_personal_details_to(w.alice)
    assert consented.shows_personal_details_to(w.bob)
    assert not consented.shows_personal_details_to(town.dave)  # a district coordinator
    # Coordinators (the くらし連携支援室 too) see names only where the basis names them.
    assert not consented.shows_personal_details_to(w.coordinator)
    assert no_basis.shows_personal_details_to(w.alice)  # the counter that received it
    assert not no_basis.shows_personal_details_to(w.bob)  # only an anonymised sheet
    assert not no_basis.shows_personal_details_to(w.bob_boss)
    assert not no_basis.shows_personal_details_to(w.coordinator)  # no basis: not even them
    assert not consented.shows_personal_details_to(w.admin)
    assert not consented.shows_personal_details_to(AnonymousUser())


def test_consent_that_does_not_name_the_receiver_gives_an_anonymised_sheet(town: Town) -> None:
    w = town.world
    case = make_case(w, now=NOW)  # consent names B only
    to_c = make_sheet(w, case, now=NOW, receiver=w.c)
    assert to_c.is_anonymised is True
    assert not case.shows_personal_details_to(w.charlie)
    to_b = make_sheet(w, case, now=NOW)
    assert to_b.is_anonymised is False
    assert case.shows_personal_details_to(w.bob)
    assert not case.shows_personal_details_to(w.charlie)


def test_a_redirect_to_an_agency_outside_the_consent_is_anonymised(town: Town) -> None:
    w = town.world
    child = town.kutsuki_sheet.redirect(
        by=w.bob, to=w.c, reason="就労", request="就労の相談をお願いします。", now=NOW
    )
    assert child.is_anonymised is True
    charlie = type(w.charlie).objects.get(pk=w.charlie.pk)
    assert not town.kutsuki_case.shows_personal_details_to(charlie)


def test_emergency_and_support_meeting_bases(town: Town) -> None:
    w = town.world
    emergency = make_case(w, basis=Basis.EMERGENCY, now=NOW)
    assert make_sheet(w, emergency, now=NOW, receiver=w.c).is_anonymised is False
    assert emergency.shows_personal_details_to(w.charlie)

    meeting = make_case(w, basis=Basis.SUPPORT_MEETING, now=NOW)
    body = Body.objects.create(code="shien", name="支援会議", kind=Body.Kind.SUPPORT, area=w.city)
    RosterEntry.objects.create(body=body, membership=Membership.objects.get(user=w.bob))
    # Which 支援会議 handles the case is recorded: until then only the counter sees names.
    assert make_sheet(w, meeting, now=NOW).is_anonymised is True
    Case.objects.filter(pk=meeting.pk).update(support_body=body)
    meeting.refresh_from_db()
    assert make_sheet(w, meeting, now=NOW).is_anonymised is False  # B sits on the 支援会議
    assert make_sheet(w, meeting, now=NOW, receiver=w.c).is_anonymised is True
    assert meeting.shows_personal_details_to(w.bob)
    assert not meeting.shows_personal_details_to(w.charlie)
