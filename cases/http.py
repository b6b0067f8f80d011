"""Small HTTP helpers shared by the case and sheet views."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, cast

from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404

from areas.models import Agency
from areas.scope import scope_of

from .models import Case

if TYPE_CHECKING:
    from django.contrib.auth.models import User

View = Callable[..., HttpResponse]


def user_of(request: HttpRequest) -> User:
    """The signed-in user (every view here is behind login_required)."""
    return cast("User", request.user)


def posted(request: HttpRequest) -> QueryDict | None:
    return request.POST if request.method == "POST" else None


def my_agencies(request: HttpRequest) -> list[Agency]:
    """The active agencies the signed-in user works for (case roles)."""
    ids = scope_of(request.user).agency_ids
    return list(Agency.objects.active().filter(pk__in=ids).prefetch_related("districts"))


def visible_case(request: HttpRequest, pk: int) -> Case:
    """A case through the choke point: someone else's case is a 404, never a 403."""
    queryset = Case.objects.visible_to(request.user).select_related(
        "agency", "district", "received_by", "closed_by"
    )
    return get_object_or_404(queryset, pk=pk)
