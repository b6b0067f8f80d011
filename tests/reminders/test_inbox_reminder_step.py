"""The inbox shows the ladder step an overdue sheet has reached, not the engine's next step."""

from datetime import UTC, datetime

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from reminders.engine import send_due_reminders
from tests.conftest import World
from tests.reminders.reminder_support import eager_celery, make_due_sheet  # noqa: F401

DUE = datetime(2026, 11, 20, 8, 15, tzinfo=UTC)  # Fri 17:15 JST
# Step 2 is one business day after due: Tue 11/24 17:15 (Mon 11/23 is 勤労感謝の日).
WEDNESDAY_NOON = datetime(2026, 11, 25, 3, 0, tzinfo=UTC)


@pytest.mark.usefixtures("eager_celery")
def test_the_inbox_names_the_step_reached(client: Client, world: World) -> None:
    sheet = make_due_sheet(world, DUE, now=datetime(2026, 11, 18, 1, 0, tzinfo=UTC))
    client.force_login(world.bob)
    with time_machine.travel(WEDNESDAY_NOON, tick=False):
        page = client.get(reverse("sheets:inbox")).content.decode()
        assert "期限切れ" in page and "督促 段階" not in page  # nothing sent yet
        for _ in range(2):  # each sweep sends the next step that is due: 1, then 2
            send_due_reminders(now=WEDNESDAY_NOON)
        sheet.refresh_from_db()
        assert sheet.reminder_step_reached == 2
        page = client.get(reverse("sheets:inbox")).content.decode()
    assert "督促 段階2" in page and "督促 段階3" not in page
