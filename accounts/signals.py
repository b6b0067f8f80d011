"""Sign-in events from Django's and axes' signals; the first-sign-in password flag."""

from __future__ import annotations

from typing import Any

from axes.signals import user_locked_out
from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db.models.signals import pre_save
from django.dispatch import receiver
from django.http import HttpRequest

from tsumugi.lib.reauth import mark_authenticated

from .events import Kind, record
from .models import Account
from .oidc import is_sso_attempt

User = get_user_model()
MUST_CHANGE_KEY = "tsumugi_must_change_password"
SSO_BACKEND = "accounts.oidc.ExistingUsersOIDCBackend"


@receiver(user_logged_in)
def on_login(sender: Any, request: HttpRequest, user: Any, **kwargs: Any) -> None:
    sso = getattr(user, "backend", "") == SSO_BACKEND
    record(request, Kind.SIGNED_IN_SSO if sso else Kind.SIGNED_IN, user)
    mark_authenticated(request)
    # Kept in the session so that the middleware costs no query per request. (Someone who
    # signed in through the city's provider used no tsumugi password: nothing to change.)
    if not sso and Account.objects.filter(user=user, must_change_password=True).exists():
        request.session[MUST_CHANGE_KEY] = True


@receiver(user_logged_out)
def on_logout(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    if user is not None:
        record(request, Kind.SIGNED_OUT, user)


@receiver(user_login_failed)
def on_login_failed(
    sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any
) -> None:
    if is_sso_attempt(credentials):
        return  # recorded with what the provider said by accounts.oidc.CallbackView
    username = str(credentials.get("username", ""))
    user = User.objects.filter(username=username[:150]).first()
    record(request, Kind.FAILED, user, username=username)


@receiver(user_locked_out)
def on_locked_out(sender: Any, request: HttpRequest, username: str, **kwargs: Any) -> None:
    user = User.objects.filter(username=str(username)[:150]).first()
    record(request, Kind.LOCKED_OUT, user, username=str(username or ""))


@receiver(pre_save, sender=User)
def on_deactivate(sender: Any, instance: Any, update_fields: Any = None, **kwargs: Any) -> None:
    # A deactivated user's sessions end at once without deleting them: ModelBackend.get_user
    # refuses an inactive user on their next request (tests/accounts/test_deactivate.py).
    if instance.pk is None or instance.is_active:
        return
    if update_fields is not None and "is_active" not in update_fields:
        return
    if User.objects.filter(pk=instance.pk, is_active=True).exists():
        record(None, Kind.DEACTIVATED, instance)
