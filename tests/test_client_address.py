"""The client address behind the reverse proxy (tsumugi/lib/client.py): the login lockout and
the access log read X-Forwarded-For only from the proxies named in TSUMUGI_TRUSTED_PROXIES."""

from __future__ import annotations

import pytest
from django.test import Client, RequestFactory
from django.urls import reverse
from pytest_django.fixtures import Settings as DjangoSettings

from cases.models import Access
from tests.conftest import PASSWORD, World, make_case
from tsumugi.lib.client import client_address

PROXY = "10.0.0.5"
ATTACKER = "203.0.113.66"
COLLEAGUE = "198.51.100.7"


@pytest.fixture
def behind_proxy(settings: DjangoSettings) -> None:
    settings.TSUMUGI_TRUSTED_PROXIES = [PROXY, "192.168.10.0/24"]


def address(remote: str, forwarded: str | None = None) -> str | None:
    headers = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        headers["HTTP_X_FORWARDED_FOR"] = forwarded
    return client_address(RequestFactory().get("/", **headers))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("remote", "forwarded", "expected"),
    [
        (PROXY, ATTACKER, ATTACKER),  # the proxy speaks for its client
        (PROXY, f"1.2.3.4, {ATTACKER}", ATTACKER),  # the left part was written by the client
        ("192.168.10.20", f"{ATTACKER}, {PROXY}", ATTACKER),  # two of our proxies in a row
        (PROXY, "not-an-address", PROXY),  # garbled: keep what we know
        (PROXY, "", PROXY),
        (PROXY, None, PROXY),
        (ATTACKER, "1.2.3.4", ATTACKER),  # a header from anyone else is ignored
        ("192.168.11.1", "1.2.3.4", "192.168.11.1"),  # outside the trusted network
        (PROXY, "2001:db8::1", "2001:db8::1"),
    ],
)
def test_the_forwarded_address_is_read_only_from_trusted_proxies(
    behind_proxy: None, remote: str, forwarded: str | None, expected: str
) -> None:
    assert address(remote, forwarded) == expected


def test_with_no_trusted_proxy_the_header_is_never_read(settings: DjangoSettings) -> None:
    settings.TSUMUGI_TRUSTED_PROXIES = []
    assert address(PROXY, ATTACKER) == PROXY


def login_via(client: Client, remote: str, forwarded: str | None, password: str) -> int:
    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    response = client.post("/login/", {"username": "bob", "password": password}, **extra)  # type: ignore[arg-type]
    return response.status_code


def test_attempts_through_the_proxy_lock_only_the_attackers_address(
    behind_proxy: None, world: World
) -> None:
    attacker, colleague = Client(), Client()
    for attempt in range(4):
        assert login_via(attacker, PROXY, ATTACKER, f"guess-{attempt}") == 200
    assert login_via(attacker, PROXY, ATTACKER, "guess-5") == 429
    assert login_via(attacker, PROXY, ATTACKER, PASSWORD) == 429
    # bob himself, at another PC behind the same proxy, is not locked out by the attacker.
    assert login_via(colleague, PROXY, COLLEAGUE, PASSWORD) == 302


def test_a_forged_header_from_an_untrusted_address_does_not_escape_the_lock(
    behind_proxy: None, world: World
) -> None:
    attacker = Client()
    # A fresh forged address with every attempt: the lock still follows REMOTE_ADDR.
    for attempt in range(4):
        assert login_via(attacker, ATTACKER, f"192.0.2.{attempt}", f"guess-{attempt}") == 200
    assert login_via(attacker, ATTACKER, "192.0.2.99", "guess-5") == 429
    assert login_via(attacker, ATTACKER, "192.0.2.100", PASSWORD) == 429


def test_the_access_log_records_the_forwarded_address(
    behind_proxy: None, client: Client, world: World
) -> None:
    case = make_case(world)
    client.force_login(world.alice)
    url = reverse("cases:detail", args=[case.pk])
    assert client.get(url, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=COLLEAGUE).status_code == 200
    assert client.get(url, REMOTE_ADDR=ATTACKER, HTTP_X_FORWARDED_FOR=COLLEAGUE).status_code == 200
    assert list(Access.objects.order_by("pk").values_list("ip", flat=True)) == [
        COLLEAGUE,
        ATTACKER,
    ]
