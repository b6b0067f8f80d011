"""Telling attendees that an agenda went out: an in-app notice and a mail each, through the
outbox (reminders/outbox.py) — written in the distribution's transaction, sent by the worker.
With the mail server down the coordinator's page answers normally and the mails go out later.

Neither carries personal data: the body's name, the date, the place and a link. What the
meeting is about is read after signing in, where access and masking apply.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from django.urls import reverse

from reminders import outbox
from reminders.models import Mail
from reminders.topics import Topic, register_topic

if TYPE_CHECKING:
    from django.contrib.auth.models import User

    from .models import Meeting


AGENDA = register_topic(Topic("agenda", "会議の議題が配布されたとき", "出席を求められた会議"))


def agenda_distributed(
    meeting: Meeting, users: Sequence[User], *, now: datetime, again: bool
) -> None:
    verb = "変更・再配布されました" if again else "届きました"
    outbox.notify(
        [u.pk for u in users],
        title=f"{meeting.body.name}（{meeting.date_label}）の議題が{verb}",
        url=reverse("meetings:detail", args=[meeting.pk]),
        template=Mail.Template.AGENDA,
        topic=AGENDA.code,
        group=("meeting", meeting.pk),
        municipality_id=meeting.municipality_id,
        context={
            "body": meeting.body.name,
            "date_label": meeting.date_label,
            "place": meeting.place,
            "again": again,
        },
        now=now,
    )
