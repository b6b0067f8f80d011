"""System checks: the request middleware is installed, and on PostgreSQL the app's role is
subject to row-level security (a superuser or a BYPASSRLS role skips every policy) and LIKE and
length(text) may use an index under it (deploy/postgres-leakproof.sql)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, Warning
from django.core.checks import register as register_check
from django.db import connections

MIDDLEWARE = "tenancy.middleware.MunicipalityMiddleware"


def middleware_installed(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    if MIDDLEWARE in settings.MIDDLEWARE:
        return []
    return [Error(f"{MIDDLEWARE} が MIDDLEWARE にありません。", id="tenancy.E001")]


def postgresql_answers(databases: Any, sql: str) -> list[Any]:
    """The first column of `sql`'s first row on each PostgreSQL database the check is run for."""
    answers = []
    for alias in databases or []:
        conn = connections[alias]
        if conn.vendor != "postgresql":
            continue
        with conn.cursor() as cursor:
            cursor.execute(sql)
            row = cursor.fetchone()
        answers.append(row[0] if row else None)
    return answers


def role_obeys_row_security(
    app_configs: Any = None, databases: Any = None, **kwargs: Any
) -> list[CheckMessage]:
    sql = "SELECT rolsuper OR rolbypassrls FROM pg_roles WHERE rolname = current_user"
    return [
        Error(
            "データベースのロールがスーパーユーザーか BYPASSRLS のため、"
            "市町村ごとの行レベルセキュリティが効きません。",
            hint="NOSUPERUSER NOBYPASSRLS のロールで接続してください（README「複数の市町村」）。",
            id="tenancy.E002",
        )
        for bypasses in postgresql_answers(databases, sql)
        if bypasses
    ]


# Functions whose conditions must be able to use an index under row security: LIKE (the name
# search) and length(text) (the failure modes' near-empty texts). deploy/postgres-leakproof.sql
# says why each may be LEAKPROOF.
LEAKPROOF_FUNCTIONS = ("textlike(text,text)", "length(text)")


def like_is_leakproof(
    app_configs: Any = None, databases: Any = None, **kwargs: Any
) -> list[CheckMessage]:
    signatures = ", ".join(f"'{signature}'::regprocedure" for signature in LEAKPROOF_FUNCTIONS)
    # One answer per database: the functions that are not LEAKPROOF ('' when none).
    sql = (
        "SELECT coalesce(string_agg(oid::regprocedure::text, ', ' ORDER BY oid), '') "
        f"FROM pg_proc WHERE oid IN ({signatures}) AND NOT proleakproof"
    )
    return [
        Warning(
            f"行レベルセキュリティのもとで {missing} が索引を使えないため、"
            "名前の検索や連携のつまずきの集計が全件を読みます。",
            hint="スーパーユーザーで deploy/postgres-leakproof.sql を実行してください。",
            id="tenancy.W003",
        )
        for missing in postgresql_answers(databases, sql)
        if missing
    ]


def register() -> None:
    register_check(middleware_installed)
    register_check(role_obeys_row_security, Tags.database, deploy=True)
    register_check(like_is_leakproof, Tags.database, deploy=True)
