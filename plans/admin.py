"""The assessment items are data a city edits; plans themselves are not in the admin (admins
read no case contents)."""

from typing import TYPE_CHECKING

from django.contrib import admin

from .models import AssessmentGroup, AssessmentItem

# django-stubs types the inline by its models; Django's own class takes no subscript at run time.
if TYPE_CHECKING:
    InlineOfItems = admin.TabularInline[AssessmentItem, AssessmentGroup]
    GroupAdminBase = admin.ModelAdmin[AssessmentGroup]
    ItemAdminBase = admin.ModelAdmin[AssessmentItem]
else:
    InlineOfItems = admin.TabularInline
    GroupAdminBase = ItemAdminBase = admin.ModelAdmin


class ItemInline(InlineOfItems):
    model = AssessmentItem
    fields = ["code", "label", "order", "reported_to_nation", "is_active"]
    extra = 0
    show_change_link = True


@admin.register(AssessmentGroup)
class AssessmentGroupAdmin(GroupAdminBase):
    list_display = ["name", "code", "order"]
    inlines = [ItemInline]


@admin.register(AssessmentItem)
class AssessmentItemAdmin(ItemAdminBase):
    list_display = ["label", "group", "order", "reported_to_nation", "is_active"]
    list_filter = ["group", "reported_to_nation", "is_active"]
    list_editable = ["reported_to_nation", "is_active"]
