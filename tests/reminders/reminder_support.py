"""Helpers shared by the reminder tests (tests/reminders/, tests/services/)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest
from django.core import mail
from django.db.models import F

from cases.models import Case, Person
from reminders.models import Cursor, Mail, Notification
from sheets.models import KIND, Sheet
from tests.conftest import World, make_sheet

# Personal data the test world puts in cases: none of it may appear in any mail.
PERSONAL = (
    "山田",
    "花子",
    "一郎",
    "やまだ",
    "はなこ",
    "いちろう",
    "1944",
    "1972",
    "安藤",
    "亜紀",
    "坂東",
    "馬場",
    "文雄",
    "小山",
    "千葉",
    "千尋",
    "80代の母",
    "長男",
    "介護保険の申請",
    "月1回の訪問",
)


def personal_data_in(text: str, cases: list[Case] | None = None) -> list[str]:
    words = list(PERSONAL)
    for case in cases or []:
        words.append(case.summary)
        for person in Person.objects.filter(case=case):
            words += [person.name, person.kana, str(person.birth_year or "")]
    return [w for w in words if w and w in text]


def mail_texts() -> Iterator[str]:
    for message in mail.outbox:
        yield str(message.subject)
        yield str(message.body)
        for content, _mime in getattr(message, "alternatives", []):
            yield str(content)


def make_due_sheet(world: World, due: datetime, **kwargs: object) -> Sheet:
    """A sheet waiting for acknowledgement whose deadline is `due`."""
    sheet = make_sheet(world, **kwargs)  # type: ignore[arg-type]
    Sheet.objects.filter(pk=sheet.pk).update(ack_due_at=due, next_due_at=due)
    set_cursor(sheet.pk, due)
    sheet.refresh_from_db()
    settle_move_mails()
    return sheet


def settle_move_mails() -> None:
    """The mails of the set-up's own moves (「新しいシートが届きました」) went out when the sheet
    was sent: the reminder tests count and deliver reminder mails only."""
    Mail.objects.filter(sent_at__isnull=True).exclude(template=Mail.Template.REMINDERS).update(
        sent_at=F("created_at")
    )


def reminder_notices() -> Any:
    """The in-app notices of reminder rungs (the moves' own notices are extra)."""
    return Notification.objects.filter(reminder__isnull=False)


def set_cursor(pk: int, remind_at: datetime | None, step: int = 1, kind: str = KIND) -> None:
    Cursor.objects.filter(kind=kind, subject_id=pk).update(
        deadline=remind_at, remind_at=remind_at, step=step
    )


def cursor(pk: int, kind: str = KIND) -> tuple[datetime | None, int]:
    """(next reminder time, next step) of an item's reminder cursor."""
    row = Cursor.objects.get(kind=kind, subject_id=pk)
    return row.remind_at, row.step


def clone_due_sheets(world: World, count: int, due: datetime, sent: datetime) -> list[int]:
    """`count` sheets waiting for acknowledgement, all due at `due`, in one bulk insert."""
    base = make_sheet(world, now=sent)
    fields = {
        f.attname: getattr(base, f.attname)
        for f in Sheet._meta.concrete_fields
        if f.attname not in {"id", "number"}
    }
    fields.update(ack_due_at=due, next_due_at=due)
    Sheet.objects.filter(pk=base.pk).update(ack_due_at=due, next_due_at=due)
    set_cursor(base.pk, due)
    clones = Sheet.objects.bulk_create(
        Sheet(number=f"{base.number}-{i:05d}", **fields) for i in range(count - 1)
    )
    Cursor.objects.bulk_create(
        Cursor(kind=KIND, subject_id=s.pk, deadline=due, remind_at=due, step=1) for s in clones
    )
    settle_move_mails()
    return [base.pk] + [s.pk for s in clones]


@pytest.fixture
def eager_celery() -> Iterator[None]:
    """Run the mail task in-process (the sweep hands it over in on_commit)."""
    from tsumugi.celery import app

    saved = app.conf.task_always_eager, app.conf.task_eager_propagates
    app.conf.task_always_eager = True
    app.conf.task_eager_propagates = True
    yield
    app.conf.task_always_eager, app.conf.task_eager_propagates = saved
