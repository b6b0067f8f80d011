"""The notification centre: my in-app notices, newest first, and marking them read.

Notifications are fetched through `request.user` only, so another person's id is a 404.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from .models import Notification, NotificationQuerySet

PAGE_SIZE = 30


def mine_of(request: HttpRequest) -> NotificationQuerySet:
    """The choke point: only the signed-in person's own notifications (views need a login)."""
    return Notification.objects.filter(user_id=request.user.pk or 0)


@login_required
def notification_list(request: HttpRequest) -> HttpResponse:
    mine = mine_of(request).order_by("-created_at", "-id")
    page = Paginator(mine, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "reminders/notifications.html", {"page": page})


@login_required
@require_POST
def mark_read(request: HttpRequest, pk: int) -> HttpResponse:
    notification = get_object_or_404(mine_of(request), pk=pk)
    Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(
        read_at=timezone.now()
    )
    target = notification.url
    if request.POST.get("open") and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(target)
    return redirect("notifications:list")


@login_required
@require_POST
def mark_all_read(request: HttpRequest) -> HttpResponse:
    count = mine_of(request).unread().update(read_at=timezone.now())
    messages.success(request, f"{count}件の通知を既読にしました。")
    return redirect("notifications:list")
