"""seed_demo loads a city from its data file and is idempotent."""

from __future__ import annotations

from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.db import models

from areas.demo import DEMO_PASSWORD
from areas.models import Agency, Area, Body, Closure, Field, Membership, Role, RosterEntry
from areas.scope import scope_of
from tenancy import scope
from tenancy.models import Municipality

User = get_user_model()
MODELS: list[type[models.Model]] = [
    Area,
    Field,
    Agency,
    Membership,
    Body,
    RosterEntry,
    Closure,
    User,
    Agency.fields.through,
    Agency.districts.through,
]


@pytest.fixture(autouse=True)
def areas_loader_only(settings: Any) -> None:
    """These tests are about the city loader; other apps test their own demo loaders."""
    settings.TSUMUGI_DEMO_LOADERS = ["areas.demo.load_city"]


def counts() -> dict[str, int]:
    return {m.__name__: m._default_manager.count() for m in MODELS}


def seed(*args: str) -> str:
    """One city, 高島市 (most tests here are about loading one file); `seed_both` loads the
    default, both cities."""
    out = StringIO()
    call_command("seed_demo", *(args or ("--file", str(TAKASHIMA))), stdout=out)
    return out.getvalue()


def seed_both() -> str:
    out = StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


TAKASHIMA = Path(settings.BASE_DIR) / "data" / "takashima.json"
OTHER = Path(settings.BASE_DIR) / "data" / "othercity.json"


@pytest.mark.django_db
def test_seed_demo_twice_gives_the_same_counts() -> None:
    first_output = seed()
    first = counts()
    second_output = seed()
    assert counts() == first
    assert first_output == second_output
    assert first["Area"] == 7
    assert first["Body"] == 11
    assert first["RosterEntry"] > 40


@pytest.mark.django_db
def test_takashima_districts_schools_agencies_and_bodies() -> None:
    output = seed()
    districts = dict(Area.objects.districts().values_list("name", "school_name"))
    assert districts == {
        "マキノ": "マキノ中学校",
        "今津": "今津中学校",
        "朽木": "朽木中学校",
        "安曇川": "安曇川中学校",
        "高島": "高島中学校",
        "新旭": "湖西中学校",
    }
    assert Area.objects.get(layer=Area.Layer.CITY).name == "高島市"
    office = Agency.objects.get(is_coordination_office=True)
    assert "くらし連携支援室" in office.name
    kutsuki_branch = Agency.objects.get(name="朽木支所")
    assert list(kutsuki_branch.districts.values_list("name", flat=True)) == ["朽木"]
    for name in (
        "地域包括支援課",
        "健康推進課",
        "市民協働課",
        "高島市社会福祉協議会",
        "働き暮らし応援センター",
        "就労準備支援「ホップ」",
        "高島市商工会",
    ):
        assert Agency.objects.filter(name=name).exists(), name
    assert Body.objects.filter(kind=Body.Kind.DISTRICT).count() == 6
    kinds = (Body.Kind.CITY, Body.Kind.INTERNAL, Body.Kind.SUPPORT, Body.Kind.SAFETY_NET)
    for kind in (*kinds, Body.Kind.JUUSOU):
        assert Body.objects.filter(kind=kind).exists()
    for body in Body.objects.all():
        assert body.roster.exists(), body
    assert DEMO_PASSWORD in output
    assert "kutsuki_counter" in output and "朽木支所 / 受付" in output


@pytest.mark.django_db
def test_demo_users_have_the_roles_the_demo_needs() -> None:
    seed()
    for user in User.objects.all():
        assert user.check_password(DEMO_PASSWORD)
    admin = User.objects.get(username="admin")
    assert scope_of(admin).is_admin and admin.is_superuser
    assert not scope_of(admin).works_on_cases
    assert scope_of(User.objects.get(username="kurashi_coord")).city_wide
    kutsuki = Area.objects.get(name="朽木")
    coordinator = scope_of(User.objects.get(username="kutsuki_coord"))
    assert coordinator.coordinator_district_ids == {kutsuki.pk}
    assert not coordinator.city_wide
    chief = scope_of(User.objects.get(username="houkatsu_chief"))
    assert chief.supervisor_agency_ids
    assert Membership.objects.get(user__username="kutsuki_counter").role == Role.COUNTER
    assert Membership.objects.get(user__username="yorozu_staff").agency.name.startswith(
        "つながり応援センターよろず"
    )


def test_the_demo_password_passes_the_validators() -> None:
    from django.contrib.auth.password_validation import validate_password

    assert len(DEMO_PASSWORD) >= 12
    validate_password(DEMO_PASSWORD)


@pytest.mark.django_db
def test_another_city_loads_from_its_own_file() -> None:
    seed()
    before = counts()
    output = seed("--file", str(Path(settings.BASE_DIR) / "data" / "othercity.json"))
    assert "みなと市" in output
    minato = Municipality.objects.get(name="みなと市")
    assert minato.code == "999997"
    assert Area.objects.get(code="minato", municipality=minato).children.count() == 2
    assert counts()["Area"] == before["Area"] + 3
    assert Agency.objects.filter(name="朽木支所").exists()
    assert set(
        Agency.objects.filter(code__startswith="minato").values_list("municipality", flat=True)
    ) == {minato.pk}


@pytest.mark.django_db
def test_by_default_two_cities_and_the_operator_load_into_one_database() -> None:
    output = seed_both()
    assert "高島市: 区域 6" in output and "みなと市: 区域 2" in output
    assert "運用管理者" in output
    takashima, minato = (Municipality.objects.get(code=c) for c in ("252123", "999997"))
    assert Area.objects.filter(municipality=takashima).count() == 7
    assert Area.objects.filter(municipality=minato).count() == 3
    # each demo user belongs to one city, and sees only its areas
    for username, city in (("kurashi_coord", takashima), ("minato_admin", minato)):
        user = User.objects.get(username=username)
        assert {m.municipality_id for m in Membership.objects.filter(user=user)} == {city.pk}
        with scope.using(city.pk):
            assert set(Area.objects.values_list("municipality", flat=True)) == {city.pk}
    operator = User.objects.get(username="operator")
    assert not Membership.objects.filter(user=operator).exists()
    assert operator.has_perm("tenancy.change_municipality")
    assert seed_both() == output  # idempotent


@pytest.mark.django_db
def test_a_missing_file_is_a_clear_error() -> None:
    with pytest.raises(CommandError, match="データファイルが見つかりません"):
        seed("--file", "/nonexistent/city.json")


def recording_loader(path: Path) -> list[str]:
    return [f"追加のローダー: {path.name} / 区域 {Area.objects.count()}"]


@pytest.mark.django_db
def test_seed_demo_runs_every_configured_loader_in_order(settings: Any) -> None:
    settings.TSUMUGI_DEMO_LOADERS = [
        "areas.demo.load_city",
        "tests.areas.test_seed_demo.recording_loader",
    ]
    assert "追加のローダー: takashima.json / 区域 7" in seed()
