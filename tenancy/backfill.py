"""Migrating a single-city database: its rows become the first municipality's.

Each app's `*_municipality_key` migration adds the key as nullable, fills it with
`backfill(...)`, and the next migration makes it required. The first municipality is named after
the database's 市域 (layer-1 area) — 高島市 gets its 全国地方公共団体コード 252123 — or after
TSUMUGI_MUNICIPALITY_NAME / TSUMUGI_MUNICIPALITY_CODE; an empty database gets none (seed_demo
or the operator creates them)."""

from __future__ import annotations

import os
from typing import Any

from django.db import migrations

KNOWN_CODES = {"高島市": "252123"}


def first_municipality(apps: Any) -> int:
    municipality = apps.get_model("tenancy", "Municipality")
    found = municipality.objects.order_by("pk").first()
    if found is not None:
        return int(found.pk)
    name = os.environ.get("TSUMUGI_MUNICIPALITY_NAME", "")
    try:
        area = apps.get_model("areas", "Area")
        city = area.objects.filter(layer=1).order_by("pk").first()
        name = name or (city.name if city else "")
    except LookupError:
        pass
    name = name or "市町村"
    code = os.environ.get("TSUMUGI_MUNICIPALITY_CODE") or KNOWN_CODES.get(name, "")
    return int(municipality.objects.create(code=code, name=name).pk)


def settle(schema_editor: Any) -> None:
    """Check the deferred foreign keys now: PostgreSQL refuses the migration's next index or
    table change while their checks are pending in the same transaction."""
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("SET CONSTRAINTS ALL IMMEDIATE")


def has_city_data(apps: Any) -> bool:
    try:
        return bool(apps.get_model("areas", "Area")._base_manager.exists())
    except LookupError:
        return False


def backfill(*labels: str) -> migrations.RunPython:
    def run(apps: Any, schema_editor: Any) -> None:
        models = [apps.get_model(label) for label in labels]
        if not any(model._base_manager.exists() for model in models):
            return
        if not has_city_data(apps):
            # An empty database holds only the defaults earlier data migrations made (the sheet
            # outcomes): each municipality gets its own when it is created.
            for model in models:
                model._base_manager.filter(municipality__isnull=True).delete()
            settle(schema_editor)
            return
        municipality_id = first_municipality(apps)
        for model in models:
            model._base_manager.filter(municipality__isnull=True).update(
                municipality_id=municipality_id
            )
        settle(schema_editor)

    return migrations.RunPython(run, migrations.RunPython.noop, elidable=False)


def fill_from_parent(table: str, column: str, parent_table: str) -> migrations.RunPython:
    """Key each row of a join table with the municipality of the row it hangs from (an agency's
    districts from the agency): one UPDATE ... FROM, which SQLite (3.33+) and PostgreSQL share."""

    def run(apps: Any, schema_editor: Any) -> None:
        quote = schema_editor.quote_name
        schema_editor.execute(
            f"UPDATE {quote(table)} SET municipality_id = parent.municipality_id"
            f" FROM {quote(parent_table)} AS parent"
            f" WHERE parent.id = {quote(table)}.{quote(column)}"
        )
        settle(schema_editor)

    return migrations.RunPython(run, migrations.RunPython.noop, elidable=False)
