"""Django admin for the roster data. Every model here keeps its change history
(django-simple-history: the 履歴 button), and an admin cannot give itself a case role or a seat
on a body here either (the same rule as the roster pages and the CSV import)."""

from __future__ import annotations

from copy import copy
from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest
from simple_history.admin import SimpleHistoryAdmin

from .handover import deactivation_refusal
from .models import (
    SELF_GRANT_REFUSAL,
    Agency,
    AgencyDistrict,
    AgencyField,
    Area,
    Body,
    Closure,
    Field,
    HandOver,
    Membership,
    RosterEntry,
    grants_self_case_access,
)


@admin.register(Field)
class FieldAdmin(admin.ModelAdmin[Field]):
    list_display = ["name", "code", "order"]


@admin.register(Area)
class AreaAdmin(SimpleHistoryAdmin):  # type: ignore[misc]  # django-simple-history ships no types
    list_display = ["name", "layer", "parent", "school_name", "order"]
    list_filter = ["layer"]


# An agency's 分野 and districts are join rows with their municipality (AgencyField,
# AgencyDistrict): the admin edits them as rows, as it does every explicit `through` model.
class AgencyFieldInline(admin.TabularInline[AgencyField, Agency]):
    model = AgencyField
    extra = 1
    verbose_name = verbose_name_plural = "分野"


class AgencyDistrictInline(admin.TabularInline[AgencyDistrict, Agency]):
    model = AgencyDistrict
    extra = 1
    verbose_name = verbose_name_plural = "担当区域"


@admin.register(Agency)
class AgencyAdmin(SimpleHistoryAdmin):  # type: ignore[misc]  # django-simple-history ships no types
    list_display = ["name", "kind", "is_coordination_office", "is_active"]
    list_filter = ["kind", "is_active", "districts"]
    search_fields = ["name", "code"]
    inlines = [AgencyFieldInline, AgencyDistrictInline]
    fieldsets = [
        (None, {"fields": ["code", "name", "kind", "is_active"]}),
        (
            "連絡先と案内（シートの送付先を選ぶ画面に出ます）",
            {"fields": ["email", "phone", "hours", "on_duty", "description"]},
        ),
        (
            "連携と期限",
            {"fields": ["is_coordination_office", "ack_business_days", "follow_up_business_days"]},
        ),
    ]


@admin.register(Membership)
class MembershipAdmin(SimpleHistoryAdmin):  # type: ignore[misc]  # django-simple-history ships no types
    list_display = ["user", "agency", "role", "position", "is_active"]
    list_filter = ["role", "is_active", "agency"]
    search_fields = ["user__username", "user__last_name", "agency__name"]
    autocomplete_fields = ["agency"]

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> Any:
        base = super().get_form(request, obj, change=change, **kwargs)
        before = copy(obj) if obj is not None else None

        class SelfGrantGuard(base):  # type: ignore[misc, valid-type]
            def clean(self) -> dict[str, Any]:
                cleaned: dict[str, Any] = super().clean()
                user, agency = cleaned.get("user"), cleaned.get("agency")
                if grants_self_case_access(
                    request.user,
                    user.pk if user else None,
                    agency.pk if agency else None,
                    cleaned.get("role", ""),
                    bool(cleaned.get("is_active")),
                    before,
                ):
                    raise forms.ValidationError(SELF_GRANT_REFUSAL)
                refusal = deactivation_refusal(
                    before,
                    user_id=user.pk if user else None,
                    agency_id=agency.pk if agency else None,
                    is_active=bool(cleaned.get("is_active")),
                )
                if refusal:
                    raise forms.ValidationError(refusal)
                return cleaned

        return SelfGrantGuard


@admin.register(Body)
class BodyAdmin(SimpleHistoryAdmin):  # type: ignore[misc]  # django-simple-history ships no types
    list_display = ["name", "kind", "area"]
    list_filter = ["kind"]


@admin.register(RosterEntry)
class RosterEntryAdmin(SimpleHistoryAdmin):  # type: ignore[misc]  # django-simple-history ships no types
    list_display = ["body", "membership", "title"]
    list_filter = ["body"]

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "membership":
            # A seat on a body opens its meetings: never offered for oneself.
            kwargs["queryset"] = Membership.objects.exclude(user=request.user.pk or 0)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(HandOver)
class HandOverAdmin(admin.ModelAdmin[HandOver]):
    """The record of hand-overs: read here, written only by areas/handover.py."""

    list_display = ["at", "agency", "leaving_user", "successor", "total", "source", "by"]
    list_filter = ["agency", "source"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Closure)
class ClosureAdmin(SimpleHistoryAdmin):  # type: ignore[misc]  # django-simple-history ships no types
    list_display = ["date", "reason"]
