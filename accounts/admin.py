"""Django admin: a password typed by an administrator must be changed at first sign-in; the
sign-in record is read-only."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.forms import AdminPasswordChangeForm
from django.http import HttpRequest

from .models import Account, SignInEvent

User = get_user_model()


def flag_admin_set_password(user: Any) -> None:
    if user.has_usable_password():
        Account.objects.update_or_create(user=user, defaults={"must_change_password": True})


class FlaggingPasswordChangeForm(AdminPasswordChangeForm):
    def save(self, commit: bool = True) -> Any:
        user = super().save(commit=commit)
        if commit:
            flag_admin_set_password(user)
        return user


class TsumugiUserAdmin(UserAdmin):
    change_password_form = FlaggingPasswordChangeForm

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        if not change:
            flag_admin_set_password(obj)


admin.site.unregister(User)
admin.site.register(User, TsumugiUserAdmin)


@admin.register(SignInEvent)
class SignInEventAdmin(admin.ModelAdmin):
    list_display = ["at", "kind", "username", "by", "ip"]
    list_filter = ["kind"]
    search_fields = ["username"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
