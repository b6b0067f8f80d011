"""Agenda suggestions: exactly the district's overdue sheets, silent sheets and 抱え込み cases."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from pytest_django.fixtures import Settings as SettingsWrapper

from meetings import agenda
from meetings.models import AgendaItem
from tests.conftest import World, make_case, make_sheet
from tests.meetings.conftest import NOW, Bodies, make_meeting

T0 = NOW - timedelta(days=25)  # Monday 2026-11-02 10:00 JST


@pytest.fixture
def stalled(world: World, settings: SettingsWrapper) -> dict[str, object]:
    """The same situations in 朽木 and in 今津, plus things that must not be suggested."""
    settings.FOLLOW_UP_BUSINESS_DAYS = 30  # a silent sheet must not also be overdue
    settings.SILENT_SHEET_BUSINESS_DAYS = 5
    settings.HOLDING_FLAG_BUSINESS_DAYS = 5
    made: dict[str, object] = {}
    for name, district in (("kutsuki", world.kutsuki), ("imazu", world.imazu)):
        with time_machine.travel(T0, tick=False):
            made[f"overdue_{name}"] = make_sheet(world, make_case(world, district=district))
            silent = make_sheet(world, make_case(world, district=district))
            made[f"holding_{name}"] = make_case(world, district=district)
            made[f"one_field_{name}"] = make_case(world, district=district, tags=("8050", "kaigo"))
        with time_machine.travel(T0 + timedelta(days=1), tick=False):
            silent.acknowledge(by=world.bob, assignee=world.bob, roles="包括が訪問")
        made[f"silent_{name}"] = silent
        with time_machine.travel(NOW - timedelta(days=1), tick=False):
            made[f"recent_case_{name}"] = make_case(world, district=district)
            fresh = make_sheet(world, make_case(world, district=district))
            fresh.acknowledge(by=world.bob, assignee=world.bob, roles="包括が訪問")
            made[f"fresh_{name}"] = fresh
    return made


def keys(meeting: object) -> set[tuple[str, str]]:
    found = agenda.suggestions(meeting, NOW)  # type: ignore[arg-type]
    return {(s.kind, s.sheet.number if s.sheet else s.case.number) for s in found}


def test_suggestions_are_exactly_the_districts_stalled_work(
    world: World, bodies: Bodies, stalled: dict[str, object]
) -> None:
    meeting = make_meeting(world, bodies.kutsuki)
    assert keys(meeting) == {
        ("overdue", str(stalled["overdue_kutsuki"])),
        ("silent", str(stalled["silent_kutsuki"])),
        ("holding", str(stalled["holding_kutsuki"])),
    }


def test_a_city_body_gets_the_whole_city(
    world: World, bodies: Bodies, stalled: dict[str, object]
) -> None:
    meeting = make_meeting(world, bodies.city)
    assert keys(meeting) == {
        (kind, str(stalled[f"{kind}_{district}"]))
        for kind in ("overdue", "silent", "holding")
        for district in ("kutsuki", "imazu")
    }


def test_a_suggestion_on_the_agenda_is_not_suggested_again(
    world: World, bodies: Bodies, stalled: dict[str, object]
) -> None:
    meeting = make_meeting(world, bodies.kutsuki)
    sheet = stalled["overdue_kutsuki"]
    with time_machine.travel(NOW, tick=False):
        item = agenda.add_suggestion(meeting, f"sheet-{sheet.pk}", by=world.coordinator)  # type: ignore[attr-defined]
    assert (
        item is not None
        and item.kind == AgendaItem.Kind.SHEET
        and item.reason == "期限切れのシート"
    )
    assert ("overdue", str(sheet)) not in keys(meeting)
    assert {a.name for a in item.needed_agencies.all()} == {"朽木支所", "地域包括支援センター"}


def test_one_click_adds_one_item_and_a_forged_key_adds_nothing(
    client: Client, world: World, bodies: Bodies, stalled: dict[str, object]
) -> None:
    meeting = make_meeting(world, bodies.kutsuki)
    client.force_login(world.coordinator)
    url = reverse("meetings:suggestion_add", args=[meeting.pk])
    other = stalled["holding_imazu"]
    mine = stalled["holding_kutsuki"]
    with time_machine.travel(NOW, tick=False):
        client.post(url, {"key": f"case-{other.pk}"})  # type: ignore[attr-defined]
        assert meeting.items.count() == 0
        response = client.post(url, {"key": f"case-{mine.pk}"}, follow=True)  # type: ignore[attr-defined]
    assert meeting.items.get().case == mine
    assert "議題に追加しました" in response.content.decode()
