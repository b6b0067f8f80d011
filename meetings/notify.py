"""Telling attendees that an agenda went out: an in-app notice and an e-mail each.

Neither carries personal data: the body's name, the date and a link. What the meeting is about
is read after signing in, where access and masking apply.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse

from sheets.models import Notification

if TYPE_CHECKING:
    from django.contrib.auth.models import User

    from .models import Meeting


def agenda_distributed(
    meeting: Meeting, users: Sequence[User], *, now: datetime, again: bool
) -> None:
    path = reverse("meetings:detail", args=[meeting.pk])
    verb = "変更・再配布されました" if again else "届きました"
    title = f"{meeting.body.name}（{meeting.date_label}）の議題が{verb}"
    Notification.objects.bulk_create(
        Notification(user=user, title=title, url=path, created_at=now) for user in users
    )
    context = {"meeting": meeting, "url": f"{settings.SITE_URL}{path}", "again": again}
    recipients = [u.email for u in users if getattr(u, "email", "")]
    transaction.on_commit(lambda: send_agenda_mail(context, recipients))


def send_agenda_mail(context: dict[str, object], recipients: list[str]) -> None:
    subject = render_to_string("meetings/email/distributed_subject.txt", context).strip()
    text = render_to_string("meetings/email/distributed.txt", context)
    html = render_to_string("meetings/email/distributed.html", context)
    for address in recipients:
        message = EmailMultiAlternatives(subject, text, to=[address])
        message.attach_alternative(html, "text/html")
        message.send()
