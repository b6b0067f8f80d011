"""The assessment items are data a city edits; plans themselves are not in the admin (admins
read no case contents)."""

from django.contrib import admin

from .models import AssessmentGroup, AssessmentItem


class ItemInline(admin.TabularInline):
    model = AssessmentItem
    fields = ["code", "label", "order", "reported_to_nation", "is_active"]
    extra = 0
    show_change_link = True


@admin.register(AssessmentGroup)
class AssessmentGroupAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "order"]
    inlines = [ItemInline]


@admin.register(AssessmentItem)
class AssessmentItemAdmin(admin.ModelAdmin):
    list_display = ["label", "group", "order", "reported_to_nation", "is_active"]
    list_filter = ["group", "reported_to_nation", "is_active"]
    list_editable = ["reported_to_nation", "is_active"]
