"""Row-level security on PostgreSQL, under the app's own scoping (defence in depth).

After every `migrate`, each table with a municipality key gets (idempotently):

- a unique index on (municipality_id, id), which the composite foreign keys point at and which
  becomes the primary key when the table is distributed by municipality (README, "Many
  municipalities");
- a composite foreign key (municipality_id, <parent>_id) → parent (municipality_id, id) for each
  foreign key to another such table, so that no row can point into another municipality;
- and in exchange, no single-column foreign key that a composite one implies: Django's own
  x_id → parent (id) beside (municipality_id, x_id) → parent (municipality_id, id), and the
  municipality key of a row whose NOT NULL parent has a composite key (that parent row is of
  the same municipality, so the municipality exists). Each was checked again for every row
  written: the reminder sweep's 140,000 steps wrote 330,000 notices and 140,000 timeline
  entries, 2.8 million checks at COMMIT (14.4 of its 70 s); a later migration that recreates
  Django's key has it dropped again here. `uninstall` puts them back;
- ROW LEVEL SECURITY, forced also for the table's owner, with one policy `tenant_isolation`:
  a row is visible and writable only when its municipality is the one the transaction works for.

The setting is `tsumugi.municipality`: the request middleware sets it with SET LOCAL to the
signed-in user's municipality (or `none`); unset (the worker, the sweep, migrations, management
commands) the policy lets the code see every municipality, which is why the app's role must not
be a superuser nor BYPASSRLS (a superuser skips the policies entirely: `checks.py`)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.db import connection, connections, models, transaction

from . import scope
from .fields import TenantKey, tenant_models

SETTING = "tsumugi.municipality"
POLICY = "tenant_isolation"

FUNCTIONS = f"""
CREATE OR REPLACE FUNCTION tsumugi_scope_all() RETURNS boolean LANGUAGE sql STABLE PARALLEL SAFE
AS $$
    SELECT coalesce(current_setting('{SETTING}', true), '') = ''
$$;
CREATE OR REPLACE FUNCTION tsumugi_scope() RETURNS integer LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN current_setting('{SETTING}', true) ~ '^[0-9]+$'
                THEN current_setting('{SETTING}', true)::integer END
$$;
"""

# Each function in a scalar subquery: PostgreSQL evaluates it once per query (an InitPlan) and
# compares the key with a constant, instead of reading the setting and matching its pattern for
# every row (1,000,000 sheets: 2.2 s → 0.6 s, as fast as without the policy); PARALLEL SAFE
# lets such a scan use parallel workers, as it does for a role the policy does not bind.
CONDITION = "((SELECT tsumugi_scope_all()) OR municipality_id = (SELECT tsumugi_scope()))"
# What the catalog shows of a policy written with CONDITION (an older policy lacks it).
CURRENT = "%SELECT tsumugi_scope() AS%"


def scope_value(municipality_id: int | None) -> str:
    return str(municipality_id) if municipality_id is not None else "none"


def is_scope_statement(sql: str) -> bool:
    """Is `sql` set_scope's statement? Query counts (the tests', the benchmark's) leave it out:
    every PostgreSQL request runs it whatever the page does."""
    return "set_config(" in sql and SETTING in sql


def set_scope(value: str) -> str:
    """Set the transaction's municipality; return what it was (one statement)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT coalesce(current_setting(%s, true), ''), set_config(%s, %s, true)",
            [SETTING, SETTING, value],
        )
        row = cursor.fetchone()
    assert row is not None
    return str(row[0])


def usable() -> bool:
    """Is the connection's transaction still usable (not aborted by an error)?"""
    from psycopg.pq import TransactionStatus

    raw = connection.connection
    return raw is None or raw.info.transaction_status != TransactionStatus.INERROR


def short(name: str, suffix: str) -> str:
    """A constraint name within PostgreSQL's 63 characters, stable for the same input."""
    digest = hashlib.sha1(name.encode()).hexdigest()[:8]
    return f"{name[:45]}_{digest}_{suffix}"


def key_index(table: str) -> str:
    return short(table, "mkey")


def tenant_foreign_keys(model: type[models.Model]) -> list[tuple[str, str, str]]:
    """(constraint name, column, referenced table) for each foreign key to another tenant table."""
    tenants = tenant_models()
    found = []
    for field in model._meta.local_concrete_fields:
        if not isinstance(field, models.ForeignKey) or isinstance(field, TenantKey):
            continue
        if not getattr(field, "db_constraint", True) or field.related_model not in tenants:
            continue
        table = model._meta.db_table
        found.append(
            (
                short(f"{table}_{field.column}", "mfk"),
                field.column,
                field.related_model._meta.db_table,
            )
        )
    return found


def implied_foreign_keys(model: type[models.Model]) -> list[models.ForeignKey[Any, Any]]:
    """The fields whose single-column foreign key a composite one of the row implies."""
    composite = {column for _name, column, _target in tenant_foreign_keys(model)}
    implied: list[models.ForeignKey[Any, Any]] = [
        f
        for f in model._meta.local_concrete_fields
        if isinstance(f, models.ForeignKey) and f.column in composite
    ]
    key = next(f for f in model._meta.local_concrete_fields if isinstance(f, TenantKey))
    if key.parent and getattr(key, "db_constraint", True):
        parent = model._meta.get_field(key.parent)
        if isinstance(parent, models.ForeignKey) and not parent.null and parent in implied:
            implied.append(key)
    return implied


def single_foreign_keys(cursor: Any) -> dict[tuple[str, str], list[str]]:
    """(table, column) → the names of the single-column foreign keys on it."""
    cursor.execute(
        "SELECT r.relname, a.attname, c.conname FROM pg_constraint c"
        " JOIN pg_class r ON r.oid = c.conrelid"
        " JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]"
        " WHERE c.contype = 'f' AND cardinality(c.conkey) = 1"
        " AND r.relnamespace = current_schema()::regnamespace"
    )
    found: dict[tuple[str, str], list[str]] = {}
    for table, column, name in cursor.fetchall():
        found.setdefault((table, column), []).append(name)
    return found


def install(sender: Any = None, using: str = "default", **kwargs: Any) -> None:
    if getattr(sender, "label", "tenancy") != "tenancy":
        return
    conn = connections[using]
    if conn.vendor != "postgresql":
        return
    models_ = [m for m in tenant_models() if m._meta.managed and not m._meta.proxy]
    with conn.cursor() as cursor:
        cursor.execute(
            "SELECT indexname FROM pg_indexes WHERE schemaname = current_schema()"
            " UNION ALL SELECT conname FROM pg_constraint"
            " UNION ALL SELECT tablename || '.' || policyname"
            "   || CASE WHEN qual LIKE %s THEN '' ELSE '.old' END FROM pg_policies"
            " UNION ALL SELECT relname || '.rls' FROM pg_class"
            "   WHERE relrowsecurity AND relforcerowsecurity",
            [CURRENT],
        )
        present = {row[0] for row in cursor.fetchall()}
        cursor.execute(FUNCTIONS)
        for model in models_:
            table = model._meta.db_table
            pk = model._meta.pk.column
            if key_index(table) not in present:
                cursor.execute(
                    f'CREATE UNIQUE INDEX IF NOT EXISTS "{key_index(table)}"'
                    f' ON "{table}" (municipality_id, "{pk}")'
                )
        singles = single_foreign_keys(cursor)
        for model in models_:
            table = model._meta.db_table
            for name, column, target in tenant_foreign_keys(model):
                if name not in present:
                    cursor.execute(
                        f'ALTER TABLE "{table}" ADD CONSTRAINT "{name}"'
                        f' FOREIGN KEY (municipality_id, "{column}")'
                        f' REFERENCES "{target}" (municipality_id, id)'
                        " DEFERRABLE INITIALLY DEFERRED"
                    )
            for field in implied_foreign_keys(model):
                for name in singles.get((table, field.column), []):
                    cursor.execute(f'ALTER TABLE "{table}" DROP CONSTRAINT "{name}"')
            if f"{table}.{POLICY}.old" in present:
                cursor.execute(
                    f'ALTER POLICY {POLICY} ON "{table}" USING {CONDITION} WITH CHECK {CONDITION}'
                )
            elif f"{table}.{POLICY}" not in present:
                cursor.execute(
                    f'CREATE POLICY {POLICY} ON "{table}" USING {CONDITION} WITH CHECK {CONDITION}'
                )
            if f"{table}.rls" not in present:
                cursor.execute(f'ALTER TABLE "{table}" ENABLE ROW LEVEL SECURITY')
                cursor.execute(f'ALTER TABLE "{table}" FORCE ROW LEVEL SECURITY')


@contextmanager
def working_for(municipality_id: int) -> Iterator[None]:
    """Work for one municipality by name: the app's scoping and, on PostgreSQL, the transaction's
    setting (seed_demo loading each city; the operator setting up a new municipality's first
    administrator). Put back afterwards."""
    with scope.using(municipality_id):
        if connection.vendor != "postgresql":
            yield
            return
        with transaction.atomic():
            previous = set_scope(scope_value(municipality_id))
            try:
                yield
            finally:
                set_scope(previous)


def uninstall(using: str = "default") -> None:
    """Undo `install` (before migrating back past the municipality key: PostgreSQL will not
    drop a column its policies and composite keys depend on). `migrate` installs it again."""
    conn = connections[using]
    if conn.vendor != "postgresql":
        return
    with conn.cursor() as cursor:
        singles = single_foreign_keys(cursor)
    with conn.schema_editor() as editor:
        for model in tenant_models():
            for field in implied_foreign_keys(model):
                if (model._meta.db_table, field.column) not in singles:
                    # Django's own key, as its migration made it.
                    sql = editor._create_fk_sql(  # type: ignore[attr-defined]
                        model, field, "_fk_%(to_table)s_%(to_column)s"
                    )
                    editor.execute(sql)
    with conn.cursor() as cursor:
        for model in tenant_models():
            table = model._meta.db_table
            for name, _column, _target in tenant_foreign_keys(model):
                cursor.execute(f'ALTER TABLE "{table}" DROP CONSTRAINT IF EXISTS "{name}"')
        for model in tenant_models():
            table = model._meta.db_table
            cursor.execute(f'DROP POLICY IF EXISTS {POLICY} ON "{table}"')
            cursor.execute(f'ALTER TABLE "{table}" NO FORCE ROW LEVEL SECURITY')
            cursor.execute(f'ALTER TABLE "{table}" DISABLE ROW LEVEL SECURITY')
            cursor.execute(f'DROP INDEX IF EXISTS "{key_index(table)}"')
