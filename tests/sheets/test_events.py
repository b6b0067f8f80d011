"""Events are written with the move, in its transaction, and never change afterwards; the
database itself refuses a sheet or case row whose state and timestamps disagree."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.db import IntegrityError, transaction

from cases.models import Case, CaseError, Event
from sheets.models import Sheet, Status
from tests.conftest import World, make_case, make_sheet, outcome

SENT = datetime(2026, 11, 26, 1, 0, tzinfo=UTC)  # Thu 10:00 JST


def test_every_move_appends_one_event_with_actor_agency_and_time(world: World) -> None:
    sheet = make_sheet(world, now=SENT)
    moves = [
        (
            lambda t: sheet.acknowledge(by=world.bob, assignee=world.bob, roles="訪問", now=t),
            Event.Kind.ACKNOWLEDGED,
            world.bob,
            world.b,
        ),
        (
            lambda t: sheet.report_progress(by=world.bob, text="訪問した", now=t),
            Event.Kind.PROGRESS,
            world.bob,
            world.b,
        ),
        (
            lambda t: sheet.close(by=world.bob, outcome=outcome(), note="完了", now=t),
            Event.Kind.CLOSED,
            world.bob,
            world.b,
        ),
        (
            lambda t: sheet.case.close(by=world.alice, note="支援につながった", now=t),
            Event.Kind.CASE_CLOSED,
            world.alice,
            world.a,
        ),
    ]
    for hour, (move, kind, actor, agency) in enumerate(moves, start=1):
        at = SENT + timedelta(hours=hour)
        before = Event.objects.count()
        move(at)
        assert Event.objects.count() == before + 1
        event = Event.objects.latest("id")
        assert (event.kind, event.actor, event.agency, event.at, event.case_id) == (
            kind,
            actor,
            agency,
            at,
            sheet.case_id,
        )
    assert list(Event.objects.filter(case=sheet.case).values_list("kind", flat=True)) == [
        "case_opened",
        "sheet_sent",
        "acknowledged",
        "progress",
        "closed",
        "case_closed",
    ]


def test_a_move_whose_event_cannot_be_written_changes_nothing(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    sheet = make_sheet(world, now=SENT)
    before = Sheet.objects.values().get(pk=sheet.pk)
    original_save = Event.save

    def failing_save(self: Event, *args: Any, **kwargs: Any) -> None:
        if self.kind == Event.Kind.ACKNOWLEDGED:
            raise RuntimeError("disk full")
        original_save(self, *args, **kwargs)

    monkeypatch.setattr(Event, "save", failing_save)
    with pytest.raises(RuntimeError):
        sheet.acknowledge(by=world.bob, assignee=world.bob, roles="訪問", now=SENT)
    assert Sheet.objects.values().get(pk=sheet.pk) == before
    assert not Event.objects.filter(kind=Event.Kind.ACKNOWLEDGED).exists()


def test_a_case_close_whose_event_cannot_be_written_leaves_the_case_open(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    case = make_case(world, now=SENT)

    def failing_save(self: Event, *args: Any, **kwargs: Any) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(Event, "save", failing_save)
    with pytest.raises(RuntimeError):
        case.close(by=world.alice, note="解決", now=SENT)
    row = Case.objects.get(pk=case.pk)
    assert (row.status, row.closed_at, row.version) == (Case.Status.OPEN, None, 1)


def test_events_cannot_be_updated_or_deleted(world: World) -> None:
    sheet = make_sheet(world, now=SENT)
    event = Event.objects.get(sheet=sheet)
    event.text = "書き換え"
    with pytest.raises(CaseError, match="記録は変更できません。"):
        event.save()
    with pytest.raises(CaseError, match="記録は削除できません。"):
        event.delete()
    with pytest.raises(CaseError, match="記録は変更できません。"):
        Event.objects.filter(pk=event.pk).update(text="書き換え")
    with pytest.raises(CaseError, match="記録は変更できません。"), transaction.atomic():
        Event.objects.bulk_update([event], ["text"])
    with pytest.raises(CaseError, match="記録は削除できません。"):
        Event.objects.filter(sheet=sheet).delete()
    with pytest.raises(CaseError, match="記録は削除できません。"):
        Event.objects.all().delete()
    assert Event.objects.get(pk=event.pk).text.startswith("朽木支所 → 地域包括支援センター")
    assert Event.objects.count() == 2


def test_nothing_is_deleted_through_a_case_or_sheet_either(world: World) -> None:
    sheet = make_sheet(world, now=SENT)
    # PROTECT: removing a sheet or case would take its timeline with it.
    with pytest.raises(IntegrityError), transaction.atomic():
        Sheet.objects.filter(pk=sheet.pk).delete()
    with pytest.raises(IntegrityError), transaction.atomic():
        Case.objects.filter(pk=sheet.case_id).delete()
    assert Event.objects.count() == 2


# --- CheckConstraints ----------------------------------------------------------------------------


def acknowledged(world: World) -> Sheet:
    sheet = make_sheet(world, now=SENT)
    sheet.acknowledge(by=world.bob, assignee=world.bob, roles="訪問", now=SENT)
    return sheet


def assert_refused_by_database(model: type[Case] | type[Sheet], pk: int, **values: Any) -> None:
    # A queryset update skips every Python check: only the database stands in the way.
    with pytest.raises(IntegrityError), transaction.atomic():
        model.objects.filter(pk=pk).update(**values)


@pytest.mark.parametrize(
    "values",
    [
        {"next_due_at": None},
        {"next_due_at": SENT},
        {"receiver_agency_id": "sender"},
        {"status": Status.ACKNOWLEDGED},  # no assignee, no acknowledged_at
        {"status": Status.CLOSED},  # no outcome, deadlines still pending
        {"status": Status.WITHDRAWN},  # no ended_at, deadlines still pending
    ],
    ids=[
        "sent-without-cursor",
        "sent-cursor-not-ack-due",
        "to-self",
        "ack-without-assignee",
        "closed-without-outcome",
        "withdrawn-still-due",
    ],
)
def test_the_database_refuses_an_inconsistent_sent_sheet(
    world: World, values: dict[str, Any]
) -> None:
    sheet = make_sheet(world, now=SENT)
    if values.get("receiver_agency_id") == "sender":
        values = {"receiver_agency_id": world.a.pk}
    assert_refused_by_database(Sheet, sheet.pk, **values)


@pytest.mark.parametrize(
    "values",
    [
        {"next_due_at": None},
        {"next_due_at": SENT},
        {"assignee": None},
        {"acknowledged_at": None},
        {"status": Status.SENT},  # cursor now points at the follow-up, not at ack_due_at
        {"status": Status.CLOSED, "ended_at": SENT, "next_due_at": None},
    ],
    ids=[
        "ack-without-cursor",
        "ack-cursor-not-follow-up",
        "ack-without-assignee",
        "ack-without-time",
        "back-to-sent",
        "closed-without-outcome",
    ],
)
def test_the_database_refuses_an_inconsistent_acknowledged_sheet(
    world: World, values: dict[str, Any]
) -> None:
    sheet = acknowledged(world)
    assert_refused_by_database(Sheet, sheet.pk, **values)


def test_the_database_refuses_reopening_a_closed_sheet_without_a_deadline(world: World) -> None:
    sheet = acknowledged(world)
    sheet.close(by=world.bob, outcome=outcome(), note="完了", now=SENT)
    assert_refused_by_database(Sheet, sheet.pk, ended_at=None)
    assert_refused_by_database(Sheet, sheet.pk, next_due_at=SENT)
    assert_refused_by_database(Sheet, sheet.pk, outcome=None)
    assert_refused_by_database(Sheet, sheet.pk, status=Status.ACKNOWLEDGED)


def test_the_database_refuses_a_case_whose_status_and_close_time_disagree(world: World) -> None:
    case = make_case(world, now=SENT)
    assert_refused_by_database(Case, case.pk, status=Case.Status.CLOSED)
    assert_refused_by_database(Case, case.pk, closed_at=SENT)
    case.close(by=world.alice, note="解決", now=SENT)
    assert_refused_by_database(Case, case.pk, closed_at=None)


def test_consistent_rows_pass_the_same_constraints(world: World) -> None:
    sheet = acknowledged(world)
    # The control for the tests above: a consistent change goes through.
    Sheet.objects.filter(pk=sheet.pk).update(roles="訪問と電話")
    assert Sheet.objects.get(pk=sheet.pk).roles == "訪問と電話"
