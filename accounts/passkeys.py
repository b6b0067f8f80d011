"""Passkeys (WebAuthn) as a second factor with django-otp-webauthn, beside the authenticator app.

Only a second factor: the library's passwordless sign-in is off (settings), so a passkey never
replaces the password or escapes the lockout. A passkey is added by someone who already has the
authenticator app and its recovery codes, has passed the second factor and re-authenticated
recently — adding one is changing a factor.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET
from django_otp import login as otp_login
from django_otp_webauthn import exceptions
from django_otp_webauthn.models import WebAuthnCredential
from django_otp_webauthn.views import (
    BeginCredentialAuthenticationView,
    BeginCredentialRegistrationView,
    CompleteCredentialAuthenticationView,
    CompleteCredentialRegistrationView,
)

from tsumugi.lib.reauth import mark_authenticated, reauthentication_required, recently_authenticated

from . import twofactor
from .events import Kind, record


class NeedsAuthenticatorFirst(exceptions.OTPWebAuthnApiError):
    status_code = 403
    default_detail = (
        "パスキーを追加する前に、認証アプリを登録し、確認コードと本人の確認を済ませてください。"
    )
    default_code = "needs_authenticator_first"


def check_can_add(request: HttpRequest) -> None:
    user: Any = request.user
    if not (
        twofactor.has_factor(user)
        and twofactor.satisfied(request)
        and recently_authenticated(request)
    ):
        raise NeedsAuthenticatorFirst()


class BeginRegistration(BeginCredentialRegistrationView):
    def check_can_register(self) -> None:
        super().check_can_register()
        check_can_add(self.request)


class CompleteRegistration(CompleteCredentialRegistrationView):
    def check_can_register(self) -> None:
        super().check_can_register()
        check_can_add(self.request)

    def post(self, *args: Any, **kwargs: Any) -> HttpResponse:
        response = super().post(*args, **kwargs)
        if response.status_code == 200:
            record(self.request, Kind.FACTOR_ADDED, self.request.user)
        return response


class BeginAuthentication(BeginCredentialAuthenticationView):
    def check_can_authenticate(self) -> None:
        super().check_can_authenticate()
        if not self.request.user.is_authenticated:  # a second factor, never a way in
            raise exceptions.NotAuthenticated()


class CompleteAuthentication(CompleteCredentialAuthenticationView):
    def check_can_authenticate(self) -> None:
        super().check_can_authenticate()
        if not self.request.user.is_authenticated:
            raise exceptions.NotAuthenticated()

    def complete_auth(self, device: Any) -> Any:
        if device.user_id != self.request.user.pk:
            raise exceptions.CredentialNotFound()
        otp_login(self.request, device)
        mark_authenticated(self.request)
        return device.user


def has_passkey(user: Any) -> bool:
    return WebAuthnCredential.objects.filter(user=user, confirmed=True).exists()


@login_required
@require_GET
@reauthentication_required
def passkeys(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    context = {
        "credentials": WebAuthnCredential.objects.filter(user=user).order_by("pk"),
        "can_add": twofactor.has_factor(user) and twofactor.satisfied(request),
    }
    return render(request, "accounts/passkeys.html", context)
