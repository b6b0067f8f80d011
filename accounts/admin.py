"""Django admin: a password typed by an administrator must be changed at first sign-in; the
sign-in record is read-only."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.forms import AdminPasswordChangeForm
from django.http import HttpRequest

from areas.handover import user_deactivation_refusal

from .models import Account, SignInEvent

User = get_user_model()


def flag_admin_set_password(user: Any) -> None:
    if user.has_usable_password():
        Account.objects.update_or_create(user=user, defaults={"must_change_password": True})


class FlaggingPasswordChangeForm(AdminPasswordChangeForm[Any]):
    def save(self, commit: bool = True) -> Any:
        user = super().save(commit=commit)
        if commit:
            flag_admin_set_password(user)
        return user


class AccountInline(admin.StackedInline[Account, Any]):
    model = Account
    can_delete = False
    fields = ["oidc_subject", "must_change_password"]
    readonly_fields = ["must_change_password"]
    verbose_name_plural = "アカウント（シングルサインオン・初回パスワード）"


class TsumugiUserAdmin(UserAdmin[Any]):
    change_password_form = FlaggingPasswordChangeForm
    inlines = [AccountInline]

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> Any:
        base = super().get_form(request, obj, change=change, **kwargs)
        was_active = obj is not None and obj.is_active

        class OpenWorkGuard(base):  # type: ignore[misc, valid-type]
            def clean(self) -> dict[str, Any]:
                cleaned: dict[str, Any] = super().clean()
                if was_active and not cleaned.get("is_active", True):
                    # 人事異動 first: the account's open sheets, 宿題 and roles need a successor.
                    refusal = user_deactivation_refusal(obj.pk)
                    if refusal:
                        raise forms.ValidationError(refusal)
                return cleaned

        return OpenWorkGuard

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        # After the inline: its Account row would otherwise overwrite the flag.
        super().save_related(request, form, formsets, change)
        if not change:
            flag_admin_set_password(form.instance)


admin.site.unregister(User)
admin.site.register(User, TsumugiUserAdmin)


@admin.register(SignInEvent)
class SignInEventAdmin(admin.ModelAdmin[SignInEvent]):
    list_display = ["at", "kind", "username", "by", "ip"]
    list_filter = ["kind"]
    search_fields = ["username"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
