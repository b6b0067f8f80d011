"""The operator of a deployment that serves several municipalities (市町村の管理).

The operator belongs to no municipality, so every request of theirs works for none: they read no
agency's, person's or case's rows (tenancy.scope.NOWHERE; on PostgreSQL row security says the
same). What they manage is the municipalities themselves — code, name, office hours, deadline
defaults — and, to start a new one, its first administrator, who then builds the roster."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render

from areas.models import Agency, Membership, Role
from tenancy.models import Municipality
from tenancy.rls import working_for
from tsumugi.lib.emails import absolute_url

from .events import Kind, record
from .mail import queue_mail
from .tokens import invitation_link

User = get_user_model()
PERMISSION = "tenancy.change_municipality"


def require_operator(request: HttpRequest) -> None:
    """Only someone with the permission who belongs to no municipality: a city's own
    administrator or superuser manages their city's roster, not the deployment."""
    if not request.user.has_perm(PERMISSION) or getattr(request, "municipality_id", None):
        raise PermissionDenied("市町村の管理は運用管理者のみが行えます。")


class MunicipalityForm(forms.ModelForm[Municipality]):
    class Meta:
        model = Municipality
        fields = [
            "code",
            "name",
            "opens",
            "closes",
            "ack_business_days",
            "follow_up_business_days",
            "is_active",
        ]
        widgets = {
            "opens": forms.TimeInput(attrs={"type": "time"}),
            "closes": forms.TimeInput(attrs={"type": "time"}),
        }

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        opens, closes = data.get("opens"), data.get("closes")
        if opens and closes and opens >= closes:
            self.add_error("closes", "閉庁時刻は開庁時刻より後にしてください。")
        return data


class FirstAdminForm(forms.Form):
    agency_code = forms.SlugField(label="機関のコード", max_length=40, help_text="例: fukushi")
    agency_name = forms.CharField(label="機関名", max_length=100, help_text="例: 福祉総合相談室")
    username = forms.CharField(label="管理者のユーザー名", max_length=150)
    last_name = forms.CharField(label="姓", max_length=150)
    first_name = forms.CharField(label="名", max_length=150)
    email = forms.EmailField(label="メール", help_text="招待メールを送ります。")

    def __init__(self, municipality: Municipality, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.municipality = municipality

    def clean_username(self) -> str:
        username: str = self.cleaned_data["username"].strip()
        if User.objects.filter(username=username).exists():
            raise forms.ValidationError("このユーザー名はすでに使われています。")
        return username

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        with working_for(self.municipality.pk):
            taken = Agency.objects.filter(code=data.get("agency_code", "")).exists()
            named = Agency.objects.filter(name=data.get("agency_name", "")).exists()
        if taken:
            self.add_error("agency_code", "この市町村に同じコードの機関がすでにあります。")
        if named:
            self.add_error("agency_name", "この市町村に同じ名前の機関がすでにあります。")
        return data


@login_required
def municipality_list(request: HttpRequest) -> HttpResponse:
    require_operator(request)
    rows = Municipality.objects.order_by("code")
    return render(request, "accounts/municipality_list.html", {"municipalities": rows})


@login_required
def municipality_form(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    require_operator(request)
    instance = get_object_or_404(Municipality, pk=pk) if pk is not None else None
    form = MunicipalityForm(request.POST or None, instance=instance)
    if request.method == "POST" and form.is_valid():
        saved = form.save()
        messages.success(request, f"{saved.name}を保存しました。")
        return redirect("accounts:municipalities")
    title = f"{instance.name}の設定" if instance else "市町村を追加する"
    return render(request, "accounts/municipality_form.html", {"form": form, "title": title})


@login_required
def first_admin(request: HttpRequest, pk: int) -> HttpResponse:
    """A new municipality's first administrator: an agency to belong to, the account, the
    管理者 membership and an invitation mail — written for that municipality."""
    require_operator(request)
    municipality = get_object_or_404(Municipality, pk=pk)
    form = FirstAdminForm(municipality, request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        with transaction.atomic(), working_for(municipality.pk):
            agency = Agency.objects.create(
                code=data["agency_code"], name=data["agency_name"], kind=Agency.Kind.DEPARTMENT
            )
            user = User.objects.create_user(
                username=data["username"],
                email=data["email"],
                last_name=data["last_name"],
                first_name=data["first_name"],
            )
            user.set_unusable_password()
            user.save(update_fields=["password"])
            Membership.objects.create(user=user, agency=agency, role=Role.ADMIN)
            record(request, Kind.INVITED, user, by=request.user)
            queue_mail(
                "invitation",
                {"user": user, "link": absolute_url(invitation_link(user))},
                user.email,
            )
        messages.success(
            request, f"{municipality.name}の管理者 {user.get_username()} に招待メールを送りました。"
        )
        return redirect("accounts:municipalities")
    return render(
        request, "accounts/municipality_admin.html", {"form": form, "municipality": municipality}
    )
