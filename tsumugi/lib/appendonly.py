"""Append-only records (timelines, read and print logs, approved minutes, sign-in log).

Three locks, each on its own layer:

- `AppendOnly` refuses `save()` of an existing row and `delete()` of any row;
- `AppendOnlyQuerySet` refuses `.update()` and `.delete()` in bulk (and so `bulk_update`);
- `RefuseChanges`, a migration operation, installs a PostgreSQL trigger that raises on every
  UPDATE or DELETE of the table, so raw SQL, a shell or another program is refused too.
  SQLite (the embedded single-office setup) gets no trigger: the ORM locks still hold there.

TRUNCATE is left alone on purpose: it is not a row change an application makes, and the test
runner empties tables with it between browser tests.

This module imports no app: each subclass names the error its app shows (`refusal`).
"""

from __future__ import annotations

from typing import Any, ClassVar, TypeVar, cast

from django.db import models
from django.db.migrations.operations.base import Operation

_Row = TypeVar("_Row", bound=models.Model)


class AppendOnlyError(Exception):
    """A change or removal of a record that is kept as written."""


class AppendOnlyQuerySet(models.QuerySet[_Row, _Row]):
    """Rows that are written once: never changed or removed, not even in bulk."""

    def update(self, **kwargs: Any) -> int:
        model = cast("type[AppendOnly]", self.model)
        raise model.refusal(model.change_refusal)

    def delete(self) -> tuple[int, dict[str, int]]:
        model = cast("type[AppendOnly]", self.model)
        raise model.refusal(model.delete_refusal)


class AppendOnly(models.Model):
    """A record kept as written: later facts are new rows.
    Subclasses name the error their app shows and, if they like, its wording."""

    refusal: ClassVar[type[Exception]] = AppendOnlyError
    change_refusal: ClassVar[str] = "記録は変更できません。"
    delete_refusal: ClassVar[str] = "記録は削除できません。"

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise self.refusal(self.change_refusal)
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise self.refusal(self.delete_refusal)


FUNCTION = "tsumugi_refuse_change"

_CREATE_FUNCTION = f"""
CREATE OR REPLACE FUNCTION {FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'append-only table %: % refused', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$
"""


def trigger_name(table: str) -> str:
    return f"{table}_append_only"


class RefuseChanges(Operation):
    """Migration operation: on PostgreSQL, refuse every UPDATE and DELETE of `model_name`'s table.

    Use it in the migration that creates the model (or any later one of the same app):
    `RefuseChanges("access")`. Reversing it drops the trigger; the shared function stays.
    """

    reversible = True
    reduces_to_sql = True

    def __init__(self, model_name: str) -> None:
        self.model_name = model_name

    def state_forwards(self, app_label: str, state: Any) -> None:
        pass

    def _table(self, app_label: str, state: Any) -> str:
        model = state.apps.get_model(app_label, self.model_name)
        return cast(str, model._meta.db_table)

    def database_forwards(
        self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any
    ) -> None:
        if schema_editor.connection.vendor != "postgresql":
            return
        quote = schema_editor.quote_name
        table = quote(self._table(app_label, to_state))
        trigger = quote(trigger_name(self._table(app_label, to_state)))
        schema_editor.execute(_CREATE_FUNCTION, params=None)
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {trigger} ON {table}")
        schema_editor.execute(
            f"CREATE TRIGGER {trigger} BEFORE UPDATE OR DELETE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION {FUNCTION}()"
        )

    def database_backwards(
        self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any
    ) -> None:
        if schema_editor.connection.vendor != "postgresql":
            return
        quote = schema_editor.quote_name
        table = self._table(app_label, from_state)
        schema_editor.execute(
            f"DROP TRIGGER IF EXISTS {quote(trigger_name(table))} ON {quote(table)}"
        )

    def describe(self) -> str:
        return f"Refuse UPDATE and DELETE on {self.model_name} (PostgreSQL trigger)"

    @property
    def migration_name_fragment(self) -> str:
        return f"{self.model_name}_append_only"
