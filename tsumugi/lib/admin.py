"""Django admin for append-only logs: listed and searched, never added, changed or deleted."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest


class AppendOnlyAdmin(admin.ModelAdmin[Any]):
    """The admin face of an `AppendOnly` log: an audit trail nobody edits."""

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
