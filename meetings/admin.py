from django.contrib import admin

from tsumugi.lib.admin import AppendOnlyAdmin

from .models import PacketPrint


@admin.register(PacketPrint)
class PacketPrintAdmin(AppendOnlyAdmin):
    """The packet print log, read-only."""

    list_display = ["at", "user", "meeting", "masked", "ip"]
    list_filter = ["masked"]
    date_hierarchy = "at"
