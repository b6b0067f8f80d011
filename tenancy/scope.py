"""Which municipality the running code works for.

A request works for the signed-in user's municipality (`MunicipalityMiddleware`); a task or a
command that works for one says so with `using(id)`. Code outside both (the sweep, migrations, a
management command over every municipality) works for none in particular: on PostgreSQL it sees
every municipality's rows, and it must name the municipality of each row it writes (its parent
row names it, see `TenantKey`)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
    from django.http import HttpRequest

SESSION_KEY = "tsumugi_municipality"

# What a request of nobody in particular works for (anonymous, the operator, a user with no
# membership): no municipality's rows at all. Ids start at 1, so nothing has this key.
NOWHERE = 0

_current: ContextVar[int | None] = ContextVar("tsumugi_municipality", default=None)
# What the code working for a municipality has read of it once (its office hours and deadline
# defaults): kept for as long as it works for it (a request, one municipality's sweep), so a
# page reads the municipality's row at most once and never a stale one.
_memo: ContextVar[dict[str, Any] | None] = ContextVar("tsumugi_municipality_memo", default=None)

# Who belongs where is the roster's business (areas registers it): a user belongs to the
# municipality their first membership was in (tenancy.models.Belonging).
Resolver = Callable[["AbstractBaseUser"], "int | None"]
_resolver: list[Resolver] = []


def use_resolver(resolver: Resolver) -> None:
    _resolver[:] = [resolver]


def current_id() -> int | None:
    """The municipality the code works for: an id, NOWHERE (a request of nobody's), or None
    (no scope: the worker's and commands' code between `using` blocks)."""
    return _current.get()


@contextmanager
def using(municipality_id: int | None) -> Iterator[None]:
    token = _current.set(municipality_id)
    memo = _memo.set({})
    try:
        yield
    finally:
        _memo.reset(memo)
        _current.reset(token)


def memo() -> dict[str, Any] | None:
    return _memo.get()


def here() -> int:
    """The municipality the code works for, or the deployment's only one (the embedded
    default, a test); anything else is refused rather than guessed."""
    from .fields import MunicipalityUnknown
    from .models import Municipality

    current = current_id()
    if current is not None and current != NOWHERE:
        return current
    if current is None:
        only = list(Municipality.objects.values_list("pk", flat=True)[:2])
        if len(only) == 1:
            return only[0]
    raise MunicipalityUnknown("no municipality to work for")


def municipality_of(user: AbstractBaseUser | AnonymousUser) -> int | None:
    """The user's municipality, or None (anonymous, the operator, a user with no membership)."""
    if not user.is_authenticated or not _resolver:
        return None
    return _resolver[0](user)


def for_request(request: HttpRequest) -> int | None:
    """The signed-in user's municipality, looked up once and kept in the session."""
    if not request.user.is_authenticated:
        return None
    cached = request.session.get(SESSION_KEY)
    if isinstance(cached, int):
        return cached
    found = municipality_of(request.user)
    if found is not None:
        request.session[SESSION_KEY] = found
    return found


def remember_at_sign_in(
    sender: Any, request: HttpRequest, user: AbstractBaseUser, **kwargs: Any
) -> None:
    if request is None or not hasattr(request, "session"):
        return
    request.session.pop(SESSION_KEY, None)
    found = municipality_of(user)
    if found is not None:
        request.session[SESSION_KEY] = found
