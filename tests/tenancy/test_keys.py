"""Every row that belongs to a municipality carries its key, and every key of such a table
includes it (issue 16, point 4): the case-bearing tables can be distributed by municipality
(README "Many municipalities") and no unique value of one city blocks another's."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.db import DatabaseError, connection, models, transaction

from tenancy import rls
from tenancy.fields import TenantKey, TenantManyToManyField, tenant_models
from tests.conftest import World

# Tables that belong to no municipality, and why. A new model must be added here or get a key.
GLOBAL = {
    "tenancy.Municipality": "the municipalities themselves",
    "tenancy.Belonging": "which municipality a user belongs to: read before any scope exists",
    "areas.Field": "分野: national categories, a reference table",
    "plans.AssessmentGroup": "the assessment sheet's headings, one for every municipality",
    "plans.AssessmentItem": "the assessment sheet's items, one for every municipality",
    "accounts.Account": "per user; a user's municipality is that of their memberships",
    "accounts.SignInEvent": "the sign-in record of users, shown per municipality by its users",
    "reminders.NoticePreference": "per user",
    "meetings.ConfidentialityPledge": "per user: the pledge is the person's",
}
# Django's and the libraries' own tables.
LIBRARIES = {
    "admin",
    "auth",
    "contenttypes",
    "sessions",
    "axes",
    "django_otp_webauthn",
    "otp_static",
    "otp_totp",
}
# One-to-one fields stay unique on their own: each points at a row of the same municipality
# (composite foreign key), so the column alone is as unique as (municipality, column); the
# Citus cut-over replaces each index with (municipality_id, column) (README).
ONE_TO_ONE = {"plans.Plan.previous", "plans.GoalEvaluation.goal", "plans.PlanAgendaItem.item"}


def ours() -> list[type[models.Model]]:
    return [
        m
        for m in apps.get_models()
        if m._meta.app_label not in LIBRARIES and not m.__name__.startswith("Historical")
    ]


def test_every_table_has_a_key_or_a_reason() -> None:
    missing = [
        m._meta.label for m in ours() if m not in tenant_models() and m._meta.label not in GLOBAL
    ]
    assert missing == [], f"add a TenantKey or a reason in GLOBAL: {missing}"
    keyed_but_listed = [label for label in GLOBAL if apps.get_model(label) in tenant_models()]
    assert keyed_but_listed == []


def test_no_join_table_of_a_keyed_table_is_left_without_a_key() -> None:
    """A ManyToManyField with no `through` gets Django's own join table, which carries no
    municipality: a relation touching a keyed table needs a keyed `through` model, declared
    with TenantManyToManyField so add() and set() name the join rows' municipality."""
    tenants = set(tenant_models())
    unkeyed = [
        m._meta.db_table
        for m in apps.get_models(include_auto_created=True)
        if m._meta.auto_created
        and m._meta.app_label not in LIBRARIES
        and any(f.related_model in tenants for f in m._meta.fields if f.is_relation)
    ]
    assert unkeyed == [], f"give these a keyed `through` model: {unkeyed}"
    plain = [
        f"{m._meta.label}.{f.name}"
        for m in ours()
        for f in m._meta.local_many_to_many
        if f.remote_field.through in tenants and not isinstance(f, TenantManyToManyField)
    ]
    assert plain == [], f"declare these with TenantManyToManyField: {plain}"


def test_the_history_of_a_keyed_table_is_keyed_too() -> None:
    for model in tenant_models():
        history = getattr(model, "history", None)
        if history is not None:
            assert any(isinstance(f, TenantKey) for f in history.model._meta.fields), model


def implied_columns() -> set[tuple[str, str]]:
    return {
        (model._meta.db_table, field.column)
        for model in tenant_models()
        for field in rls.implied_foreign_keys(model)
    }


def single_keys() -> dict[tuple[str, str], list[str]]:
    with connection.cursor() as cursor:
        return rls.single_foreign_keys(cursor)


@pytest.mark.postgres
@pytest.mark.django_db
def test_in_postgresql_a_composite_key_replaces_the_single_column_keys_it_implies(
    world: World,
) -> None:
    """Each reference is checked once per row written, by its composite key: Django's own key on
    the column is gone, and so is the municipality key of a row whose NOT NULL parent has one
    (a timeline entry's: its case is of that municipality); a row with no such parent keeps it."""
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL's catalog")
    implied = implied_columns()
    assert {("cases_event", "case_id"), ("cases_event", "municipality_id")} <= implied
    assert ("reminders_notification", "reminder_id") in implied
    assert ("areas_agency", "municipality_id") not in implied
    singles = single_keys()
    assert not implied & set(singles)
    assert ("areas_agency", "municipality_id") in singles
    # A missing parent is still refused, by the composite key alone.
    with (
        pytest.raises(DatabaseError, match="foreign key"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(
            "INSERT INTO cases_event (municipality_id, case_id, kind, at, text, agency_id,"
            " actor_id, sheet_id, resident_id)"
            " VALUES (%s, 2147483000, 'note', now(), '', NULL, NULL, NULL, NULL)",
            [world.a.municipality_id],
        )
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")


@pytest.mark.django_db
def test_every_index_and_constraint_a_model_declares_is_in_the_database() -> None:
    """A migration may not lose one on the way (PostgreSQL's schema editor, dropping a field's
    own index, takes every plain B-tree on that column alone: a partial unique one too)."""
    missing = []
    with connection.cursor() as cursor:
        for model in ours():
            if not model._meta.managed or model._meta.proxy:
                continue
            present = connection.introspection.get_constraints(cursor, model._meta.db_table)
            declared = [i.name for i in model._meta.indexes] + [
                c.name for c in model._meta.constraints
            ]
            missing += [
                f"{model._meta.db_table}.{name}" for name in declared if name not in present
            ]
    assert missing == []


@pytest.mark.postgres
@pytest.mark.django_db
def test_in_postgresql_the_municipality_is_indexed_once_per_table() -> None:
    """The (municipality_id, id) key leads every lookup by municipality; an index on the column
    alone would only be written again on every insert."""
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL's catalog")
    tables = [m._meta.db_table for m in tenant_models() if m._meta.managed]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT t.relname, i.relname FROM pg_index x"
            " JOIN pg_class t ON t.oid = x.indrelid JOIN pg_class i ON i.oid = x.indexrelid"
            " JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = x.indkey[0]"
            " WHERE t.relname = ANY(%s) AND x.indnkeyatts = 1 AND x.indpred IS NULL"
            " AND a.attname = 'municipality_id'",
            [tables],
        )
        alone = sorted(cursor.fetchall())
        cursor.execute(
            "SELECT count(*) FROM pg_indexes WHERE tablename = ANY(%s) AND indexname LIKE %s",
            [tables, "%_mkey"],
        )
        keys = cursor.fetchone()[0]
    assert alone == []
    assert keys == len(tables)


@pytest.mark.postgres
@pytest.mark.django_db
def test_in_postgresql_uninstall_puts_back_djangos_own_keys() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL's catalog")
    rls.uninstall()  # in the test's transaction: rolled back with it
    assert implied_columns() <= set(single_keys())
    rls.install()
    assert not implied_columns() & set(single_keys())


@pytest.mark.parametrize("model", tenant_models(), ids=lambda m: m._meta.label)
def test_every_unique_key_includes_the_municipality(model: type[models.Model]) -> None:
    for constraint in model._meta.constraints:
        if isinstance(constraint, models.UniqueConstraint):
            assert "municipality" in constraint.fields, (model, constraint.name)
    for field in model._meta.local_concrete_fields:
        label = f"{model._meta.label}.{field.name}"
        if field.unique and not field.primary_key and label not in ONE_TO_ONE:
            pytest.fail(f"{label} is unique on its own; make it (municipality, {field.name})")
    assert model._meta.unique_together == ()


@pytest.mark.postgres
@pytest.mark.django_db
def test_in_postgresql_every_tenant_table_is_keyed_protected_and_bound() -> None:
    """Read from the catalog, not the models: the (municipality_id, id) key, every unique
    index led by or including the municipality, the policy, forced row security, and a
    composite foreign key for each reference to another tenant table."""
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL's catalog")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT t.relname, i.relname, ix.indisprimary,"
            " array(SELECT a.attname FROM unnest(ix.indkey) WITH ORDINALITY AS k(num, n)"
            "       JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.num ORDER BY k.n)"
            " FROM pg_index ix JOIN pg_class t ON t.oid = ix.indrelid"
            " JOIN pg_class i ON i.oid = ix.indexrelid WHERE ix.indisunique"
        )
        unique = cursor.fetchall()
        cursor.execute("SELECT relname FROM pg_class WHERE relrowsecurity AND relforcerowsecurity")
        forced = {row[0] for row in cursor.fetchall()}
        cursor.execute("SELECT tablename, policyname, qual FROM pg_policies")
        policies = {(row[0], row[1]): row[2] for row in cursor.fetchall()}
        cursor.execute("SELECT conname FROM pg_constraint WHERE contype = 'f'")
        foreign = {row[0] for row in cursor.fetchall()}
    one_to_one_columns = {
        (apps.get_model(label.rsplit(".", 1)[0])._meta.db_table, label.rsplit(".", 1)[1] + "_id")
        for label in ONE_TO_ONE
    }
    for model in tenant_models():
        table = model._meta.db_table
        mine = [(name, primary, cols) for t, name, primary, cols in unique if t == table]
        assert any(cols == ["municipality_id", model._meta.pk.column] for _, _, cols in mine), table
        for name, primary, cols in mine:
            if primary or ((table, cols[0]) in one_to_one_columns and len(cols) == 1):
                continue
            assert "municipality_id" in cols, (table, name, cols)
        assert table in forced, table
        assert "tsumugi_scope()" in policies[(table, rls.POLICY)], table
        for name, _column, _target in rls.tenant_foreign_keys(model):
            assert name in foreign, (table, name)


@pytest.mark.parametrize("model", tenant_models(), ids=lambda m: m._meta.label)
def test_every_manager_of_a_tenant_table_keeps_to_the_municipality(
    model: type[models.Model],
) -> None:
    """Every manager's querysets are narrowed when compiled (tenancy.fields.TenantQuery), the
    default one and the related ones alike: a model whose manager escaped would read across
    municipalities on SQLite, where no row security backs the app up."""
    from tenancy.fields import TenantQuery

    for manager in model._meta.managers:
        assert isinstance(manager.all().query, TenantQuery), (model, manager.name)
    assert isinstance(model._default_manager.all().query, TenantQuery)
