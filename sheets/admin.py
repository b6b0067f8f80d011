"""Django admin for the sheets app's editable data: the agencies' 定型文."""

from __future__ import annotations

from django.contrib import admin

from .models import Phrase


@admin.register(Phrase)
class PhraseAdmin(admin.ModelAdmin[Phrase]):
    list_display = ["agency", "use", "text", "order"]
    list_filter = ["use", "agency"]
    search_fields = ["text", "agency__name"]
    autocomplete_fields = ["agency"]
