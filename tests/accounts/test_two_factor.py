"""Second factor (django-otp TOTP + recovery codes): enrolment, sign-in with a code, recovery
codes once, re-authentication before sensitive moves, an administrator's reset on the record."""

from __future__ import annotations

import re
import time
from datetime import timedelta

import pyotp
import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from pytest_django.fixtures import Settings as DjangoSettings

from accounts.models import SignInEvent
from tests.conftest import PASSWORD, World

Kind = SignInEvent.Kind


@pytest.fixture(autouse=True)
def two_factor_on(settings: DjangoSettings) -> None:
    settings.TSUMUGI_REQUIRE_TWO_FACTOR = True


def sign_in(client: Client, username: str = "bob") -> None:
    response = client.post("/login/", {"username": username, "password": PASSWORD})
    assert response.status_code == 302


def enrol(client: Client) -> tuple[pyotp.TOTP, list[str]]:
    page = client.get(reverse("accounts:two_factor_setup")).content.decode()
    assert 'src="data:image/svg+xml;base64,' in page  # the QR code, drawn here
    secret = re.search(r'data-testid="totp-secret">([A-Z2-7]+)<', page)
    assert secret
    totp = pyotp.TOTP(secret.group(1))
    done = client.post(reverse("accounts:two_factor_setup"), {"code": totp.now()})
    assert done.status_code == 200
    codes = re.findall(r"<li><code>([a-z0-9]+)</code></li>", done.content.decode())
    assert len(codes) == 10
    return totp, codes


def next_code(totp: pyotp.TOTP) -> str:
    # A TOTP code is accepted once per time step: the next step's code is within tolerance.
    return totp.at(time.time() + 30)


def test_without_a_factor_a_signed_in_user_sees_only_the_enrolment(
    client: Client, world: World
) -> None:
    sign_in(client)
    response = client.get("/cases/")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:two_factor_verify"))
    assert client.get(response["Location"])["Location"].startswith(
        reverse("accounts:two_factor_setup")
    )
    enrol(client)
    assert client.get("/cases/").status_code == 200
    assert Kind.FACTOR_ADDED in SignInEvent.objects.values_list("kind", flat=True)


def test_next_sign_in_needs_the_code_and_a_wrong_one_is_refused(
    client: Client, world: World
) -> None:
    sign_in(client)
    totp, _ = enrol(client)
    client.post("/logout/")
    sign_in(client)
    assert client.get("/me/").status_code == 302
    # An enrolled user cannot replace the factor before passing it.
    assert client.get(reverse("accounts:two_factor_setup"))["Location"] == reverse(
        "accounts:two_factor_verify"
    )
    wrong = client.post(reverse("accounts:two_factor_verify"), {"code": "000000"})
    assert wrong.status_code == 400
    assert "確認コードが違います" in wrong.content.decode()
    assert client.get("/me/").status_code == 302
    # django-otp throttles after a failure: the next attempt waits a second.
    with time_machine.travel(timezone.now() + timedelta(seconds=5)):
        ok = client.post(reverse("accounts:two_factor_verify"), {"code": next_code(totp)})
        assert ok.status_code == 302
        assert client.get("/me/").status_code == 200


def test_a_recovery_code_works_once(client: Client, world: World) -> None:
    sign_in(client)
    _, codes = enrol(client)
    client.post("/logout/")
    sign_in(client)
    assert client.post(reverse("accounts:two_factor_verify"), {"code": codes[0]}).status_code == 302
    assert client.get("/me/").status_code == 200
    assert StaticToken.objects.count() == 9
    client.post("/logout/")
    sign_in(client)
    again = client.post(reverse("accounts:two_factor_verify"), {"code": codes[0]})
    assert again.status_code == 400
    assert Kind.RECOVERY_CODE_USED in SignInEvent.objects.values_list("kind", flat=True)


def test_changing_the_factor_asks_for_the_password_again(client: Client, world: World) -> None:
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        sign_in(client)
        totp, _ = enrol(client)
        traveller.shift(timedelta(minutes=10))
        response = client.get(reverse("accounts:two_factor_setup"))
        assert response["Location"].startswith(reverse("accounts:reauth"))
        refused = client.post(
            reverse("accounts:reauth"), {"password": "wrong", "code": next_code(totp)}
        )
        assert refused.status_code == 400
        traveller.shift(timedelta(seconds=31))
        ok = client.post(
            reverse("accounts:reauth"),
            {
                "password": PASSWORD,
                "code": totp.at(time.time() + 30),
                "next": reverse("accounts:two_factor_setup"),
            },
        )
        assert ok["Location"] == reverse("accounts:two_factor_setup")
        assert client.get(reverse("accounts:two_factor_setup")).status_code == 200


def test_exporting_csv_asks_for_the_password_again_after_a_while(
    client: Client, world: World, settings: DjangoSettings
) -> None:
    settings.TSUMUGI_REQUIRE_TWO_FACTOR = False
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        sign_in(client, "admin")
        url = reverse("areas:csv_export", args=["agencies"])
        assert client.get(url)["Location"].startswith("/exports/")  # just signed in: asked
        traveller.shift(timedelta(minutes=6))
        response = client.get(url)
        assert (
            response["Location"] == f"{reverse('accounts:reauth')}?next={url.replace('/', '%2F')}"
        )
        client.post(reverse("accounts:reauth"), {"password": PASSWORD, "next": url})
        assert client.get(url)["Location"].startswith("/exports/")


def test_an_admin_resets_a_lost_factor_and_it_is_recorded(client: Client, world: World) -> None:
    sign_in(client)
    enrol(client)
    admin = Client()
    sign_in(admin, "admin")
    enrol(admin)
    response = admin.post(reverse("accounts:two_factor_reset"), {"username": "bob"})
    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(user=world.bob).exists()
    assert not StaticToken.objects.filter(device__user=world.bob).exists()
    event = SignInEvent.objects.get(kind=Kind.FACTOR_RESET)
    assert (event.user, event.by) == (world.bob, world.admin)
    unknown = admin.post(reverse("accounts:two_factor_reset"), {"username": "nobody"})
    assert unknown.status_code == 400
    assert "見つかりません" in unknown.content.decode()


def test_a_non_admin_cannot_reset_a_factor(client: Client, world: World) -> None:
    sign_in(client)
    enrol(client)
    assert (
        client.post(reverse("accounts:two_factor_reset"), {"username": "alice"}).status_code == 403
    )


def test_with_the_setting_off_nobody_is_asked(
    client: Client, world: World, settings: DjangoSettings
) -> None:
    settings.TSUMUGI_REQUIRE_TWO_FACTOR = False
    sign_in(client)
    assert client.get("/me/").status_code == 200
    assert "二要素認証（確認コード）を省略しています" in Client().get("/login/").content.decode()
