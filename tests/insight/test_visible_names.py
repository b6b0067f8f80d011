"""Drill-down names follow the one rule's Python twin exactly, in one query for the list."""

from __future__ import annotations

from datetime import datetime

from areas.models import Role
from cases.models import Basis, Case
from insight.figures import visible_names
from tests.conftest import World, make_case, make_member, make_sheet, make_user
from tsumugi.lib.dates import TOKYO

WHEN = datetime(2026, 6, 1, 10, 0, tzinfo=TOKYO)


def test_names_are_shown_exactly_where_the_case_page_would_show_them(
    world: World, django_assert_num_queries
) -> None:
    consented = make_case(world, now=WHEN)  # consent covers B
    make_sheet(world, consented, now=WHEN)
    no_basis = make_case(world, basis=Basis.NONE, now=WHEN)
    make_sheet(world, no_basis, now=WHEN)  # anonymised sheet to B
    to_c = make_case(world, basis=Basis.CONSENT, now=WHEN)
    make_sheet(world, to_c, now=WHEN, receiver=world.c)  # C is outside the consent: anonymised
    imazu = make_case(world, district=world.imazu, agency=world.c, by=world.charlie, now=WHEN)
    kutsuki_coordinator = make_user("kc", "朽木", "調整")
    make_member(kutsuki_coordinator, world.a, Role.COORDINATOR)
    cases = [consented, no_basis, to_c, imazu]
    ids = [c.pk for c in cases]
    viewers = [
        world.alice,
        world.bob,
        world.bob_boss,
        world.charlie,
        world.coordinator,
        kutsuki_coordinator,
        world.admin,
    ]
    seen: dict[str, set[int]] = {}
    for viewer in viewers:
        expected = {
            c.pk for c in Case.objects.filter(pk__in=ids) if c.shows_personal_details_to(viewer)
        }
        # the admin works on no cases: nothing to look up at all
        with django_assert_num_queries(0 if viewer == world.admin else 1):
            names = visible_names(viewer, ids)
        assert set(names) == expected, viewer.username
        assert all(name == "山田 花子" for name in names.values())
        seen[viewer.username] = set(names)
    # the rule is not trivial on this data: each of these differs
    assert seen["coord"] == set()  # a coordinator: only where the basis names the office
    # the consent names B on every consented case, whatever sheets exist; never on no_basis
    assert seen["bob"] == {consented.pk, to_c.pk, imazu.pk}
    assert seen["charlie"] == {imazu.pk}  # C's own case; the sheet to C is anonymised
    assert seen["kc"] == {consented.pk, no_basis.pk, to_c.pk}  # A's own cases
    assert seen["admin"] == set()
