"""Account mails (reset, invitation): rendered in the request, delivered by the worker.

TODO(engine-reminders): move onto the one outbox of the `reminders` app once it lands; until then
the mail is handed to a Celery task after the transaction commits, as reminder mails were.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction

from tsumugi.lib.emails import render_trio

from .tasks import send_account_mail


def queue_mail(name: str, context: dict[str, Any], to: str) -> None:
    subject, text, html = render_trio(name, context)
    transaction.on_commit(lambda: send_account_mail.delay(subject, text, html, to))
