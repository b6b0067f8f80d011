"""Many rows in one statement, without a model instance per row: for the reminder sweep, which
writes some 2,000 reminders, 5,000 notices and 2,000 timeline entries per batch.

Why not `bulk_create`: building a model instance, pre-saving and preparing each field of each
row, then letting the driver splice 20,000 placeholders into one statement cost the sweep
about 60 % of its time (cProfile of `scripts/bench.py`'s sweep: 118,639 instances, 656,188
`prepare_value` calls and psycopg's client-side parsing of the huge statements, for 13,975
steps). On PostgreSQL `insert()` sends the rows as ONE parameter, a JSON array of
arrays, and inserts `SELECT … FROM jsonb_array_elements(…)`: a statement of a few parameters
whatever the batch's size. jsonb, not json: `r->>i` on json parses the row's text again for
each column it reads, on jsonb it indexes into the array parsed once (5,000 notices: 34 → 14 ms).
Elsewhere (SQLite, the embedded default with its small batches) it is `bulk_create`.

`insert()` fills every column the caller leaves out with its field's default (one value for
the whole batch), so a row comes out as `Model.objects.create()` would make it. It does not
call `save()`, send signals or derive the municipality key: the caller names `municipality_id`.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from django.db import connection, models
from django.db.models import Q
from django.db.models.expressions import RawSQL


def skips_conflicts() -> bool:
    """Does `insert(…, on_conflict_do_nothing=True)` leave out conflicting rows here? Elsewhere
    the caller must look for them first."""
    return connection.vendor == "postgresql"


def insert(
    model: type[models.Model],
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    returning: Sequence[str] = (),
    on_conflict_do_nothing: bool = False,
    same: dict[str, Any] | None = None,
) -> list[tuple[Any, ...]]:
    """Insert `rows` (values in the order of `columns`, each an attname such as "user_id") and
    return the `returning` columns of each inserted row (in no particular order: return a key
    with the id to match them up). `same` gives columns whose value is that of every row, sent
    once (the sweep's municipality and moment: a million datetimes fewer to encode). On
    PostgreSQL, with `on_conflict_do_nothing`, a row that breaks a unique constraint is left out
    and is missing from what is returned."""
    if not rows:
        return []
    same = same or {}
    fields = {f.attname: f for f in model._meta.concrete_fields}
    named = [fields[c] for c in columns]
    rest = [
        f
        for f in fields.values()
        if f.attname not in columns and f.attname not in same and not f.primary_key
    ]
    if connection.vendor != "postgresql":
        # (`on_conflict_do_nothing` is PostgreSQL's: here a conflict raises IntegrityError and
        # the unique constraint still holds; the sweep checks for recorded steps first.)
        objs = [model(**same, **dict(zip(columns, row, strict=True))) for row in rows]
        created = model._default_manager.bulk_create(objs)
        return [tuple(getattr(o, c) for c in returning) for o in created]
    qn = connection.ops.quote_name
    types = [f.cast_db_type(connection) for f in named]
    given = [fields[c] for c in same]
    # The columns given once and the defaults of those left out: one value each, for every row.
    defaults = [fields[c].get_db_prep_save(v, connection) for c, v in same.items()] + [
        f.get_db_prep_save(f.get_default(), connection) for f in rest
    ]
    select = [f"(r->>{i})::{t}" for i, t in enumerate(types)] + ["%s"] * (len(given) + len(rest))
    sql = (
        f"INSERT INTO {qn(model._meta.db_table)} "
        f"({', '.join(qn(str(f.column)) for f in [*named, *given, *rest])}) "
        f"SELECT {', '.join(select)} FROM jsonb_array_elements(%s::jsonb) AS r"
    )
    if on_conflict_do_nothing:
        sql += " ON CONFLICT DO NOTHING"
    if returning:
        sql += f" RETURNING {', '.join(qn(str(fields[c].column)) for c in returning)}"
    with connection.cursor() as cur:
        # The defaults' placeholders come first in the text (SELECT), the rows after (FROM).
        cur.execute(sql, [*defaults, rows_json(rows)])
        return [tuple(r) for r in cur.fetchall()] if returning else []


def among(field: str, ids: Sequence[int]) -> Q:
    """`field IN ids` for a batch of thousands of ids. On PostgreSQL the ids go as ONE array
    parameter (`IN (SELECT unnest(%s))`): a placeholder per id made Django prepare each value
    and the driver split a statement of 2,000 placeholders, 1.6 + 2.0 of the sweep's 70 s."""
    if connection.vendor != "postgresql":
        return Q(**{f"{field}__in": list(ids)})
    return Q(**{f"{field}__in": RawSQL("SELECT unnest(%s::bigint[])", [list(ids)])})


def rows_json(rows: Sequence[Sequence[Any]]) -> str:
    """The rows as ONE parameter: a JSON array of arrays, encoded in C (`json.dumps`). Sending
    each column as an array instead cost the driver a Python call and a quoting check per
    value (3.6 of the sweep's 18 s in cProfile). Datetimes go as ISO 8601 with their offset,
    which PostgreSQL reads back exactly."""
    return json.dumps(rows, default=_json_value, ensure_ascii=False, separators=(",", ":"))


def _json_value(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return _iso(value)
    if isinstance(value, Decimal | UUID):
        return str(value)
    raise TypeError(f"cannot send {type(value).__name__} in a bulk insert")


@functools.lru_cache(maxsize=1024)
def _iso(value: date) -> str:
    # A sweep's batch repeats a few deadlines and one moment thousands of times. (Equal
    # datetimes in other zones are the same instant, which any of their texts gives back.)
    return value.isoformat()
