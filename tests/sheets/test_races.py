"""Two people pressing the same button at the same moment: exactly one wins (PostgreSQL only;
SQLite ignores select_for_update and serialises writers anyway)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from django.contrib.auth import get_user_model
from django.db import connection

from cases.intake import open_case
from cases.models import Basis, Case, Channel, Event
from sheets.models import Outcome, Sheet, SheetError, Status
from tests.conftest import World, make_case, make_sheet, make_tags

THREADS = 20
RUNS = 5
NOW = datetime(2026, 11, 26, 1, 0, tzinfo=UTC)

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL row locks"),
]


def run_at_once(attempt: Callable[[int], str], threads: int = THREADS) -> list[str]:
    """Start `threads` attempts behind one barrier; each returns "ok" or the refusal text."""
    barrier = threading.Barrier(threads)
    results: list[str] = []
    lock = threading.Lock()

    def worker(i: int) -> None:
        try:
            barrier.wait()
            result = attempt(i)
        except SheetError as refused:
            result = str(refused)
        except Exception as error:  # a deadlock or a lost lock would show up here
            result = f"ERROR {type(error).__name__}: {error}"
        finally:
            connection.close()
        with lock:
            results.append(result)

    pool = [threading.Thread(target=worker, args=(i,)) for i in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join(timeout=60)
    assert len(results) == threads
    return results


def fresh(pk: int) -> tuple[Sheet, object]:
    User = get_user_model()
    return Sheet.objects.get(pk=pk), User.objects.get(username="bob")


def test_twenty_people_acknowledging_one_sheet_one_wins(world: World) -> None:
    for run in range(RUNS):
        sheet = make_sheet(world, now=NOW)

        def acknowledge(i: int, pk: int = sheet.pk) -> str:
            own, bob = fresh(pk)  # each thread its own objects and connection
            own.acknowledge(by=bob, assignee=bob, roles=f"訪問（{i}）", now=NOW)  # type: ignore[arg-type]
            return "ok"

        results = run_at_once(acknowledge)
        assert results.count("ok") == 1, (run, results)
        refusals = [r for r in results if r != "ok"]
        assert all("受理できるのは受理待ちのシートだけです。" in r for r in refusals), refusals
        assert Event.objects.filter(sheet=sheet, kind=Event.Kind.ACKNOWLEDGED).count() == 1
        sheet.refresh_from_db()
        assert (sheet.status, sheet.version) == (Status.ACKNOWLEDGED, 2)


def test_twenty_people_closing_one_sheet_one_wins(world: World) -> None:
    # A transactional test starts from a flushed database: the migration's outcomes are gone.
    support, _ = Outcome.objects.get_or_create(code="support", defaults={"name": "支援開始"})
    for run in range(RUNS):
        sheet = make_sheet(world, now=NOW)
        sheet.acknowledge(by=world.bob, assignee=world.bob, roles="訪問", now=NOW)

        def close(i: int, pk: int = sheet.pk) -> str:
            own, bob = fresh(pk)
            own.close(by=bob, outcome=support, note=f"完了（{i}）", now=NOW)  # type: ignore[arg-type]
            return "ok"

        results = run_at_once(close)
        assert results.count("ok") == 1, (run, results)
        assert all("終結できるのは受理したシートだけです。" in r for r in results if r != "ok")
        assert Event.objects.filter(sheet=sheet, kind=Event.Kind.CLOSED).count() == 1
        sheet.refresh_from_db()
        assert (sheet.status, sheet.version, sheet.next_due_at) == (Status.CLOSED, 3, None)


def test_twenty_counters_opening_cases_get_consecutive_numbers(world: World) -> None:
    tags = list(make_tags(world).values())

    def intake(i: int) -> str:
        User = get_user_model()
        alice = User.objects.get(username="alice")
        case = open_case(
            agency=world.a,
            by=alice,
            district=world.kutsuki,
            channel=Channel.PHONE,
            summary=f"電話相談 {i}",
            basis=Basis.NONE,
            tags=tags[:2],
            now=NOW,
        )
        return case.number

    numbers = run_at_once(intake)
    assert sorted(numbers) == [f"2026-{n:05d}" for n in range(1, THREADS + 1)], numbers
    assert Case.objects.count() == THREADS


def test_twenty_sheets_issued_from_one_case_at_once_get_distinct_numbers(world: World) -> None:
    first = make_sheet(world, now=NOW)
    case = first.case

    def issue(i: int) -> str:
        own_case = Case.objects.get(pk=case.pk)
        User = get_user_model()
        sheet = Sheet.issue(
            case=own_case,
            by=User.objects.get(username="alice"),
            sender_agency=world.a,
            receiver_agency=world.b if i % 2 else world.c,
            request=f"依頼 {i}",
            sender_continuing="訪問を続けます",
            now=NOW,
        )
        return sheet.number

    numbers = run_at_once(issue)
    assert sorted(numbers) == [f"{case.number}-{n:02d}" for n in range(2, THREADS + 2)]


def test_a_case_moved_to_another_district_while_its_sheets_move_deadlocks_nothing(
    world: World,
) -> None:
    """The edit rewrites the case's sheets (Sheet.district) while it holds the case; the sender,
    whose moves touch the case (its activity), withdraws them at the same moment. Each move
    takes the case before its sheet (Sheet._lock), so the two take turns instead of waiting for
    each other, and every sheet and its counts end up in the new district."""
    from sheets import summary

    case = make_case(world, now=NOW)
    sheets = [make_sheet(world, case, now=NOW) for _ in range(THREADS - 1)]

    def attempt(i: int) -> str:
        User = get_user_model()
        alice = User.objects.get(username="alice")
        if i == 0:
            own = Case.objects.get(pk=case.pk)
            own.edit(
                by=alice,  # type: ignore[arg-type]
                expected_version=own.version,
                values={"district": world.imazu},
                tags=list(own.tags.all()),
            )
        else:
            Sheet.objects.get(pk=sheets[i - 1].pk).withdraw(
                by=alice,  # type: ignore[arg-type]
                reason=f"本人の意向（{i}）",
                now=NOW,
            )
        return "ok"

    results = run_at_once(attempt)
    assert results == ["ok"] * THREADS, results
    assert set(Sheet.objects.filter(case=case).values_list("district_id", flat=True)) == {
        world.imazu.pk
    }
    kept = {m: sorted(m._default_manager.values_list(*summary.KEYS[m], "n")) for m in summary.KEYS}
    summary.rebuild()
    assert {
        m: sorted(m._default_manager.values_list(*summary.KEYS[m], "n")) for m in summary.KEYS
    } == kept
