from django.contrib import admin
from django.http import HttpRequest

from .models import PacketPrint


@admin.register(PacketPrint)
class PacketPrintAdmin(admin.ModelAdmin):
    """The packet print log, read-only: an audit trail nobody edits."""

    list_display = ["at", "user", "meeting", "masked", "ip"]
    list_filter = ["masked"]
    date_hierarchy = "at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
