"""Masking by legal basis: which cases a meeting shows as "Aさん（80代）"."""

from __future__ import annotations

import time_machine

from cases.models import Basis, Person
from meetings.masking import Masker, scrub
from tests.conftest import World, make_case, make_sheet
from tests.meetings.conftest import NOW, Bodies, attend, make_meeting


def test_the_basis_must_cover_every_attending_agency(world: World, bodies: Bodies) -> None:
    meeting = make_meeting(world, bodies.kutsuki)
    with time_machine.travel(NOW, tick=False):
        consent_b = make_case(world)  # consent covers B; A owns it
        emergency = make_case(world, basis=Basis.EMERGENCY)
        make_sheet(world, emergency)  # 緊急: the agencies involved (A sent it to B)
        nothing = make_case(world, basis=Basis.NONE)
    assert Masker(meeting).masks(consent_b)  # nobody attends yet: masked until known
    attend(meeting, world.alice)
    attend(meeting, world.bob)
    masker = Masker(meeting)
    assert not masker.masks(consent_b) and not masker.masks(emergency)
    assert masker.masks(nothing)
    attend(meeting, world.coordinator)  # the coordination office: no consent, not involved
    masker = Masker(meeting)
    assert masker.masks(consent_b) and masker.masks(emergency)


def test_a_masked_view_has_no_names_kana_or_birth_years(world: World, bodies: Bodies) -> None:
    meeting = make_meeting(world, bodies.kutsuki)
    with time_machine.travel(NOW, tick=False):
        case = make_case(world, basis=Basis.NONE)
    view = Masker(meeting).view(case)
    assert view.masked
    assert [p.label for p in view.people] == ["Aさん（80代）", "Bさん（50代）"]
    assert [p.relation for p in view.people] == ["本人", "長男"]


def test_a_support_meeting_never_masks(world: World, bodies: Bodies) -> None:
    meeting = make_meeting(world, bodies.support)
    with time_machine.travel(NOW, tick=False):
        case = make_case(world, basis=Basis.NONE)
    view = Masker(meeting).view(case)
    assert not view.masked
    assert view.people[0].label == "山田 花子（やまだ はなこ） 1944年生"


def test_scrub_replaces_full_names_parts_and_kana() -> None:
    people = [
        Person(name="山田 花子", kana="やまだ はなこ", birth_year=1944),
        Person(name="佐藤 一郎", kana="", birth_year=None),
    ]
    text = "山田 花子さん（やまだ はなこ、1944年生）と山田花子様、佐藤氏、一郎さんの件"
    assert scrub(text, people, ["Aさん", "Bさん"]) == (
        "Aさん（Aさん、生年非表示生）とAさん、Bさん、Bさんの件"
    )
