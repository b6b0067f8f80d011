"""Password lifecycle (Django's own views, in Japanese), invitations and the sign-in record."""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Q
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from areas.models import users_here
from areas.scope import scope_of
from tsumugi.lib.client import client_address
from tsumugi.lib.emails import absolute_url
from tsumugi.lib.lookups import plain_id
from tsumugi.lib.reauth import mark_authenticated, reauthentication_required, recently_authenticated
from tsumugi.middleware import LAST_SEEN_KEY, idle_seconds_left_at_most

from . import oidc, passkeys, twofactor
from .events import Kind, record
from .forms import QueuedPasswordResetForm, reset_requests_exceeded
from .mail import queue_mail
from .models import Account, SignInEvent
from .signals import MUST_CHANGE_KEY
from .tokens import invitation_link, invitation_token

User = get_user_model()
View = Callable[..., HttpResponse]


def admin_only(view: View) -> View:
    @wraps(view)
    @login_required
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not scope_of(request.user).is_admin:
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapped


def password_chosen(request: HttpRequest, user: Any, kind: str) -> None:
    Account.objects.filter(user=user, must_change_password=True).update(must_change_password=False)
    request.session.pop(MUST_CHANGE_KEY, None)
    record(request, kind, user)


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "registration/password_change_form.html"
    success_url = reverse_lazy("home")

    def form_valid(self, form: Any) -> HttpResponse:
        with transaction.atomic():
            response = super().form_valid(form)
            password_chosen(self.request, form.user, Kind.PASSWORD_CHANGED)
        messages.success(self.request, "パスワードを変更しました。")
        return response


class PasswordResetView(auth_views.PasswordResetView):
    form_class = QueuedPasswordResetForm
    success_url = reverse_lazy("accounts:password_reset_done")

    def form_valid(self, form: Any) -> HttpResponse:
        email = form.cleaned_data["email"]
        ip = client_address(self.request)
        if reset_requests_exceeded(ip, email):
            # The same answer whether or not the address has an account.
            return render(
                self.request,
                "registration/password_reset_form.html",
                {"form": form, "too_many": True},
                status=429,
            )
        record(self.request, Kind.PASSWORD_RESET_REQUESTED, username=email)
        return super().form_valid(form)


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    success_url = reverse_lazy("accounts:password_reset_complete")

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        password_chosen(self.request, form.user, Kind.PASSWORD_RESET)
        return response


class InvitationAcceptView(auth_views.PasswordResetConfirmView):
    """An invited user (created by an administrator or by the CSV import, no password yet) sets
    their own password through a one-time link."""

    token_generator = invitation_token
    template_name = "accounts/invitation_accept.html"
    success_url = reverse_lazy("login")
    reset_url_token = "set-password"

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        password_chosen(self.request, form.user, Kind.INVITATION_ACCEPTED)
        messages.success(self.request, "パスワードを設定しました。ログインしてください。")
        return response


def awaiting_invitation() -> Any:
    return (
        users_here()
        .filter(is_active=True, last_login__isnull=True)
        .exclude(email="")
        .filter(
            password__startswith="!"  # Django's mark for an unusable password
        )
    )


@admin_only
def invitations(request: HttpRequest) -> HttpResponse:
    users = awaiting_invitation().order_by("username")
    page = Paginator(users, 50).get_page(request.GET.get("page"))
    sent = dict(
        SignInEvent.objects.filter(kind=Kind.INVITED, user__in=[u.pk for u in page])
        .order_by("user_id", "at")  # the latest per user wins
        .values_list("user_id", "at")
    )
    return render(request, "accounts/invitations.html", {"page": page, "sent": sent})


@require_POST
@admin_only
def invite(request: HttpRequest) -> HttpResponse:
    ids = [pk for pk in map(plain_id, request.POST.getlist("user")) if pk is not None]
    users = list(awaiting_invitation().filter(pk__in=ids))
    with transaction.atomic():
        for user in users:
            record(request, Kind.INVITED, user, by=request.user)
            queue_mail(
                "invitation",
                {"user": user, "link": absolute_url(invitation_link(user))},
                user.email,
            )
    messages.success(request, f"{len(users)} 人に招待メールを送りました。")
    return redirect("accounts:invitations")


@admin_only
def events(request: HttpRequest) -> HttpResponse:
    # The sign-in record of this municipality's staff (a failed sign-in under a name nobody has
    # belongs to no municipality: the operator's server logs keep it).
    here = users_here()
    rows = SignInEvent.objects.select_related("user", "by").filter(
        Q(user__in=here) | Q(user__isnull=True, username__in=here.values("username"))
    )
    username = request.GET.get("username", "").strip()[:150]
    if username:
        rows = rows.filter(username=username)
    page = Paginator(rows, 100).get_page(request.GET.get("page"))
    return render(request, "accounts/events.html", {"page": page, "username": username})


def next_url(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return target
    return reverse("home")


@login_required
def two_factor_verify(request: HttpRequest) -> HttpResponse:
    if not twofactor.has_factor(request.user):
        return redirect(f"{reverse('accounts:two_factor_setup')}?next={next_url(request)}")
    error = ""
    if request.method == "POST":
        if twofactor.verify(request, request.POST.get("code", "")[:32]):
            return redirect(next_url(request))
        error = "確認コードが違います。認証アプリの6桁の数字か、回復コードを入力してください。"
    context = {
        "error": error,
        "next": next_url(request),
        "has_passkey": passkeys.has_passkey(request.user),
    }
    return render(request, "accounts/two_factor_verify.html", context, status=400 if error else 200)


@login_required
def two_factor_setup(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    if twofactor.has_factor(user):
        # Changing a factor: only with the current one passed, and recently.
        if not twofactor.satisfied(request):
            return redirect("accounts:two_factor_verify")
        if not recently_authenticated(request):
            return redirect(f"{reverse('accounts:reauth')}?next={request.path}")
    device = twofactor.pending_totp(user)
    error = ""
    if request.method == "POST":
        codes = twofactor.confirm_totp(request, device, request.POST.get("code", "")[:32])
        if codes is not None:
            context = {"codes": codes, "next": next_url(request)}
            return render(request, "accounts/recovery_codes.html", context)
        error = "確認コードが違います。認証アプリに表示されている6桁の数字を入力してください。"
    context = {
        "qr": twofactor.qr_data_uri(device),
        "secret": twofactor.secret_of(device),
        "error": error,
        "next": next_url(request),
    }
    return render(request, "accounts/two_factor_setup.html", context, status=400 if error else 200)


@login_required
def reauth(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    # Proved again at the city's provider: that replaces the password (and, when the provider
    # did multi-factor and the setting trusts it, the code too).
    proved, proved_mfa = oidc.fresh_proof(request)
    needs_code = twofactor.required(request) and twofactor.has_factor(user) and not proved_mfa
    if proved and not needs_code:
        oidc.forget_proof(request)
        mark_authenticated(request)
        return redirect(next_url(request))
    error = ""
    if request.method == "POST":
        password_ok = proved or user.check_password(request.POST.get("password", ""))
        code_ok = not needs_code or twofactor.verify(request, request.POST.get("code", "")[:32])
        if password_ok and code_ok:
            oidc.forget_proof(request)
            mark_authenticated(request)
            return redirect(next_url(request))
        error = "パスワードまたは確認コードが違います。"
    context = {
        "needs_code": needs_code,
        "needs_password": not proved,
        "sso_url": "" if proved else oidc.reauth_url(request),
        "error": error,
        "next": next_url(request),
    }
    return render(request, "accounts/reauth.html", context, status=400 if error else 200)


@login_required
@require_POST
def keepalive(request: HttpRequest) -> HttpResponse:
    """「操作を続ける」 on the idle-logout warning: reaching here is the request that
    tsumugi.middleware.IdleTimeoutMiddleware counts; nothing else to do."""
    request.session[LAST_SEEN_KEY] = time.time()  # the clock restarts now, exactly
    return JsonResponse({"idle_seconds": idle_seconds_left_at_most()})


@admin_only
@reauthentication_required
def two_factor_reset(request: HttpRequest) -> HttpResponse:
    error = ""
    if request.method == "POST":
        username = request.POST.get("username", "").strip()[:150]
        target = users_here().filter(username=username).first()
        if target is None:
            error = f"ユーザー「{username}」は見つかりません。"
        else:
            twofactor.reset(request, target)
            messages.success(
                request,
                f"{username} さんの二要素認証をリセットしました。次のログインで登録し直します。",
            )
            return redirect("accounts:two_factor_reset")
    return render(
        request, "accounts/two_factor_reset.html", {"error": error}, status=400 if error else 200
    )
