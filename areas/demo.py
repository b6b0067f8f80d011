"""Load a city (areas, fields, agencies, demo users, bodies and rosters) from a JSON data file.

Every record is matched by its code or username (update_or_create), so loading the same file
twice changes nothing but the demo password hashes. Nothing is deleted. The file format is the
one of data/takashima.json:

    municipality {code, name}   全国地方公共団体コード and name (the key of every row below)
    city       {code, name}
    districts  [{code, name, school_name}]
    fields     [{code, name}]
    agencies   [{code, name, kind, fields: [code], districts: [code] | "all",
                 coordination_office?, email?, phone?, description?, hours?, on_duty?}]
    users      [{username, last_name, first_name, email, superuser?,
                 memberships: [{agency, role, position}]}]
    bodies     [{code, name, kind, area, description, roster: [{username, agency, role, title}]}]
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ImproperlyConfigured

from tenancy import scope
from tenancy.models import Municipality

from .models import Agency, Area, Body, Field, Membership, Role, RosterEntry, display_name

User = get_user_model()

OPERATOR = "operator"


def municipality_of_file(path: Path) -> Municipality:
    """The municipality a data file loads into (its `municipality`, else its city's name)."""
    return _municipality_of(_read(path))


def _municipality_of(data: dict[str, Any]) -> Municipality:
    named = data.get("municipality") or {"code": "", "name": data["city"]["name"]}
    municipality, _ = Municipality.objects.update_or_create(
        code=named["code"], defaults={"name": named["name"]}
    )
    return municipality


def load_operator() -> str:
    """The operator of the deployment: manages municipalities (市町村の管理), belongs to none and
    so reads no municipality's cases."""
    user, _ = User.objects.update_or_create(
        username=OPERATOR,
        defaults={
            "last_name": "運用",
            "first_name": "管理者",
            "is_active": True,
            "email": "operator@example.jp",
        },
    )
    user.set_password(DEMO_PASSWORD)
    user.save(update_fields=["password"])
    user.user_permissions.add(*operator_permissions())
    return f"運用管理者（市町村の管理のみ、相談は見えません）: {OPERATOR}"


def operator_permissions() -> list[Any]:
    from django.contrib.auth.models import Permission

    return list(Permission.objects.filter(content_type__app_label="tenancy"))


def _read(path: Path) -> dict[str, Any]:
    try:
        data: dict[str, Any] = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise ImproperlyConfigured(f"cannot read city data file {path}: {error}") from error
    return data


# Shared by every demo account; printed by seed_demo. Never used outside demo data.
DEMO_PASSWORD = "tsumugi-demo-2026"


def load_city(path: Path) -> list[str]:
    """Load one city's data file; returns the lines seed_demo prints (the demo accounts)."""
    data = _read(path)
    # Called by seed_demo within the file's municipality, or on its own (a test): either way
    # every row it writes is that municipality's.
    with scope.using(_municipality_of(data).pk):
        return _load_city(data)


def _load_city(data: dict[str, Any]) -> list[str]:
    city, districts = _load_areas(data)
    fields = {
        f["code"]: Field.objects.update_or_create(
            code=f["code"], defaults={"name": f["name"], "order": order}
        )[0]
        for order, f in enumerate(data["fields"])
    }
    agencies = {a["code"]: _load_agency(a, fields, districts) for a in data["agencies"]}
    areas = {city.code: city} | districts
    lines = [_load_user(u, agencies) for u in data.get("users", [])]
    for body in data.get("bodies", []):
        _load_body(body, areas, agencies)
    header = f"{city.name}: 区域 {len(districts)}、機関 {len(agencies)}、会議体 "
    header += f"{len(data.get('bodies', []))}。デモ用パスワード（全員共通）: {DEMO_PASSWORD}"
    return [header, *lines]


def _load_areas(data: dict[str, Any]) -> tuple[Area, dict[str, Area]]:
    city, _ = Area.objects.update_or_create(
        code=data["city"]["code"],
        defaults={"name": data["city"]["name"], "layer": Area.Layer.CITY, "parent": None},
    )
    districts = {}
    for order, d in enumerate(data["districts"], start=1):
        districts[d["code"]], _ = Area.objects.update_or_create(
            code=d["code"],
            defaults={
                "name": d["name"],
                "layer": Area.Layer.DISTRICT,
                "parent": city,
                "school_name": d.get("school_name", ""),
                "order": order,
            },
        )
    return city, districts


def _load_agency(
    row: dict[str, Any], fields: dict[str, Field], districts: dict[str, Area]
) -> Agency:
    agency, _ = Agency.objects.update_or_create(
        code=row["code"],
        defaults={
            "name": row["name"],
            "kind": Agency.Kind(row["kind"]),
            "is_coordination_office": row.get("coordination_office", False),
            "email": row.get("email", ""),
            "phone": row.get("phone", ""),
            "description": row.get("description", ""),
            "hours": row.get("hours", ""),
            "on_duty": row.get("on_duty", ""),
            "is_active": True,
        },
    )
    agency.fields.set([fields[code] for code in row.get("fields", [])])
    served = row.get("districts", [])
    agency.districts.set(
        list(districts.values()) if served == "all" else [districts[c] for c in served]
    )
    return agency


def _load_user(row: dict[str, Any], agencies: dict[str, Agency]) -> str:
    superuser = bool(row.get("superuser", False))
    user, _ = User.objects.update_or_create(
        username=row["username"],
        defaults={
            "last_name": row["last_name"],
            "first_name": row["first_name"],
            "email": row.get("email", ""),
            "is_active": True,
            "is_staff": superuser,
            "is_superuser": superuser,
        },
    )
    validate_password(DEMO_PASSWORD, user)
    user.set_password(DEMO_PASSWORD)
    user.save(update_fields=["password"])
    roles = []
    for m in row["memberships"]:
        membership, _ = Membership.objects.update_or_create(
            user=user,
            agency=agencies[m["agency"]],
            role=Role(m["role"]),
            defaults={"position": m.get("position", ""), "is_active": True},
        )
        position = f"（{membership.position}）" if membership.position else ""
        roles.append(f"{membership.agency} / {membership.get_role_display()}{position}")
    return f"  {user.get_username():<22} {display_name(user):<8} {'、'.join(roles)}"


def _load_body(row: dict[str, Any], areas: dict[str, Area], agencies: dict[str, Agency]) -> None:
    body, _ = Body.objects.update_or_create(
        code=row["code"],
        defaults={
            "name": row["name"],
            "kind": Body.Kind(row["kind"]),
            "area": areas[row["area"]],
            "description": row.get("description", ""),
        },
    )
    for entry in row.get("roster", []):
        membership = Membership.objects.get(
            user__username=entry["username"],
            agency=agencies[entry["agency"]],
            role=Role(entry["role"]),
        )
        RosterEntry.objects.update_or_create(
            body=body, membership=membership, defaults={"title": entry.get("title", "")}
        )
