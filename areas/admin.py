from django.contrib import admin

from .models import Agency, Area, Body, Closure, Field, Membership, RosterEntry


@admin.register(Field)
class FieldAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "order"]


@admin.register(Area)
class AreaAdmin(admin.ModelAdmin):
    list_display = ["name", "layer", "parent", "school_name", "order"]
    list_filter = ["layer"]


@admin.register(Agency)
class AgencyAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "is_coordination_office", "is_active"]
    list_filter = ["kind", "is_active", "districts"]
    search_fields = ["name", "code"]
    filter_horizontal = ["fields", "districts"]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "agency", "role", "position", "is_active"]
    list_filter = ["role", "is_active", "agency"]
    search_fields = ["user__username", "user__last_name", "agency__name"]
    autocomplete_fields = ["agency"]


@admin.register(Body)
class BodyAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "area"]
    list_filter = ["kind"]


@admin.register(RosterEntry)
class RosterEntryAdmin(admin.ModelAdmin):
    list_display = ["body", "membership", "title"]
    list_filter = ["body"]


@admin.register(Closure)
class ClosureAdmin(admin.ModelAdmin):
    list_display = ["date", "reason"]
