"""Passkeys (django-otp-webauthn) as a second factor: the whole ceremony with a software
authenticator (an ES256 key made here, attestation "none"), through tsumugi's endpoints."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import struct
from dataclasses import dataclass, field

import cbor2
import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from django.test import Client
from django.urls import reverse
from django_otp_webauthn.models import WebAuthnCredential
from pytest_django.fixtures import Settings as DjangoSettings

from accounts.models import SignInEvent
from tests.accounts.test_two_factor import enrol, next_code
from tests.conftest import PASSWORD, World

Kind = SignInEvent.Kind
ORIGIN = "http://localhost"


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


@dataclass
class Authenticator:
    """What a security key or a phone's platform authenticator does, in a few lines."""

    key: ec.EllipticCurvePrivateKey = field(
        default_factory=lambda: ec.generate_private_key(ec.SECP256R1())
    )
    credential_id: bytes = field(default_factory=lambda: os.urandom(32))
    count: int = 0

    def rp_hash(self) -> bytes:
        return hashlib.sha256(b"localhost").digest()

    def create(self, options: dict) -> dict:
        numbers = self.key.public_key().public_numbers()
        cose = cbor2.dumps(
            {
                1: 2,
                3: -7,
                -1: 1,
                -2: numbers.x.to_bytes(32, "big"),
                -3: numbers.y.to_bytes(32, "big"),
            }
        )
        client_data = json.dumps(
            {"type": "webauthn.create", "challenge": options["challenge"], "origin": ORIGIN}
        ).encode()
        auth_data = (
            self.rp_hash()
            + bytes([0x45])  # user present, user verified, attested credential data
            + struct.pack(">I", 0)
            + b"\0" * 16
            + struct.pack(">H", len(self.credential_id))
            + self.credential_id
            + cose
        )
        attestation = cbor2.dumps({"fmt": "none", "attStmt": {}, "authData": auth_data})
        return {
            "id": b64(self.credential_id),
            "rawId": b64(self.credential_id),
            "type": "public-key",
            "response": {
                "clientDataJSON": b64(client_data),
                "attestationObject": b64(attestation),
                "transports": ["internal"],
            },
            "clientExtensionResults": {},
        }

    def get(self, options: dict) -> dict:
        self.count += 1
        client_data = json.dumps(
            {"type": "webauthn.get", "challenge": options["challenge"], "origin": ORIGIN}
        ).encode()
        auth_data = self.rp_hash() + bytes([0x05]) + struct.pack(">I", self.count)
        signature = self.key.sign(
            auth_data + hashlib.sha256(client_data).digest(), ec.ECDSA(hashes.SHA256())
        )
        return {
            "id": b64(self.credential_id),
            "rawId": b64(self.credential_id),
            "type": "public-key",
            "response": {
                "clientDataJSON": b64(client_data),
                "authenticatorData": b64(auth_data),
                "signature": b64(signature),
                "userHandle": None,
            },
            "clientExtensionResults": {},
        }


@pytest.fixture(autouse=True)
def passkeys_on(settings: DjangoSettings) -> None:
    settings.TSUMUGI_REQUIRE_TWO_FACTOR = True
    settings.OTP_WEBAUTHN_RP_ID = "localhost"
    settings.OTP_WEBAUTHN_ALLOWED_ORIGINS = [ORIGIN]


def browser() -> Client:
    return Client(HTTP_HOST="localhost", HTTP_ORIGIN=ORIGIN)


def api(name: str) -> str:
    return reverse(f"otp_webauthn:credential-{name}")


def post(client: Client, name: str, data: dict | None = None) -> object:
    return client.post(api(name), data=data or {}, content_type="application/json")


def signed_in(username: str = "bob") -> Client:
    client = browser()
    assert client.post("/login/", {"username": username, "password": PASSWORD}).status_code == 302
    return client


def register(client: Client, authenticator: Authenticator) -> object:
    begin = post(client, "registration-begin")
    assert begin.status_code == 200, begin.content  # type: ignore[attr-defined]
    return post(client, "registration-complete", authenticator.create(begin.json()))  # type: ignore[attr-defined]


def test_a_passkey_added_after_the_authenticator_app_passes_the_second_factor(
    world: World,
) -> None:
    client = signed_in()
    totp, _ = enrol(client)
    key = Authenticator()
    assert register(client, key).status_code == 200  # type: ignore[attr-defined]
    assert WebAuthnCredential.objects.filter(user=world.bob, confirmed=True).count() == 1
    assert SignInEvent.objects.filter(kind=Kind.FACTOR_ADDED, user=world.bob).count() == 2

    later = signed_in()
    page = later.get(reverse("accounts:two_factor_verify")).content.decode()
    assert "パスキーで確認する" in page
    assert later.get("/me/").status_code == 302
    begin = post(later, "authentication-begin")
    assert begin.status_code == 200  # type: ignore[attr-defined]
    done = post(later, "authentication-complete", key.get(begin.json()))  # type: ignore[attr-defined]
    assert done.status_code == 200  # type: ignore[attr-defined]
    assert later.get("/me/").status_code == 200
    assert next_code(totp)  # the authenticator app still works beside it


def test_a_passkey_is_never_a_way_in_without_the_password(world: World) -> None:
    client = signed_in()
    enrol(client)
    key = Authenticator()
    register(client, key)
    stranger = browser()
    begin = post(stranger, "authentication-begin")
    assert begin.status_code in {401, 403}  # type: ignore[attr-defined]
    assert stranger.get("/me/").status_code == 302


def test_adding_a_passkey_needs_the_authenticator_app_first(
    world: World, settings: DjangoSettings
) -> None:
    settings.TSUMUGI_REQUIRE_TWO_FACTOR = False  # else the middleware stops this before the view
    client = signed_in()
    begin = post(client, "registration-begin")
    assert begin.status_code == 403  # type: ignore[attr-defined]
    assert not WebAuthnCredential.objects.exists()


def test_adding_a_passkey_asks_for_the_password_again_after_a_while(world: World) -> None:
    client = signed_in()
    enrol(client)
    session = client.session
    session.pop("tsumugi_authenticated_at")
    session.save()
    assert post(client, "registration-begin").status_code == 403  # type: ignore[attr-defined]
    assert client.get(reverse("accounts:passkeys"))["Location"].startswith(
        reverse("accounts:reauth")
    )


def test_an_admins_factor_reset_removes_the_passkeys_too(world: World) -> None:
    client = signed_in()
    enrol(client)
    register(client, Authenticator())
    admin = signed_in("admin")
    enrol(admin)
    assert admin.post(reverse("accounts:two_factor_reset"), {"username": "bob"}).status_code == 302
    assert not WebAuthnCredential.objects.filter(user=world.bob).exists()
