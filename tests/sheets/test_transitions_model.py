"""Random sequences of moves by random people against a reference state machine: every legal
move succeeds with one event, every illegal one is refused and changes nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cases.models import Event
from sheets.models import Outcome, Sheet, SheetError, Status
from tests.conftest import World, make_sheet
from tests.reminders.reminder_support import cursor

START = datetime(2026, 11, 26, 1, 0, tzinfo=UTC)
MOVES = ["acknowledge", "progress", "close", "redirect", "withdraw"]
ACTORS = ["alice", "bob", "bob_boss", "charlie", "coordinator"]
RECEIVERS = {"bob", "bob_boss"}
SENDERS = {"alice"}

# (move, status it may start from) → the status it leads to
LEGAL = {
    ("acknowledge", Status.SENT): Status.ACKNOWLEDGED,
    ("progress", Status.ACKNOWLEDGED): Status.ACKNOWLEDGED,
    ("close", Status.ACKNOWLEDGED): Status.CLOSED,
    ("redirect", Status.SENT): Status.REDIRECTED,
    ("redirect", Status.ACKNOWLEDGED): Status.REDIRECTED,
    ("withdraw", Status.SENT): Status.WITHDRAWN,
    ("withdraw", Status.ACKNOWLEDGED): Status.WITHDRAWN,
}


def expected_after(move: str, actor: str, status: str) -> str | None:
    """The next status, or None when the move must be refused."""
    allowed = SENDERS if move == "withdraw" else RECEIVERS
    if actor not in allowed:
        return None
    return LEGAL.get((move, Status(status)))


def perform(sheet: Sheet, world: World, move: str, actor: str, now: datetime) -> None:
    user = getattr(world, actor)
    if move == "acknowledge":
        sheet.acknowledge(by=user, assignee=world.bob, roles="訪問と申請支援", now=now)
    elif move == "progress":
        sheet.report_progress(by=user, text="訪問しました", now=now)
    elif move == "close":
        sheet.close(by=user, outcome=Outcome.objects.get(code="support"), note="完了", now=now)
    elif move == "redirect":
        sheet.redirect(
            by=user,
            to=world.c,
            reason="就労の相談が中心のため",
            request="就労の相談をお願いします。",
            now=now,
        )
    else:
        sheet.withdraw(by=user, reason="本人が辞退", now=now)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    steps=st.lists(
        st.tuples(st.sampled_from(MOVES), st.sampled_from(ACTORS), st.integers(1, 60 * 24 * 5)),
        min_size=1,
        max_size=8,
    )
)
def test_random_move_sequences_follow_the_state_machine(
    world: World, steps: list[tuple[str, str, int]]
) -> None:
    now = START
    sheet = make_sheet(world, now=now)
    status: str = Status.SENT
    for move, actor, minutes in steps:
        now += timedelta(minutes=minutes)
        before = Sheet.objects.values().get(pk=sheet.pk)
        events_before = Event.objects.count()
        sheets_before = Sheet.objects.count()
        expected = expected_after(move, actor, status)
        try:
            perform(sheet, world, move, actor, now)
        except SheetError as refused:
            assert expected is None, (move, actor, status, str(refused))
            assert str(refused)  # a reason in Japanese, shown as is
            assert Sheet.objects.values().get(pk=sheet.pk) == before
            assert (Event.objects.count(), Sheet.objects.count()) == (events_before, sheets_before)
            continue
        assert expected is not None, (move, actor, status, "was allowed")
        status = expected
        row = Sheet.objects.get(pk=sheet.pk)
        assert row.status == status
        assert row.version == before["version"] + 1
        assert row.last_event_at == now
        redirected = move == "redirect"
        assert Event.objects.count() == events_before + (2 if redirected else 1)
        assert Sheet.objects.count() == sheets_before + (1 if redirected else 0)
        event = Event.objects.filter(sheet=sheet).latest("id")
        assert (event.actor, event.at) == (getattr(world, actor), now)
        pending = {
            Status.SENT: row.ack_due_at,
            Status.ACKNOWLEDGED: row.follow_up_due_at,
        }.get(Status(row.status))
        assert row.next_due_at == cursor(row.pk)[0] == pending
        assert (row.ended_at is None) == (pending is not None)
