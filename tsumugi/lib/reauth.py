"""Re-authentication before sensitive moves (changing a second factor, exporting CSV).

The session remembers when its user last proved who they are (sign-in, second factor, or the
re-authentication page); a decorated view older than settings.TSUMUGI_REAUTH_SECONDS sends the
user to `accounts:reauth` first and back afterwards.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse

REAUTH_KEY = "tsumugi_authenticated_at"


def mark_authenticated(request: HttpRequest) -> None:
    request.session[REAUTH_KEY] = time.time()


def recently_authenticated(request: HttpRequest) -> bool:
    at = request.session.get(REAUTH_KEY)
    return at is not None and time.time() - at <= settings.TSUMUGI_REAUTH_SECONDS


def reauthentication_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.user.is_authenticated and not recently_authenticated(request):
            query = urlencode({"next": request.get_full_path()})
            return HttpResponseRedirect(f"{reverse('accounts:reauth')}?{query}")
        return view(request, *args, **kwargs)

    return wrapped
