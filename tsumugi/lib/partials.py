"""Partial page updates: the same view answers htmx with one region of its page (a
{% partialdef %} of the page's template) and everything else with the whole page."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.cache import patch_vary_headers
from django_htmx.middleware import HtmxDetails

BACKGROUND_ATTR = "tsumugi_background"


def background[View: Callable[..., Any]](view: View) -> View:
    """A view the page asks by itself (a badge refreshed every minute), not the person: its
    requests are not activity, so they neither keep an idle session alive
    (tsumugi.middleware.IdleTimeoutMiddleware) nor are sent to sign in when it has ended — the
    view answers a signed-out request itself."""
    setattr(view, BACKGROUND_ATTR, True)
    return view


def is_background(view: Callable[..., Any]) -> bool:
    return bool(getattr(view, BACKGROUND_ATTR, False))


def wants_partial(request: HttpRequest) -> bool:
    """htmx asking for a region. Not when it restores history (it wants the whole page then)."""
    htmx: HtmxDetails | None = getattr(request, "htmx", None)
    return htmx is not None and bool(htmx) and not htmx.history_restore_request


def page_or_partial(
    request: HttpRequest, template: str, partial: str, context: dict[str, Any], status: int = 200
) -> HttpResponse:
    name = f"{template}#{partial}" if wants_partial(request) else template
    response = render(request, name, context, status=status)
    # One address, two answers: no cache may hand the region to a full page load or back.
    patch_vary_headers(response, ["HX-Request"])
    return response
