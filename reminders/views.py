"""The notification centre: what happened, one entry per subject (a sheet …), newest first;
marking one entry or all read; how I hear each topic (preferences). And the pages of my exports
(progress, then the file).

Notifications and exports are fetched through `request.user` only, so another person's id is
a 404.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from tsumugi.lib.partials import background
from tsumugi.lib.worker_file import download

from . import exports
from .centre import NO_SUBJECT, page_of_groups, unread_groups
from .forms import PreferencesForm
from .models import Export, Notification, NotificationQuerySet


def mine_of(request: HttpRequest) -> NotificationQuerySet:
    """The choke point: only the signed-in person's own notifications (views need a login)."""
    return Notification.objects.filter(user_id=request.user.pk or 0)


# htmx stops polling on this status: a signed-out page has nothing to refresh (its idle warning
# already says it is signed out).
STOP_POLLING = 286


@background
@require_GET
def badge(request: HttpRequest) -> HttpResponse:
    """The menu's unread badge, refreshed by the page every minute (templates/base.html):
    session, user and one COUNT, rendered without the page's context (no menu, no scope)."""
    if not request.user.is_authenticated:
        return HttpResponse(status=STOP_POLLING)
    html = render_to_string("reminders/_badge.html", {"unread": unread_groups(request.user.pk)})
    return HttpResponse(html)


@login_required
def notification_list(request: HttpRequest) -> HttpResponse:
    page, groups = page_of_groups(mine_of(request), request.user, request.GET.get("page"))
    return render(request, "reminders/notifications.html", {"page": page, "groups": groups})


def follow(request: HttpRequest, target: str) -> HttpResponse:
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(target)
    return redirect("notifications:list")


@login_required
@require_POST
def mark_group_read(request: HttpRequest, kind: str, pk: int) -> HttpResponse:
    """Mark one entry of the centre read; with `open`, go on to what it is about."""
    group = mine_of(request).in_group("" if kind == NO_SUBJECT else kind, pk)
    latest = group.order_by("-created_at", "-id").first()
    if latest is None:
        raise Http404("通知が見つかりません。")
    group.unread().update(read_at=timezone.now())
    if request.POST.get("open"):
        return follow(request, latest.url)
    return redirect("notifications:list")


@login_required
@require_POST
def mark_read(request: HttpRequest, pk: int) -> HttpResponse:
    notification = get_object_or_404(mine_of(request), pk=pk)
    Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(
        read_at=timezone.now()
    )
    if request.POST.get("open"):
        return follow(request, notification.url)
    return redirect("notifications:list")


@login_required
@require_POST
def mark_all_read(request: HttpRequest) -> HttpResponse:
    mine = mine_of(request)
    groups = unread_groups(request.user.pk or 0)
    mine.unread().update(read_at=timezone.now())
    messages.success(request, f"{groups}件の通知を既読にしました。")
    return redirect("notifications:list")


@login_required
def preferences(request: HttpRequest) -> HttpResponse:
    """Per topic: mail at once, one digest a day at opening time, or in-app only."""
    form = PreferencesForm(
        request.POST if request.method == "POST" else None, user_id=request.user.pk or 0
    )
    if request.method == "POST":
        if form.is_valid():
            with transaction.atomic():
                form.save()
            messages.success(request, "通知の受け取り方を保存しました。")
            return redirect("notifications:preferences")
        messages.error(request, "入力内容を確認してください。まだ何も変わっていません。")
    status = 400 if form.is_bound else 200
    context = {"form": form, "opens": settings.BUSINESS_DAY_OPENS}
    return render(request, "reminders/preferences.html", context, status=status)


def my_exports(request: HttpRequest) -> QuerySet[Export]:
    """The choke point: only what the signed-in person asked for (views need a login)."""
    return Export.objects.filter(user_id=request.user.pk or 0)


@login_required
def export_page(request: HttpRequest, pk: int) -> HttpResponse:
    """Progress until the file is there (the page refreshes itself), then the download link."""
    export = get_object_or_404(my_exports(request), pk=pk)
    exports.hand_over_if_stalled(export)
    kind = exports.kind_of(export.kind)
    context = {
        "export": export,
        "kind": kind,
        "back_url": kind.back_url(export.params),
        "waiting": export.status in exports.OWED,
    }
    response = render(request, "reminders/export.html", context)
    response["Cache-Control"] = "no-store"
    return response


@login_required
def export_file(request: HttpRequest, pk: int) -> HttpResponseBase:
    export = get_object_or_404(my_exports(request).filter(status=Export.Status.DONE), pk=pk)
    return download(export, export.filename, export.content_type)
