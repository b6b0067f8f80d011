"""The one writer of the sign-in record."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser, User
from django.http import HttpRequest

from tsumugi.lib.client import client_address

from .models import SignInEvent

Kind = SignInEvent.Kind


def record(
    request: HttpRequest | None,
    kind: str,
    user: User | AbstractBaseUser | AnonymousUser | None = None,
    username: str = "",
    by: AbstractBaseUser | AnonymousUser | None = None,
) -> SignInEvent:
    real_user = user if isinstance(user, User) else None
    real_by = by if isinstance(by, User) else None
    if not username and real_user is not None:
        username = real_user.get_username()
    return SignInEvent.objects.create(
        kind=kind,
        user=real_user,
        username=str(username)[:150],
        by=real_by,
        ip=client_address(request) if request is not None else None,
    )
