"""Single sign-on against a real OpenID provider (oidc-provider-mock) running in a second process.

Every test walks the whole code flow: tsumugi's start page redirects to the provider's authorize
endpoint; the "browser" (requests) picks the identity there and follows the provider's redirect
back to tsumugi's callback; tsumugi exchanges the code at the provider's token endpoint, checks
the ID token against the provider's JWKS and asks its userinfo endpoint. Nothing is mocked.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlsplit

import pytest
import requests
from django.conf import settings
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse
from pytest_django.fixtures import Settings as DjangoSettings

from accounts.models import Account, SignInEvent
from accounts.oidc import PROOF_KEY, ExistingUsersOIDCBackend
from areas.models import Membership
from tests.conftest import World
from tsumugi.lib.reauth import REAUTH_KEY

Kind = SignInEvent.Kind
CLIENT_ID = "tsumugi-test"
STARTUP_SECONDS = 20


@dataclass
class Provider:
    issuer: str

    def set_user(self, sub: str, **claims: Any) -> None:
        response = requests.put(f"{self.issuer}/users/{sub}", json=claims, timeout=5)
        assert response.status_code == 204, response.text


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def provider() -> Iterator[Provider]:
    port = free_port()
    issuer = f"http://127.0.0.1:{port}"
    process = subprocess.Popen(
        [sys.executable, "-m", "oidc_provider_mock", "--port", str(port), "--require-nonce"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env=os.environ | {"NO_COLOR": "1"},
    )
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        while True:
            try:
                if requests.get(f"{issuer}/.well-known/openid-configuration", timeout=1).ok:
                    break
            except requests.ConnectionError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                _, err = process.communicate(timeout=5)
                pytest.fail(f"the OpenID provider did not start: {err.decode()[-2000:]}")
            time.sleep(0.1)
        yield Provider(issuer)
    finally:
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


@pytest.fixture(autouse=True)
def sso_on(settings: DjangoSettings, provider: Provider) -> None:
    config = requests.get(f"{provider.issuer}/.well-known/openid-configuration", timeout=5).json()
    settings.TSUMUGI_OIDC_ENABLED = True
    settings.TSUMUGI_OIDC_ISSUER = provider.issuer
    settings.OIDC_RP_CLIENT_ID = CLIENT_ID
    settings.OIDC_RP_CLIENT_SECRET = "test-secret"
    settings.OIDC_OP_AUTHORIZATION_ENDPOINT = config["authorization_endpoint"]
    settings.OIDC_OP_TOKEN_ENDPOINT = config["token_endpoint"]
    settings.OIDC_OP_USER_ENDPOINT = config["userinfo_endpoint"]
    settings.OIDC_OP_JWKS_ENDPOINT = config["jwks_uri"]
    settings.TSUMUGI_OIDC_MATCH = "sub"
    settings.TSUMUGI_OIDC_TRUST_PROVIDER_MFA = False
    settings.TSUMUGI_REQUIRE_TWO_FACTOR = False


def bind(user: Any, subject: str) -> None:
    Account.objects.update_or_create(user=user, defaults={"oidc_subject": subject})


def sign_in_at_provider(client: Client, sub: str, next_url: str = "/me/") -> Any:
    """The whole dance; returns tsumugi's answer to the provider's redirect back."""
    start = client.get(reverse("accounts:sso_start"), {"next": next_url})
    assert start.status_code == 302
    authorize = start["Location"]
    assert authorize.startswith(f"{settings.OIDC_OP_AUTHORIZATION_ENDPOINT}?")
    # The person picks their identity on the provider's page (a form posted to the same URL).
    assert "Authorize" in requests.get(authorize, timeout=5).text
    back = requests.post(authorize, data={"sub": sub}, allow_redirects=False, timeout=5)
    assert back.status_code == 302, back.text
    callback = urlsplit(back.headers["Location"])
    assert callback.path == reverse("accounts:sso_callback")
    return client.get(f"{callback.path}?{callback.query}")


def test_the_login_page_offers_the_citys_sign_in_only_when_configured(
    client: Client, db: None, settings: DjangoSettings
) -> None:
    assert "自治体のアカウントでログイン" in client.get("/login/").content.decode()
    settings.TSUMUGI_OIDC_ENABLED = False
    assert "自治体のアカウントでログイン" not in client.get("/login/").content.decode()
    assert client.get(reverse("accounts:sso_start")).status_code == 404
    assert client.get(reverse("accounts:sso_callback")).status_code == 404


def test_a_matched_user_signs_in_and_it_is_on_the_record(
    client: Client, world: World, provider: Provider
) -> None:
    provider.set_user("city-0042", email="someone-else@example.jp")
    bind(world.bob, "city-0042")
    memberships = Membership.objects.count()
    response = sign_in_at_provider(client, "city-0042")
    assert response.status_code == 302
    assert response["Location"] == "/me/"
    assert client.get("/me/").wsgi_request.user == world.bob
    event = SignInEvent.objects.get(kind=Kind.SIGNED_IN_SSO)
    assert event.user == world.bob
    assert Membership.objects.count() == memberships


def test_an_unknown_subject_is_refused_with_a_clear_message_and_nothing_is_created(
    client: Client, world: World, provider: Provider
) -> None:
    users, accounts, memberships = (
        type(world.bob).objects.count(),
        Account.objects.count(),
        Membership.objects.count(),
    )
    # Same e-mail as bob: with matching by subject, an address proves nothing.
    provider.set_user("stranger-7", email=world.bob.email)
    response = sign_in_at_provider(client, "stranger-7")
    assert response.status_code == 403
    page = response.content.decode()
    assert "このアカウントはつむぎに登録されていません" in page
    assert not response.wsgi_request.user.is_authenticated
    assert client.get("/me/").status_code == 302
    assert (type(world.bob).objects.count(), Account.objects.count()) == (users, accounts)
    assert Membership.objects.count() == memberships
    event = SignInEvent.objects.get(kind=Kind.SSO_REFUSED)
    assert (event.user, event.username) == (None, "sub=stranger-7")
    assert not SignInEvent.objects.filter(kind=Kind.FAILED).exists()


def test_matching_by_email_stores_the_subject_and_refuses_a_reassigned_address(
    client: Client, world: World, provider: Provider, settings: DjangoSettings
) -> None:
    settings.TSUMUGI_OIDC_MATCH = "email"
    provider.set_user("city-0100", email=world.alice.email.upper())
    assert sign_in_at_provider(client, "city-0100").status_code == 302
    assert Account.objects.get(user=world.alice).oidc_subject == "city-0100"
    # Later the provider gives alice's address to another person: still alice's account only.
    provider.set_user("city-0999", email=world.alice.email)
    other = Client()
    response = sign_in_at_provider(other, "city-0999")
    assert response.status_code == 403
    assert Account.objects.get(user=world.alice).oidc_subject == "city-0100"


def test_a_deactivated_user_is_refused(client: Client, world: World, provider: Provider) -> None:
    provider.set_user("city-0042")
    bind(world.bob, "city-0042")
    world.bob.is_active = False
    world.bob.save()
    response = sign_in_at_provider(client, "city-0042")
    assert response.status_code == 403
    assert "利用停止" in response.content.decode()


def test_provider_multi_factor_skips_the_local_factor_only_when_the_setting_trusts_it(
    world: World, provider: Provider, settings: DjangoSettings
) -> None:
    settings.TSUMUGI_REQUIRE_TWO_FACTOR = True
    bind(world.bob, "city-0042")
    provider.set_user("city-0042", amr=["pwd", "otp"])

    untrusting = Client()
    assert sign_in_at_provider(untrusting, "city-0042").status_code == 302
    assert untrusting.get("/me/")["Location"].startswith(reverse("accounts:two_factor_verify"))

    settings.TSUMUGI_OIDC_TRUST_PROVIDER_MFA = True
    trusting = Client()
    assert sign_in_at_provider(trusting, "city-0042").status_code == 302
    assert trusting.get("/me/").status_code == 200

    # A password alone at the provider is not multi-factor, whatever the setting.
    provider.set_user("city-0042", amr=["pwd"])
    single = Client()
    assert sign_in_at_provider(single, "city-0042").status_code == 302
    assert single.get("/me/")["Location"].startswith(reverse("accounts:two_factor_verify"))


def test_an_agreed_acr_counts_as_multi_factor(
    client: Client, world: World, provider: Provider, settings: DjangoSettings
) -> None:
    settings.TSUMUGI_REQUIRE_TWO_FACTOR = True
    settings.TSUMUGI_OIDC_TRUST_PROVIDER_MFA = True
    settings.TSUMUGI_OIDC_MFA_ACR = ["urn:example:city:mfa"]
    bind(world.bob, "city-0042")
    provider.set_user("city-0042", acr="urn:example:city:mfa")
    assert sign_in_at_provider(client, "city-0042").status_code == 302
    assert client.get("/me/").status_code == 200


def test_an_id_token_from_another_issuer_is_refused(
    client: Client, world: World, provider: Provider, settings: DjangoSettings
) -> None:
    bind(world.bob, "city-0042")
    provider.set_user("city-0042")
    # The same provider under another name: its tokens say iss=http://127.0.0.1:…
    settings.TSUMUGI_OIDC_ISSUER = provider.issuer.replace("127.0.0.1", "localhost")
    response = sign_in_at_provider(client, "city-0042")
    assert response.status_code == 403
    assert not response.wsgi_request.user.is_authenticated


def test_an_id_token_for_another_client_is_refused(
    client: Client, world: World, provider: Provider, monkeypatch: pytest.MonkeyPatch
) -> None:
    bind(world.bob, "city-0042")
    provider.set_user("city-0042")
    # Another application's code, exchanged as that application: the provider signs an ID token
    # whose audience is not tsumugi.
    exchange = ExistingUsersOIDCBackend.get_token
    monkeypatch.setattr(
        ExistingUsersOIDCBackend,
        "get_token",
        lambda self, payload: exchange(self, payload | {"client_id": "another-app"}),
    )
    start = client.get(reverse("accounts:sso_start"))
    authorize = start["Location"].replace(f"client_id={CLIENT_ID}", "client_id=another-app")
    back = requests.post(authorize, data={"sub": "city-0042"}, allow_redirects=False, timeout=5)
    callback = urlsplit(back.headers["Location"])
    response = client.get(f"{callback.path}?{callback.query}")
    assert response.status_code == 403
    assert not response.wsgi_request.user.is_authenticated


def test_a_replayed_callback_is_refused(client: Client, world: World, provider: Provider) -> None:
    bind(world.bob, "city-0042")
    provider.set_user("city-0042")
    start = client.get(reverse("accounts:sso_start"))
    back = requests.post(
        start["Location"], data={"sub": "city-0042"}, allow_redirects=False, timeout=5
    )
    callback = urlsplit(back.headers["Location"])
    assert client.get(f"{callback.path}?{callback.query}").status_code == 302
    client.post("/logout/")
    replay = client.get(f"{callback.path}?{callback.query}")
    assert replay.status_code == 403
    assert not replay.wsgi_request.user.is_authenticated


def test_a_refused_provider_answer_shows_the_message_not_an_error(
    client: Client, world: World, provider: Provider
) -> None:
    start = client.get(reverse("accounts:sso_start"))
    back = requests.post(
        start["Location"], data={"action": "deny"}, allow_redirects=False, timeout=5
    )
    callback = urlsplit(back.headers["Location"])
    response = client.get(f"{callback.path}?{callback.query}")
    assert response.status_code == 403
    assert "自治体のアカウントでログインできませんでした" in response.content.decode()


def test_refusals_do_not_lock_out_the_address(
    client: Client, world: World, provider: Provider
) -> None:
    provider.set_user("stranger-7")
    for _ in range(7):
        assert sign_in_at_provider(Client(), "stranger-7").status_code == 403
    bind(world.bob, "city-0042")
    provider.set_user("city-0042")
    assert sign_in_at_provider(client, "city-0042").status_code == 302


def test_an_admin_enters_the_subject_on_a_new_user_and_the_password_must_still_change(
    db: None,
) -> None:
    superuser = get_user_model().objects.create_superuser("root", "root@example.jp", "x-pass-2026!")
    admin = Client()
    admin.force_login(superuser)
    response = admin.post(
        reverse("admin:auth_user_add"),
        {
            "username": "dan",
            "usable_password": "true",
            "password1": "temporary-pass-2026",
            "password2": "temporary-pass-2026",
            "account-TOTAL_FORMS": "1",
            "account-INITIAL_FORMS": "0",
            "account-MIN_NUM_FORMS": "0",
            "account-MAX_NUM_FORMS": "1",
            "account-0-oidc_subject": "city-0777",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    account = Account.objects.get(user__username="dan")
    assert (account.oidc_subject, account.must_change_password) == ("city-0777", True)


def test_someone_signed_in_by_the_provider_re_authenticates_there_before_an_export(
    client: Client, world: World, provider: Provider
) -> None:
    bind(world.admin, "city-admin")
    provider.set_user("city-admin")
    assert sign_in_at_provider(client, "city-admin", next_url="/").status_code == 302
    export = reverse("areas:csv_export", args=["agencies"])
    session = client.session
    del session[REAUTH_KEY]  # the last proof is old
    session.save()
    reauth = client.get(export)["Location"]
    assert reauth.startswith(reverse("accounts:reauth"))
    page = client.get(reauth).content.decode()
    assert "自治体のアカウントで本人確認" in page
    # The link goes through the provider again, which is told to ask again.
    start = client.get(f"{reverse('accounts:sso_start')}?{urlencode({'next': reauth})}")
    assert "prompt=login" in start["Location"] and "max_age=0" in start["Location"]
    back = requests.post(
        start["Location"], data={"sub": "city-admin"}, allow_redirects=False, timeout=5
    )
    callback = urlsplit(back.headers["Location"])
    returned = client.get(f"{callback.path}?{callback.query}")
    assert returned["Location"] == reauth
    assert client.get(reauth)["Location"] == export
    assert client.get(export)["Location"].startswith("/exports/")  # asked of the worker


def test_re_authenticating_as_someone_else_at_the_provider_proves_nothing(
    client: Client, world: World, provider: Provider
) -> None:
    bind(world.admin, "city-admin")
    bind(world.bob, "city-0042")
    provider.set_user("city-admin")
    provider.set_user("city-0042")
    assert sign_in_at_provider(client, "city-admin").status_code == 302
    session = client.session
    del session[REAUTH_KEY]
    session.save()
    sign_in_at_provider(client, "city-0042")  # now bob's session, a new sign-in
    assert client.get("/me/").wsgi_request.user == world.bob
    assert PROOF_KEY not in client.session
