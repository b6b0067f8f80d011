"""A trigram index for searching people by any part of their name or kana (PostgreSQL only).

`search_key LIKE '%…%'` cannot use a B-tree; pg_trgm's GIN index serves it for queries of three
characters or more (kana and kanji included). SQLite has no such index and scans, which is fine
at the sizes SQLite is used for. pg_trgm is a trusted extension: a database owner may create it.
"""

from typing import Any

from django.db import migrations

INDEX = "person_search_key_trgm"


def create(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    schema_editor.execute(
        f"CREATE INDEX IF NOT EXISTS {INDEX} ON cases_person USING gin (search_key gin_trgm_ops)"
    )


def drop(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [("cases", "0003_insight_indexes")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
