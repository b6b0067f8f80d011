"""Small HTTP helpers shared by the case and sheet views."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import TYPE_CHECKING, Any, cast

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404

from areas.models import Agency
from areas.scope import scope_of

from .models import Case

if TYPE_CHECKING:
    from django.contrib.auth.models import User

View = Callable[..., HttpResponse]

TOO_BIG_MESSAGE = (
    "送信された内容が大きすぎるため、受け付けませんでした（何も保存していません）。"
    "文章は1項目{limit:,}文字までです。長い記録は要点にまとめてください。"
)


def refuse_oversized_post(view: View) -> View:
    """A body over DATA_UPLOAD_MAX_MEMORY_SIZE makes request.POST raise; instead of Django's
    bare 400 page, show the same page again (as a GET) with a message saying why."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.method == "POST":
            try:
                request.POST  # noqa: B018 — parsing is what raises
            except RequestDataTooBig:
                messages.error(request, TOO_BIG_MESSAGE.format(limit=settings.TEXT_FIELD_MAX_CHARS))
                request.method = "GET"
                request._post = QueryDict()  # type: ignore[attr-defined]
                response = view(request, *args, **kwargs)
                if response.status_code == 200:
                    response.status_code = 413
                return response
        return view(request, *args, **kwargs)

    return wrapped


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
