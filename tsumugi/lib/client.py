"""The one reader of a request's client address (audit logs, login lockout, sign-in log), and
of the username a sign-in attempt is counted under.

Behind the reverse proxy every request comes from the proxy's address. X-Forwarded-For says who
the proxy was talking to, but any client can send that header itself: it is read only when the
request arrives from an address in settings.TSUMUGI_TRUSTED_PROXIES, and then only the right-most
entry that is not itself a trusted proxy (the entries left of it were written by the client).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.http import HttpRequest

type Network = ipaddress.IPv4Network | ipaddress.IPv6Network
type Address = ipaddress.IPv4Address | ipaddress.IPv6Address


@lru_cache(maxsize=8)
def _networks(proxies: tuple[str, ...]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(p, strict=False) for p in proxies)


def _parse(value: str) -> Address | None:
    try:
        return ipaddress.ip_address(value.strip())
    except ValueError:
        return None


def _trusted(address: Address, networks: tuple[Network, ...]) -> bool:
    return any(address in network for network in networks)


def client_address(request: HttpRequest) -> str | None:
    remote = request.META.get("REMOTE_ADDR") or None
    networks = _networks(tuple(settings.TSUMUGI_TRUSTED_PROXIES))
    remote_address = _parse(remote) if remote else None
    if remote_address is None or not _trusted(remote_address, networks):
        return remote
    hops = [h for h in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if h.strip()]
    for hop in reversed(hops):
        address = _parse(hop)
        if address is None:
            # A garbled entry means we cannot tell who wrote what: keep the proxy's address.
            return remote
        if not _trusted(address, networks):
            return str(address)
    # Every hop is one of our proxies (a health check from inside): the left-most one is it.
    first = _parse(hops[0]) if hops else None
    return str(first) if first else remote


USERNAME_MAX_LENGTH = 150  # django.contrib.auth's User.username


def attempted_username(
    request: HttpRequest, credentials: Mapping[str, Any] | None = None
) -> str | None:
    """What django-axes counts a sign-in attempt under, cut to the longest real username.

    axes stores it in a 255-character column: a longer name typed at sign-in made PostgreSQL
    refuse the INSERT, and the login page answered 500. No user's name is longer than 150.
    """
    field = getattr(settings, "AXES_USERNAME_FORM_FIELD", "username")
    value = credentials.get(field) if credentials else request.POST.get(field)
    return None if value is None else str(value)[:USERNAME_MAX_LENGTH]
