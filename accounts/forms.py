"""Password reset through the worker, without telling who has an account."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.forms import PasswordResetForm
from django.utils import timezone

from .events import Kind
from .mail import queue_mail
from .models import SignInEvent


class QueuedPasswordResetForm(PasswordResetForm):
    def send_mail(
        self,
        subject_template_name: str,
        email_template_name: str,
        context: dict[str, Any],
        from_email: str | None,
        to_email: str,
        html_email_template_name: str | None = None,
    ) -> None:
        queue_mail("password_reset", context | {"site_url": settings.SITE_URL}, to_email)


def reset_requests_exceeded(ip: str | None, email: str) -> bool:
    """Too many reset requests from this address, or for this e-mail address, in the last hour.
    Counted from the sign-in record, so every web process sees the same numbers."""
    since = timezone.now() - timedelta(hours=1)
    recent = SignInEvent.objects.filter(kind=Kind.PASSWORD_RESET_REQUESTED, at__gte=since)
    if ip is not None and recent.filter(ip=ip).count() >= settings.TSUMUGI_RESET_PER_ADDRESS:
        return True
    return recent.filter(username=email[:150]).count() >= settings.TSUMUGI_RESET_PER_EMAIL
