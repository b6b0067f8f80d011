"""One municipality per deployment until tenancy exists: a second layer-1 area fails the system
check (so `manage.py check`, `migrate` and CI refuse the database) and cannot be made in the
area form."""

from __future__ import annotations

import pytest
from django.core.checks import run_checks
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from areas.forms import AreaForm
from areas.models import Area
from tests.conftest import World


def city_errors() -> list[str]:
    return [m.msg for m in run_checks(databases=["default"]) if m.id == "areas.E001"]


def test_one_city_passes_the_check(world: World) -> None:
    assert city_errors() == []


def test_a_second_city_fails_the_check_with_a_clear_message(world: World) -> None:
    Area.objects.create(code="otsu", name="大津市", layer=Area.Layer.CITY)
    (message,) = city_errors()
    assert "第1層（市域）が2件あります（高島市、大津市）" in message
    assert "1つのデプロイで1つの市町村だけ" in message
    with pytest.raises(SystemCheckError, match=r"areas\.E001"):
        call_command("check", "--database", "default")


def test_the_area_form_refuses_a_second_city_but_edits_the_first(world: World) -> None:
    data = {"code": "otsu", "name": "大津市", "layer": Area.Layer.CITY, "order": 0}
    form = AreaForm(data)
    assert not form.is_valid()
    assert "第1層（市域）はすでにあります" in form.errors["layer"][0]
    edit = AreaForm({**data, "code": "takashima", "name": "高島市"}, instance=world.city)
    assert edit.is_valid(), edit.errors
