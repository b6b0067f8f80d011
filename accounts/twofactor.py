"""Second factor with django-otp: TOTP (an authenticator app) plus recovery codes (static tokens).

Required for everyone who signs in when settings.TSUMUGI_REQUIRE_TWO_FACTOR is on (production's
default): every role of tsumugi either reads case data or, as 管理者, grants access to it.
"""

from __future__ import annotations

import base64
import io
from typing import Any

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest
from django_otp import login as otp_login
from django_otp import user_has_device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp.qr import write_qrcode_image
from django_otp_webauthn.models import WebAuthnCredential

from tsumugi.lib.reauth import mark_authenticated

from .events import Kind, record

RECOVERY_CODES = 10
# Set when the OIDC provider asserted multi-factor and the setting trusts it (accounts/oidc.py).
PROVIDER_MFA_KEY = "tsumugi_provider_mfa"


def required(request: HttpRequest) -> bool:
    return bool(settings.TSUMUGI_REQUIRE_TWO_FACTOR) and request.user.is_authenticated


def satisfied(request: HttpRequest) -> bool:
    user: Any = request.user
    return bool(user.is_verified()) or bool(request.session.get(PROVIDER_MFA_KEY))


def has_factor(user: Any) -> bool:
    return bool(user_has_device(user, confirmed=True))


def pending_totp(user: Any) -> TOTPDevice:
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    return device or TOTPDevice.objects.create(user=user, name="認証アプリ", confirmed=False)


def qr_data_uri(device: TOTPDevice) -> str:
    out = io.BytesIO()
    write_qrcode_image(device.config_url, out)
    return "data:image/svg+xml;base64," + base64.b64encode(out.getvalue()).decode()


def secret_of(device: TOTPDevice) -> str:
    return base64.b32encode(device.bin_key).decode().rstrip("=")


@transaction.atomic
def confirm_totp(request: HttpRequest, device: TOTPDevice, code: str) -> list[str] | None:
    """Confirm a new authenticator with its first code; replace any earlier factor. Returns the
    new recovery codes (shown once), or None when the code is wrong."""
    if not device.verify_token(code.strip()):
        return None
    user = request.user
    TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
    StaticDevice.objects.filter(user=user).delete()
    device.confirmed = True
    device.save()
    static = StaticDevice.objects.create(user=user, name="回復コード")
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODES)]
    StaticToken.objects.bulk_create([StaticToken(device=static, token=c) for c in codes])
    otp_login(request, device)
    mark_authenticated(request)
    record(request, Kind.FACTOR_ADDED, user)
    return codes


def verify(request: HttpRequest, code: str) -> bool:
    """A code from the authenticator or one recovery code (used up on success)."""
    user: Any = request.user
    code = code.strip().replace(" ", "")
    for model, kind in ((TOTPDevice, None), (StaticDevice, Kind.RECOVERY_CODE_USED)):
        for device in model.objects.filter(user=user, confirmed=True):
            with transaction.atomic():
                # select_for_update: two requests must not both spend one recovery code.
                locked = model.objects.select_for_update().get(pk=device.pk)
                if locked.verify_token(code):
                    otp_login(request, locked)
                    mark_authenticated(request)
                    if kind:
                        record(request, kind, user)
                    return True
    record(request, Kind.FACTOR_FAILED, user)
    return False


@transaction.atomic
def reset(request: HttpRequest, user: Any) -> int:
    """An administrator removes a user's lost factor; the user enrols again at next sign-in."""
    deleted: int = TOTPDevice.objects.filter(user=user).delete()[0]
    deleted += StaticDevice.objects.filter(user=user).delete()[0]
    deleted += WebAuthnCredential.objects.filter(user=user).delete()[0]
    record(request, Kind.FACTOR_RESET, user, by=request.user)
    return deleted
