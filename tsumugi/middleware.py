"""Session idle timeout, no-store caching for every signed-in page, and input refused before
any view (oversized bodies, NUL characters)."""

import time
from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import Resolver404, resolve

from tsumugi.lib.partials import is_background

LAST_SEEN_KEY = "tsumugi_last_seen"


def last_seen_step() -> int:
    """How stale the stored last-request time may get before a request writes it again: a
    minute (a tenth of a short timeout). Writing it on every request cost three queries on
    every page (SAVEPOINT, UPDATE django_session, RELEASE) for a clock nobody needs to the
    second; the session therefore ends up to this much earlier than SESSION_IDLE_TIMEOUT_SECONDS
    after the last request, and the page's warning counts with the same step taken off."""
    return min(60, settings.SESSION_IDLE_TIMEOUT_SECONDS // 10)


def idle_seconds_left_at_most() -> int:
    """What a page may promise: the idle time after its own request, with the step taken off."""
    return settings.SESSION_IDLE_TIMEOUT_SECONDS - last_seen_step()


class IdleTimeoutMiddleware:
    """Log a user out after SESSION_IDLE_TIMEOUT_SECONDS without a request.

    Django's SESSION_COOKIE_AGE is an absolute lifetime; an unattended counter PC needs an idle
    one, so the last request time is kept in the session (refreshed once per `last_seen_step()`).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            now = time.time()
            last_seen = request.session.get(LAST_SEEN_KEY)
            if last_seen is not None and now - last_seen > settings.SESSION_IDLE_TIMEOUT_SECONDS:
                logout(request)
                if asked_by_the_page(request):
                    return self.get_response(request)  # it answers the signed-out poll itself
                messages.info(request, "一定時間操作がなかったため、ログアウトしました。")
                return redirect_to_login(request.get_full_path())
            # A poll the page makes by itself is not the person at the PC: were it stamped, an
            # open page would keep its session alive for ever.
            due = last_seen is None or now - last_seen >= last_seen_step()
            if due and not asked_by_the_page(request):
                request.session[LAST_SEEN_KEY] = now
        return self.get_response(request)


def asked_by_the_page(request: HttpRequest) -> bool:
    """The request goes to a view marked tsumugi.lib.partials.background (resolved only when
    the stamp is due or the session has ended: once a minute at most)."""
    try:
        match = resolve(request.path_info, getattr(request, "urlconf", None))
    except Resolver404:
        return False
    return is_background(match.func)


class NoStoreMiddleware:
    """Pages of signed-in users may show personal data: never let a shared PC cache them."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if request.user.is_authenticated and not request.path.startswith(settings.STATIC_URL):
            response["Cache-Control"] = "no-store"
            response["Pragma"] = "no-cache"
        return response


class RefuseBadInputMiddleware:
    """Two kinds of input no view should ever see, refused with a Japanese page before any runs.

    A body over DATA_UPLOAD_MAX_MEMORY_SIZE: the CSRF check parses the body before any view, so
    without this the user got Django's bare 400 page (a view-level check only worked in tests,
    whose client skips CSRF). Parsing here first answers 413 whichever view was asked.

    A NUL character anywhere in the path, the query string or a form field: PostgreSQL's text
    cannot hold one, so a search or filter that passes it to a query fails with a 500. Forms'
    CharField refuses NUL already; the filters read straight from request.GET do not.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            fields = [*request.GET.lists(), *request.POST.lists()]
        except RequestDataTooBig:
            context = {"limit": settings.TEXT_FIELD_MAX_CHARS}
            return render(request, "413.html", context, status=413)
        if "\x00" in request.path or any(
            "\x00" in name or any("\x00" in value for value in values) for name, values in fields
        ):
            return render(request, "400_nul.html", status=400)
        return self.get_response(request)
