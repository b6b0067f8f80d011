"""The read log in the Django admin, read-only. The case timeline is not registered: its text is
case content, and admins do not read case contents (DESIGN.md, "Roles")."""

from django.contrib import admin

from tsumugi.lib.admin import AppendOnlyAdmin

from .models import Access


@admin.register(Access)
class AccessAdmin(AppendOnlyAdmin):
    list_display = ["at", "user", "agency", "case", "what", "ip"]
    list_filter = ["what"]
    date_hierarchy = "at"
    list_select_related = ["user", "agency", "case"]
