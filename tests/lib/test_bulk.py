"""tsumugi.lib.bulk.insert: many rows in one statement come out as `create()` would make them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext

from reminders.models import Mail, Notification, Reminder
from tenancy import scope
from tests.conftest import World
from tsumugi.lib import bulk

NOW = datetime(2026, 11, 25, 1, 2, 3, 456789, tzinfo=UTC)


def test_rows_come_back_exactly_with_every_column_left_out_at_its_default(world: World) -> None:
    here = scope.here()
    titles = ["督促 1", "シート「R8-0001」の件 — 'quote' \"double\" \\ 改行\nあり", "😀" * 50]
    with CaptureQueriesContext(connection) as ctx:
        ids = bulk.insert(
            Notification,
            ["municipality_id", "user_id", "title", "url", "created_at", "group_id"],
            [
                (here, world.bob.pk, title, f"/sheets/{i}/", NOW + timedelta(days=i), None)
                for i, title in enumerate(titles)
            ],
            returning=["title", "id"],
        )
    inserts = [q for q in ctx.captured_queries if q["sql"].startswith("INSERT")]
    assert len(inserts) == 1
    by_title = dict(ids)
    assert set(by_title) == set(titles)
    for i, title in enumerate(titles):
        row = Notification.objects.get(pk=by_title[title])
        assert row.title == title
        assert row.url == f"/sheets/{i}/"
        assert row.created_at == NOW + timedelta(days=i)  # to the microsecond, as UTC
        assert row.user_id == world.bob.pk and row.municipality_id == here
        # left out: their fields' defaults, as create() would have written them
        assert (row.topic, row.group_kind, row.key) == ("", "", "")
        assert row.read_at is None and row.digest_at is None and row.mail_id is None
        assert row.group_id is None


def test_nothing_to_insert_is_no_statement(world: World) -> None:
    with CaptureQueriesContext(connection) as ctx:
        assert bulk.insert(Mail, ["user_id"], [], returning=["id"]) == []
    assert ctx.captured_queries == []


def test_a_recorded_step_is_left_out_where_the_database_can_skip_conflicts(world: World) -> None:
    here = scope.here()
    columns = ["municipality_id", "kind", "subject_id", "deadline", "step", "created_at"]
    first = bulk.insert(
        Reminder, columns, [(here, "sheet", 1, NOW, 1, NOW)], returning=["subject_id", "id"]
    )
    assert [s for s, _ in first] == [1]
    rows = [(here, "sheet", 1, NOW, 1, NOW), (here, "sheet", 2, NOW, 1, NOW)]
    if bulk.skips_conflicts():
        again = bulk.insert(
            Reminder, columns, rows, returning=["subject_id", "id"], on_conflict_do_nothing=True
        )
        assert [s for s, _ in again] == [2]
    else:
        # Elsewhere the unique constraint still refuses the second record of the step.
        with pytest.raises(IntegrityError), transaction.atomic():
            bulk.insert(Reminder, columns, rows, on_conflict_do_nothing=True)
    assert Reminder.objects.filter(subject_id=1).count() == 1


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="the JSON rows are PostgreSQL's")
def test_a_value_the_rows_cannot_carry_is_refused_before_anything_is_sent(world: World) -> None:
    with pytest.raises(TypeError, match="cannot send"):
        bulk.insert(Mail, ["municipality_id", "user_id"], [(scope.here(), object())])
    assert not Mail.objects.exists()
