"""Masking in meetings (meetings/masking.py): on screen each viewer gets the rule's answer for
themselves; what is printed or distributed names a case only if the rule names every agency
that may open the meeting. Nothing is scrubbed: masked items show the 共有用の概要."""

from __future__ import annotations

import time_machine

from cases.models import Basis, Case
from cases.privacy import record_consent
from meetings.masking import Masker, audience_agency_ids
from tests.conftest import World, make_case
from tests.meetings.conftest import NOW, Bodies, attend, make_meeting


def test_the_audience_is_everyone_who_may_open_the_meeting(world: World, bodies: Bodies) -> None:
    meeting = make_meeting(world, bodies.kutsuki)  # roster: alice (A), bob (B), the office
    assert audience_agency_ids(meeting) == {world.a.pk, world.b.pk, world.office.pk}
    attend(meeting, world.charlie)
    assert audience_agency_ids(meeting) == {world.a.pk, world.b.pk, world.office.pk, world.c.pk}
    support = make_meeting(world, bodies.support)  # roster: bob and the office only
    attend(support, world.alice)  # attending a 支援会議 opens nothing (roster only)
    assert audience_agency_ids(support) == {world.b.pk, world.office.pk}


def test_print_masks_unless_the_basis_names_every_agency_of_the_audience(
    world: World, bodies: Bodies
) -> None:
    meeting = make_meeting(world, bodies.kutsuki)  # only the chair attends
    with time_machine.travel(NOW, tick=False):
        consent_b = make_case(world)  # consent names B; A owns it
        nothing = make_case(world, basis=Basis.NONE)
    printed = Masker(meeting)
    # the whole roster may open it, and the office is not named: masked although the chair
    # is the only attendee (issue 9 point 1)
    assert printed.masks(consent_b) and printed.masks(nothing)
    record_consent(consent_b, by=world.alice, agencies=[world.office])
    assert not Masker(meeting).masks(consent_b)
    assert Masker(meeting).masks(nothing)


def test_on_screen_each_viewer_gets_their_own_view(world: World, bodies: Bodies) -> None:
    meeting = make_meeting(world, bodies.kutsuki)
    with time_machine.travel(NOW, tick=False):
        consent_b = make_case(world)
    assert not Masker(meeting, world.bob).masks(consent_b)  # the consent names B
    assert not Masker(meeting, world.alice).masks(consent_b)  # the receiving counter
    assert Masker(meeting, world.coordinator).masks(consent_b)  # the office: not named


def test_a_masked_view_has_no_names_and_shows_the_shared_summary(
    world: World, bodies: Bodies
) -> None:
    meeting = make_meeting(world, bodies.kutsuki)
    with time_machine.travel(NOW, tick=False):
        case = make_case(world, basis=Basis.NONE, shared_summary="高齢の母と長男の世帯。")
    view = Masker(meeting).view(case)
    assert view.masked
    assert [p.line for p in view.people] == ["Aさん（80代）・本人", "Bさん（50代）・長男"]
    assert view.summary == "高齢の母と長男の世帯。"
    assert "山田" not in repr([p.label for p in view.people]) + view.summary


def test_a_support_meeting_shows_names_only_for_its_own_support_cases(
    world: World, bodies: Bodies
) -> None:
    meeting = make_meeting(world, bodies.support)
    with time_machine.travel(NOW, tick=False):
        ours = make_case(world, basis=Basis.SUPPORT_MEETING, support_body=bodies.support)
        nothing = make_case(world, basis=Basis.NONE)
    Case.objects.filter(pk=ours.pk).update(support_body=bodies.support)
    ours.refresh_from_db()
    view = Masker(meeting).view(ours)
    assert not view.masked
    assert view.people[0].full == "山田 花子（やまだ はなこ） 1944年生"
    assert view.summary.startswith("80代の母と50代の長男。")
    # being put on a 支援会議's agenda widens nothing
    assert Masker(meeting).view(nothing).masked
