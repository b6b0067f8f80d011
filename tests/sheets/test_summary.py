"""The monthly sheet summaries (sheets/summary.py) move with every sheet write, in its
transaction, and stay equal to a count from scratch; the figures read from them equal the
figures counted from the sheets."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from areas.models import Closure, Role
from areas.scope import scope_of
from cases.models import Case
from insight.figures import Filters, Names, Period
from insight.health import handoff_health, indicators
from reminders.engine import run_pending_recounts
from sheets import summary
from sheets.models import (
    Handover,
    Sheet,
    Status,
)
from tests.conftest import (
    World,
    make_case,
    make_member,
    make_sheet,
    make_tags,
    make_user,
    outcome,
)
from tsumugi.lib.dates import TOKYO, BusinessCalendar

MONDAY = datetime(2026, 6, 1, 10, 0, tzinfo=TOKYO)
REQUEST = "就労の相談に乗ってください。"


def snapshot() -> dict[str, list[tuple[Any, ...]]]:
    """Every summary row: its key (the one municipality left out) and its count."""
    return {
        model.__name__: sorted(
            model._default_manager.values_list(
                *[k for k in summary.KEYS[model] if k != "municipality_id"], "n"
            )
        )
        for model in summary.SUMMARIES
    }


def months(world: World) -> list[tuple[Any, ...]]:
    return snapshot()["SheetMonth"]


def test_a_new_sheet_and_each_move_count_in_the_writers_transaction(world: World) -> None:
    june, kutsuki, b = date(2026, 6, 1), world.kutsuki.pk, world.b.pk
    sheet = make_sheet(world, now=MONDAY)
    assert months(world) == [(june, kutsuki, b, "system", "sent", False, False, 1)]
    assert snapshot()["OpenSheetCount"] == [(kutsuki, world.a.pk, 1)]
    assert snapshot()["SheetLagMonth"] == []

    # 受理 on Wednesday: two business days; rolled back with its transaction, so is the count
    with pytest.raises(RuntimeError), transaction.atomic():
        sheet.acknowledge(
            by=world.bob, assignee=world.bob, roles="包括", now=MONDAY + timedelta(days=2)
        )
        assert months(world) == [(june, kutsuki, b, "system", "acknowledged", True, False, 1)]
        assert snapshot()["SheetLagMonth"] == [(june, kutsuki, "ack", 2, 1)]
        raise RuntimeError("roll back")
    assert months(world) == [(june, kutsuki, b, "system", "sent", False, False, 1)]
    assert snapshot()["SheetLagMonth"] == []

    sheet = Sheet.objects.get(pk=sheet.pk)
    sheet.acknowledge(
        by=world.bob, assignee=world.bob, roles="包括", now=MONDAY + timedelta(days=2)
    )
    sheet.close(by=world.bob, outcome=outcome(), note="支援開始", now=MONDAY + timedelta(days=7))
    assert months(world) == [(june, kutsuki, b, "system", "closed", True, False, 1)]
    assert snapshot()["OpenSheetCount"] == []  # open from sending to 終結 only
    assert snapshot()["SheetLagMonth"] == [
        (june, kutsuki, "ack", 2, 1),
        (june, kutsuki, "close", 5, 1),
    ]


def test_a_redirect_ends_one_sheet_and_counts_its_child(world: World) -> None:
    june, kutsuki = date(2026, 6, 1), world.kutsuki.pk
    sheet = make_sheet(world, make_case(world, now=MONDAY, tags=("konkyu",)), now=MONDAY)
    assert snapshot()["MultiAgencyCaseMonth"] == []
    child = sheet.redirect(
        by=world.bob, to=world.c, reason="就労の相談です", request=REQUEST, now=MONDAY
    )
    assert months(world) == [
        (june, kutsuki, world.b.pk, "system", "redirected", False, False, 1),
        (june, kutsuki, world.c.pk, "system", "sent", False, True, 1),
    ]
    # the case's sheets went to two agencies: one case of 多機関協働 (it has one field only)
    assert Case.objects.get(pk=sheet.case_id).field_count == 1
    assert snapshot()["MultiAgencyCaseMonth"] == [(june, kutsuki, world.a.pk, 1)]
    child.withdraw(by=world.bob, reason="本人が断った", now=MONDAY)
    assert months(world)[1] == (june, kutsuki, world.c.pk, "system", "withdrawn", False, True, 1)
    kept = snapshot()
    summary.rebuild()
    assert snapshot() == kept


def test_a_case_moved_to_another_district_takes_its_sheets_counts(world: World) -> None:
    june = date(2026, 6, 1)
    sheet = make_sheet(world, now=MONDAY)
    sheet.acknowledge(by=world.bob, assignee=world.bob, roles="包括", now=MONDAY)
    case = Case.objects.get(pk=sheet.case_id)
    case.edit(
        by=world.alice,
        expected_version=case.version,
        values={"district": world.imazu},
        tags=list(case.tags.all()),
    )
    assert months(world) == [
        (june, world.imazu.pk, world.b.pk, "system", "acknowledged", True, False, 1)
    ]
    assert snapshot()["SheetLagMonth"] == [(june, world.imazu.pk, "ack", 0, 1)]


def test_a_case_moved_to_another_district_takes_its_sheets_and_their_later_moves(
    world: World,
) -> None:
    """Sheet.district follows its case in the edit's transaction, every sheet of the case (open
    or ended), so a move after the edit counts in the new district: the kept counts equal a
    count from scratch, which reads the case's district."""
    case = make_case(world, now=MONDAY)
    closed = make_sheet(world, case, now=MONDAY)
    closed.acknowledge(by=world.bob, assignee=world.bob, roles="包括", now=MONDAY)
    closed.close(by=world.bob, outcome=outcome(), note="済", now=MONDAY)
    sheet = make_sheet(world, case, now=MONDAY, receiver=world.c)
    assert {s.district_id for s in Sheet.objects.filter(case=case)} == {world.kutsuki.pk}
    case.refresh_from_db()
    with transaction.atomic():
        case.edit(
            by=world.alice,
            expected_version=case.version,
            values={"district": world.imazu},
            tags=list(case.tags.all()),
        )
        assert {s.district_id for s in Sheet.objects.filter(case=case)} == {world.imazu.pk}
    sheet.acknowledge(by=world.charlie, assignee=world.charlie, roles="就労", now=MONDAY)
    assert snapshot()["OpenSheetCount"] == [(world.imazu.pk, world.a.pk, 1)]
    kept = snapshot()
    summary.rebuild()
    assert snapshot() == kept


def test_a_closure_on_a_past_day_recounts_the_business_days(world: World) -> None:
    sheet = make_sheet(world, now=MONDAY)
    sheet.acknowledge(
        by=world.bob, assignee=world.bob, roles="包括", now=MONDAY + timedelta(days=2)
    )
    assert snapshot()["SheetLagMonth"] == [(date(2026, 6, 1), world.kutsuki.pk, "ack", 2, 1)]
    closure = Closure.objects.create(date=date(2026, 6, 2), reason="停電")
    # The admin's request only owes the recount (a Recount row); the worker does it.
    assert snapshot()["SheetLagMonth"] == [(date(2026, 6, 1), world.kutsuki.pk, "ack", 2, 1)]
    run_pending_recounts(timezone.now())
    assert snapshot()["SheetLagMonth"] == [(date(2026, 6, 1), world.kutsuki.pk, "ack", 1, 1)]
    closure.delete()
    run_pending_recounts(timezone.now())
    assert snapshot()["SheetLagMonth"] == [(date(2026, 6, 1), world.kutsuki.pk, "ack", 2, 1)]


def test_rebuild_equals_the_counts_kept_through_random_moves(world: World) -> None:
    rng = random.Random(11)
    tags = list(make_tags(world))
    start = datetime(2026, 3, 20, 9, 0, tzinfo=TOKYO)
    Closure.objects.create(date=date(2026, 4, 28), reason="庁舎点検")
    for i in range(40):
        now = start + timedelta(days=rng.randrange(90), hours=rng.randrange(12))
        district = rng.choice([world.kutsuki, world.imazu])
        picked = tuple(rng.sample(tags, rng.randint(1, 3)))
        case = make_case(world, tags=picked, district=district, now=now)
        receivers = [world.b, world.c] if i % 2 else [world.b]
        for receiver in receivers:
            sheet = make_sheet(world, case, now=now, receiver=receiver)
            later = now + timedelta(days=rng.randrange(1, 9))
            who = world.bob if receiver == world.b else world.charlie
            move = rng.randrange(5)
            if move >= 1:
                sheet.acknowledge(by=who, assignee=who, roles="役割", now=later)
            if move == 2:
                sheet.close(by=who, outcome=outcome(), note="済", now=later + timedelta(days=9))
            if move == 3:
                sheet.withdraw(by=world.alice, reason="取下げ", now=later)
            if move == 4 and receiver == world.b:
                sheet.redirect(by=who, to=world.c, reason="転送", request=REQUEST, now=later)
        if i % 7 == 0:
            case.refresh_from_db()
            case.edit(
                by=world.alice,
                expected_version=case.version,
                values={"district": world.imazu if district == world.kutsuki else world.kutsuki},
                tags=list(make_tags(world)[t] for t in tags[:1]),
            )
    kept = snapshot()
    assert not Sheet.objects.exclude(district=F("case__district")).exists()
    assert sum(r[-1] for r in kept["SheetMonth"]) == Sheet.objects.count()
    assert kept["MultiAgencyCaseMonth"]
    summary.rebuild()
    assert snapshot() == kept


def test_health_and_indicators_from_the_summaries_equal_them_from_the_sheets(
    world: World,
) -> None:
    sent = [MONDAY + timedelta(days=d) for d in (0, 3, 20, 45, 80)]
    for i, now in enumerate(sent):
        case = make_case(world, now=now, district=world.imazu if i % 2 else world.kutsuki)
        sheet = make_sheet(world, case, now=now)
        if i % 3:
            sheet.acknowledge(
                by=world.bob, assignee=world.bob, roles="包括", now=now + timedelta(days=i)
            )
        if i % 3 == 2:
            sheet.close(by=world.bob, outcome=outcome(), note="済", now=now + timedelta(days=12))
        if i == 4:
            make_sheet(world, case, now=now, receiver=world.c)
    Sheet.hand_over(
        case=make_case(world, now=MONDAY),
        by=world.alice,
        sender_agency=world.a,
        handover=Handover.PHONE,
        handed_at=MONDAY,
        request="見守りをお願いします。",
        sender_continuing="支所で月1回の訪問を続けます。",
        outside_receiver="民生委員協議会",
        now=MONDAY,
    )
    names, now = Names.load(), timezone.now()
    calendar = BusinessCalendar()
    year = Period.fiscal(2026)
    # a coordinator of 朽木 only (the branch covers 朽木)
    kutsuki_coordinator = make_user("kutsuki_coord", "朽木", "調整")
    make_member(kutsuki_coordinator, world.a, Role.COORDINATOR)
    for filters in (Filters(year), Filters(year, district_id=world.imazu.pk)):
        for user in (world.coordinator, kutsuki_coordinator, world.bob_boss):
            scope = scope_of(user)
            kept = handoff_health(scope, filters, calendar, now, names)
            counted = handoff_health(scope, filters, calendar, now, names, use_summary=False)
            assert kept == counted
            assert indicators(scope, 2026) == indicators(scope, 2026, use_summary=False)
    city = handoff_health(scope_of(world.coordinator), Filters(year), calendar, now, names)
    assert city["ack"]["count"] == 3
    assert city["close"]["count"] == 1
    district = handoff_health(scope_of(kutsuki_coordinator), Filters(year), calendar, now, names)
    # sheets of 朽木's cases: i = 0, 2, 4 (two), and the hand-off by phone
    assert district["by_district"].total == 5
    scope = scope_of(world.coordinator)
    table = dict(indicators(scope, 2026).rows)
    assert sum(table["多機関協働の事例数"]) >= 1
    assert Sheet.objects.filter(status=Status.SENT).exists()
