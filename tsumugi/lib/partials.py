"""Partial page updates: the same view answers htmx with one region of its page (a
{% partialdef %} of the page's template) and everything else with the whole page."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.cache import patch_vary_headers
from django_htmx.middleware import HtmxDetails


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
