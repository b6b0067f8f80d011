"""Mail built from templates: each mail is a subject/text/html trio in templates/emails/.

Reminder mails cross networks that may not be secured, so their context is limited on purpose to
`EmailFacts` (a number, agency names, a deadline) and an absolute link: never a name, a kana, a
birth year or a summary.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string

if TYPE_CHECKING:
    from django.contrib.auth.models import User

    from sheets.models import Reminder

REMINDER_HEADER = "X-Tsumugi-Reminder"


def absolute_url(path: str) -> str:
    return f"{settings.SITE_URL}{path}" if path.startswith("/") else path


def render_trio(name: str, context: dict[str, Any]) -> tuple[str, str, str]:
    # A header cannot hold a line break (and Django refuses one).
    subject = " ".join(render_to_string(f"emails/{name}_subject.txt", context).split())
    text = render_to_string(f"emails/{name}.txt", context)
    html = render_to_string(f"emails/{name}.html", context)
    return subject, text, html


def build_mail(
    name: str, context: dict[str, Any], to: str, headers: dict[str, str] | None = None
) -> EmailMultiAlternatives:
    return build_mails(name, context, [to], headers)[0]


def build_mails(
    name: str, context: dict[str, Any], recipients: list[str], headers: dict[str, str] | None = None
) -> list[EmailMultiAlternatives]:
    """One mail per address (nobody sees who else was told), rendered once."""
    subject, text, html = render_trio(name, context)
    mails = []
    for to in recipients:
        mail = EmailMultiAlternatives(
            subject=subject,
            body=text,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[to],
            headers=headers or {},
        )
        mail.attach_alternative(html, "text/html")
        mails.append(mail)
    return mails


def reminder_context(reminder: Reminder) -> dict[str, Any]:
    from sheets.reminders import STEP_LABELS, format_deadline, kind_named

    kind = kind_named(reminder.subject)
    row = kind.load(reminder.subject_id)
    return {
        "facts": kind.email_facts(row),
        "step": reminder.step,
        "step_label": STEP_LABELS.get(reminder.step, "督促"),
        "deadline": format_deadline(reminder.deadline),
        "url": absolute_url(kind.url(row)),
        "notifications_url": absolute_url("/notifications/"),
    }


def reminder_recipients(reminder: Reminder) -> list[User]:
    """The people notified in-app for this step: the mail goes to the same people."""
    from django.contrib.auth import get_user_model

    return list(
        get_user_model()
        ._default_manager.filter(notifications__reminder=reminder, is_active=True)
        .exclude(email="")
        .order_by("pk")
        .distinct()
    )


def reminder_messages(reminder: Reminder) -> list[EmailMultiAlternatives]:
    recipients = reminder_recipients(reminder)
    if not recipients:
        return []
    context = reminder_context(reminder)
    addresses = [str(getattr(user, "email", "")) for user in recipients]
    return build_mails("reminder", context, addresses, {REMINDER_HEADER: str(reminder.pk)})
