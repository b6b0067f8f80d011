"""Single sign-on with the city's identity provider over OpenID Connect (mozilla-django-oidc).

Off unless TSUMUGI_OIDC_ISSUER is set. The provider proves who someone is; tsumugi alone decides
whether that person has an account here: an existing, active user found by the subject stored on
their account (or by an agreed claim, which then stores the subject). Single sign-on never creates
a user, a membership or a role: access stays what the roster grants.
"""

from __future__ import annotations

import logging
import time
from typing import Any
from urllib.parse import urlencode

import jwt
import requests
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import SuspiciousOperation
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from mozilla_django_oidc.auth import OIDCAuthenticationBackend
from mozilla_django_oidc.views import (
    OIDCAuthenticationCallbackView,
    OIDCAuthenticationRequestView,
)

from .events import Kind, record
from .models import Account
from .twofactor import PROVIDER_MFA_KEY

logger = logging.getLogger(__name__)
User = get_user_model()

# Set on the request by the backend for the callback view (the backend cannot answer itself).
REFUSAL_ATTR = "tsumugi_sso_refusal"
MFA_ATTR = "tsumugi_sso_mfa"
AUTH_TIME_ATTR = "tsumugi_sso_auth_time"
# A signed-in user proved themselves again at the provider (accounts.views.reauth).
PROOF_KEY = "tsumugi_sso_proved_at"
PROOF_MFA_KEY = "tsumugi_sso_proved_mfa"

UNKNOWN = (
    "自治体のアカウントでの本人確認はできましたが、このアカウントはつむぎに登録されていません。"
    "つむぎの管理者に、職員名簿への登録（シングルサインオンの識別子）を依頼してください。"
)
INACTIVE = "このアカウントは利用停止になっています。つむぎの管理者に連絡してください。"
FAILED = (
    "自治体のアカウントでログインできませんでした。もう一度お試しください。"
    "続くときは、ユーザー名とパスワードでログインするか、管理者に連絡してください。"
)


class Refused(Exception):
    def __init__(self, message: str, claimed: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.claimed = claimed  # what the provider said, for the sign-in record


def enabled() -> bool:
    return bool(settings.TSUMUGI_OIDC_ENABLED)


def is_sso_attempt(credentials: dict[str, Any] | None) -> bool:
    """The callback authenticates with a nonce and no user name (see ExistingUsersOIDCBackend)."""
    if not credentials:
        return False
    return "nonce" in credentials and not credentials.get("username")


def axes_ignores_sso(request: HttpRequest, credentials: dict[str, Any] | None = None) -> bool:
    # AXES_WHITELIST_CALLABLE: a refused single sign-on is not a guessed password (the provider
    # has already authenticated the person), so it neither counts towards nor meets a lockout.
    return is_sso_attempt(credentials)


def provider_asserted_mfa(id_token: dict[str, Any]) -> bool:
    amr = id_token.get("amr") or []
    if isinstance(amr, str):
        amr = [amr]
    acr = str(id_token.get("acr") or "")
    return bool({str(a) for a in amr} & set(settings.TSUMUGI_OIDC_MFA_AMR)) or (
        acr in settings.TSUMUGI_OIDC_MFA_ACR
    )


def find_user(subject: str, claims: dict[str, Any]) -> Any:
    """The one existing user this provider subject is, or Refused."""
    bound = Account.objects.filter(oidc_subject=subject).select_related("user").first()
    if bound is not None:
        user = bound.user
    elif settings.TSUMUGI_OIDC_MATCH == "sub":
        raise Refused(UNKNOWN, f"sub={subject}")
    else:
        if settings.TSUMUGI_OIDC_MATCH == "email":
            claim, field = "email", "email__iexact"
            if claims.get("email_verified") is False:
                raise Refused(UNKNOWN, f"sub={subject} email（未確認）")
        else:
            claim, field = settings.TSUMUGI_OIDC_USERNAME_CLAIM, "username"
        value = str(claims.get(claim) or "")
        users = list(User.objects.filter(**{field: value})[:2]) if value else []
        if len(users) != 1:  # none, or two accounts with one address: never guess
            raise Refused(UNKNOWN, f"{claim}={value}")
        user = users[0]
        account, _ = Account.objects.get_or_create(user=user)
        if account.oidc_subject:  # already bound to another subject: the claim was reassigned
            raise Refused(UNKNOWN, f"sub={subject} {claim}={value}")
    if not user.is_active:
        raise Refused(INACTIVE, f"sub={subject}")
    if bound is None:
        account.oidc_subject = subject
        account.save(update_fields=["oidc_subject"])
    return user


class ExistingUsersOIDCBackend(OIDCAuthenticationBackend):
    """mozilla-django-oidc's code flow, with its user lookup replaced by find_user (it would
    otherwise match by e-mail and create users), and the ID token's issuer and audience checked
    (the library leaves both to the application)."""

    def authenticate(self, request: Any, **kwargs: Any) -> Any:
        # Django asks every backend at every sign-in: act only on the callback's call.
        if not enabled() or request is None or not is_sso_attempt(kwargs):
            return None
        try:
            return super().authenticate(request, **kwargs)
        except Refused as refused:
            setattr(request, REFUSAL_ATTR, refused)
        except (requests.RequestException, SuspiciousOperation, jwt.PyJWTError, ValueError) as e:
            # The provider unreachable or answering nonsense: a refusal, never a 500.
            logger.warning("single sign-on failed: %s", e)
        return None

    def verify_token(self, token: str, **kwargs: Any) -> Any:
        payload = super().verify_token(token, **kwargs)
        if "nonce" in kwargs:  # the ID token (a signed userinfo answer comes without one)
            issuer = str(payload.get("iss", "")).rstrip("/")
            audience = payload.get("aud")
            audiences = [audience] if isinstance(audience, str) else list(audience or [])
            if issuer != settings.TSUMUGI_OIDC_ISSUER.rstrip("/"):
                raise SuspiciousOperation(f"ID token from issuer {issuer!r}")
            if settings.OIDC_RP_CLIENT_ID not in audiences:
                raise SuspiciousOperation(f"ID token for audience {audiences!r}")
        return payload

    def get_or_create_user(self, access_token: str, id_token: str, payload: dict[str, Any]) -> Any:
        claims = self.get_userinfo(access_token, id_token, payload)
        subject = str(payload.get("sub") or "")
        # OpenID Connect Core 5.3.2: userinfo about someone else must not be used.
        if not subject or str(claims.get("sub")) != subject:
            raise Refused(FAILED, f"sub={subject}")
        user = find_user(subject, claims)
        setattr(self.request, MFA_ATTR, provider_asserted_mfa(payload))
        setattr(self.request, AUTH_TIME_ATTR, payload.get("auth_time"))
        return user


class StartView(OIDCAuthenticationRequestView):
    def get_extra_params(self, request: HttpRequest) -> dict[str, str]:
        params = dict(super().get_extra_params(request))
        if request.user.is_authenticated:  # re-authentication: the provider must ask again
            params |= {"prompt": "login", "max_age": "0"}
        return params


def reauth_url(request: HttpRequest) -> str:
    """Where a user who signs in through the provider proves themselves again, or ""."""
    user: Any = request.user
    if not enabled() or not Account.objects.filter(user=user, oidc_subject__isnull=False).exists():
        return ""
    return f"{reverse('accounts:sso_start')}?{urlencode({'next': request.get_full_path()})}"


def fresh_proof(request: HttpRequest) -> tuple[bool, bool]:
    """(proved again at the provider within TSUMUGI_REAUTH_SECONDS, with multi-factor trusted)"""
    at = request.session.get(PROOF_KEY)
    fresh = at is not None and time.time() - at <= settings.TSUMUGI_REAUTH_SECONDS
    return fresh, fresh and bool(request.session.get(PROOF_MFA_KEY))


def forget_proof(request: HttpRequest) -> None:
    request.session.pop(PROOF_KEY, None)
    request.session.pop(PROOF_MFA_KEY, None)


def sso_start(request: HttpRequest) -> HttpResponse:
    if not enabled():
        raise Http404
    return StartView.as_view()(request)


class CallbackView(OIDCAuthenticationCallbackView):
    def get(self, request: HttpRequest) -> HttpResponse:
        try:
            return super().get(request)
        except SuspiciousOperation:  # a state not of this session: a stale or replayed link
            return self.login_failure()

    def login_success(self) -> HttpResponse:
        again = self.request.user.is_authenticated and self.request.user == self.user
        response = super().login_success()
        mfa = settings.TSUMUGI_OIDC_TRUST_PROVIDER_MFA and getattr(self.request, MFA_ATTR, False)
        if not again:
            if mfa:
                self.request.session[PROVIDER_MFA_KEY] = True
            return response
        # The same person again (re-authentication): it counts only if the provider really asked
        # just now (prompt=login, max_age=0 may be ignored by a provider; auth_time cannot).
        auth_time = getattr(self.request, AUTH_TIME_ATTR, None)
        now = time.time()
        if (
            isinstance(auth_time, int | float)
            and now - auth_time <= settings.TSUMUGI_REAUTH_SECONDS
        ):
            self.request.session[PROOF_KEY] = now
            self.request.session[PROOF_MFA_KEY] = bool(mfa)
        return response

    def login_failure(self) -> HttpResponse:
        refusal = getattr(self.request, REFUSAL_ATTR, None) or Refused(FAILED)
        record(self.request, Kind.SSO_REFUSED, username=refusal.claimed)
        context = {"form": AuthenticationForm(self.request), "sso_error": refusal.message}
        return render(self.request, "registration/login.html", context, status=403)


def sso_callback(request: HttpRequest) -> HttpResponse:
    if not enabled():
        raise Http404
    return CallbackView.as_view()(request)
