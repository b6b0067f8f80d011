"""The one filter bar: `{{ field|control }}` renders any form field as a styled, labelled-by,
error-linked Bootstrap control (select, checkbox, text or date), a builtin of every template.

    {% include "_filter_fields.html" %}   every field of `form` on one row, errors under each
"""

from __future__ import annotations

from typing import Any

from django import forms, template

register = template.Library()


@register.filter
def control(field: forms.BoundField) -> str:
    widget = field.field.widget
    if isinstance(widget, forms.CheckboxInput):
        css = "form-check-input"
    elif isinstance(widget, forms.Select | forms.SelectMultiple):
        css = "form-select"
    else:
        css = "form-control"
    attrs: dict[str, Any] = {"class": f"{css} is-invalid" if field.errors else css}
    if field.errors:
        attrs["aria-describedby"] = f"{field.auto_id}-error"
        attrs["aria-invalid"] = "true"
    return field.as_widget(attrs=attrs)


@register.filter
def is_checkbox(field: forms.BoundField) -> bool:
    return isinstance(field.field.widget, forms.CheckboxInput)
