"""Model forms of tenant rows check their municipality's unique constraints (a code or a name
is unique per municipality) before saving, like any other field's: the key is not a form field,
so Django would otherwise skip every constraint that names it and the database would refuse the
row with an error page instead of a message."""

from __future__ import annotations

import contextlib
from typing import TypeVar

from django import forms
from django.db import models

from .fields import MunicipalityUnknown, fill_municipality

M = TypeVar("M", bound=models.Model)


class TenantModelForm(forms.ModelForm[M]):
    def _get_validation_exclusions(self) -> set[str]:
        exclusions: set[str] = super()._get_validation_exclusions()  # type: ignore[misc]
        exclusions.discard("municipality")
        return exclusions

    def validate_unique(self) -> None:
        with contextlib.suppress(MunicipalityUnknown):
            fill_municipality(self.instance)
        super().validate_unique()
