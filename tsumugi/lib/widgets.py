"""A <select> written in Python: the same bytes as Django's Select, without its templates.

Django renders a select through select.html, which includes select_option.html and attrs.html
for every option: the inbox's filter bar (16 options) spent about 3 ms of a 30 ms page in the
template engine for it. QuickSelect writes the same markup from the same context
(Widget.get_context, so choices, the selected value and attributes are Django's own) and hands
anything it does not know (option groups, another option template) back to Django.

Plain module: imports Django's forms but no app.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django import forms
from django.forms.renderers import BaseRenderer
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe

SELECT_TEMPLATE = "django/forms/widgets/select.html"
OPTION_TEMPLATE = "django/forms/widgets/select_option.html"


def html_attrs(attrs: Mapping[str, Any]) -> str:
    """attrs.html: ` name="value"` each, a bare ` name` for True, nothing for False."""
    return "".join(
        f" {conditional_escape(name)}"
        if value is True
        else f' {conditional_escape(name)}="{conditional_escape(value)}"'
        for name, value in attrs.items()
        if value is not False
    )


class QuickSelect(forms.Select):
    def render(
        self,
        name: str,
        value: Any,
        attrs: dict[str, Any] | None = None,
        renderer: BaseRenderer | None = None,
    ) -> SafeString:
        widget = self.get_context(name, value, attrs)["widget"]
        plain = (
            self.template_name == SELECT_TEMPLATE and self.option_template_name == OPTION_TEMPLATE
        )
        groups = widget["optgroups"]
        if not plain or any(group for group, _, _ in groups):
            return super().render(name, value, attrs, renderer)
        options = []
        for _, choices, _ in groups:
            for option in choices:
                label = option["label"]
                if not isinstance(label, str):  # the template would localise a number
                    return super().render(name, value, attrs, renderer)
                options.append(
                    f'\n  <option value="{conditional_escape(option["value"])}"'
                    f"{html_attrs(option['attrs'])}>{conditional_escape(label)}</option>\n"
                )
        return mark_safe(
            f'<select name="{conditional_escape(widget["name"])}"{html_attrs(widget["attrs"])}>'
            f"{''.join(options)}\n</select>"
        )
