"""Mail built from templates: each mail is a subject/text/html trio in templates/emails/.

Mails cross networks that may not be secured: their context is limited on purpose to numbers,
agency names, dates and absolute links — never a name, a kana, a birth year or a summary.
(Reminder, agenda and notice mails go through the outbox, reminders/outbox.py.)
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string


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
