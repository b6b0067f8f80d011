"""QuickSelect writes exactly the bytes Django's Select writes, or lets Django write them."""

from __future__ import annotations

from typing import Any

import pytest
from django import forms
from django.utils.safestring import mark_safe

from tsumugi.lib.widgets import QuickSelect

CHOICES = [
    ("", "すべて"),
    ("a&b", "<b>太字</b> & \"引用\" 'ア'"),
    (3, "3件"),
    ("safe", mark_safe("<i>安全</i>")),
]


def both(choices: Any, value: Any, attrs: dict[str, Any] | None = None) -> tuple[str, str]:
    attrs = attrs or {}
    django = forms.Select(choices=choices).render("status", value, attrs=dict(attrs))
    quick = QuickSelect(choices=choices).render("status", value, attrs=dict(attrs))
    return str(quick), str(django)


@pytest.mark.parametrize("value", [None, "", "a&b", 3, "3", "none of them"])
@pytest.mark.parametrize(
    "attrs",
    [
        {},
        {"class": "form-select", "id": "id_status"},
        {"class": "form-select is-invalid", "aria-invalid": "true", "required": True},
        {"disabled": True, "data-x": '"<>&', "hidden": False},
    ],
)
def test_it_writes_the_same_bytes_as_djangos_select(value: Any, attrs: dict[str, Any]) -> None:
    quick, django = both(CHOICES, value, attrs)
    assert quick == django


def test_option_groups_and_lazy_labels_are_left_to_django() -> None:
    from django.utils.functional import lazy

    grouped = [("地区", [("1", "マキノ"), ("2", "今津")]), ("", "なし")]
    quick, django = both(grouped, "2")
    assert quick == django and "<optgroup" in quick
    lazy_label = lazy(lambda: "遅延", str)()
    quick, django = both([("x", lazy_label)], "x")
    assert quick == django and "遅延" in quick


def test_a_model_choice_field_renders_the_same(world: Any) -> None:
    from areas.models import Area
    from cases.forms import ModelChoice

    class Quick(forms.Form):
        district = ModelChoice(
            queryset=Area.objects.districts(), empty_label="すべて", widget=QuickSelect
        )

    class Plain(forms.Form):
        district = ModelChoice(queryset=Area.objects.districts(), empty_label="すべて")

    area = Area.objects.districts().first()
    assert area is not None
    for data in (None, {"district": str(area.pk)}, {"district": "x"}):
        quick, plain = Quick(data)["district"], Plain(data)["district"]
        assert str(quick) == str(plain)
        assert quick.as_widget(attrs={"class": "form-select"}) == plain.as_widget(
            attrs={"class": "form-select"}
        )
