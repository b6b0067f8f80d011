"""An initial or administrator-set password is changed before anything else is shown."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse

from .signals import MUST_CHANGE_KEY


class PasswordChangeRequiredMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated and request.session.get(MUST_CHANGE_KEY):
            allowed = {
                reverse("accounts:password_change"),
                reverse("accounts:keepalive"),
                reverse("logout"),
            }
            if request.path not in allowed and not request.path.startswith(settings.STATIC_URL):
                return redirect("accounts:password_change")
        return self.get_response(request)


class TwoFactorRequiredMiddleware:
    """Nothing but the second-factor pages until the user has passed one (when required)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        from . import twofactor

        if twofactor.required(request) and not twofactor.satisfied(request):
            allowed = {
                reverse("accounts:two_factor_verify"),
                reverse("accounts:two_factor_setup"),
                reverse("accounts:keepalive"),
                reverse("logout"),
                # a passkey passes the second factor too (accounts/passkeys.py)
                reverse("otp_webauthn:credential-authentication-begin"),
                reverse("otp_webauthn:credential-authentication-complete"),
                reverse("otp_webauthn:js-i18n-catalog"),
            }
            if request.path not in allowed and not request.path.startswith(settings.STATIC_URL):
                query = urlencode({"next": request.get_full_path()})
                return redirect(f"{reverse('accounts:two_factor_verify')}?{query}")
        return self.get_response(request)
