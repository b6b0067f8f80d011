"""PostgreSQL's row-level security under the app's own scoping (issue 16, point 3): inside a
request of みなと市's staff, even a raw query — no ORM, no app filter — reads none of 高島市's
rows and cannot write one; outside requests (the worker, the sweep) every row is there."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.contrib.sessions.backends.db import SessionStore
from django.db import DatabaseError, connection, transaction
from django.http import HttpRequest, HttpResponse
from django.test import RequestFactory

from tenancy.checks import LEAKPROOF_FUNCTIONS, like_is_leakproof
from tenancy.middleware import MunicipalityMiddleware
from tests.conftest import World
from tests.tenancy.conftest import City

pytestmark = pytest.mark.postgres


@pytest.fixture(autouse=True)
def postgresql_only() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("row-level security is PostgreSQL's")


@pytest.fixture
def subject_to_policies() -> Iterator[None]:
    """The suite runs as the app's own role in CI (NOSUPERUSER NOBYPASSRLS, .ci/run); run as a
    superuser (a workstation), the test takes such a role for its transaction."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT rolsuper OR rolbypassrls FROM pg_roles WHERE rolname = current_user")
        row = cursor.fetchone()
        bypasses = bool(row and row[0])
        if bypasses:
            cursor.execute("CREATE ROLE tsumugi_rls_probe NOLOGIN NOSUPERUSER NOBYPASSRLS")
            cursor.execute("GRANT ALL ON ALL TABLES IN SCHEMA public TO tsumugi_rls_probe")
            cursor.execute("GRANT ALL ON ALL SEQUENCES IN SCHEMA public TO tsumugi_rls_probe")
            cursor.execute("SET LOCAL ROLE tsumugi_rls_probe")
    yield


def request_of(user: Any) -> HttpRequest:
    request = RequestFactory().get("/")
    request.user = user
    request.session = SessionStore()
    return request


def run_in_request(user: Any, sql: str, params: list[Any] | None = None) -> list[Any]:
    rows: list[Any] = []

    def view(request: HttpRequest) -> HttpResponse:
        with connection.cursor() as cursor:
            cursor.execute(sql, params or [])
            if cursor.description is not None:
                rows.extend(cursor.fetchall())
        return HttpResponse("ok")

    MunicipalityMiddleware(view)(request_of(user))
    return rows


def count_sql(table: str, municipality_id: int | None = None) -> str:
    sql = f"SELECT count(*) FROM {table}"
    return sql if municipality_id is None else sql + f" WHERE municipality_id = {municipality_id}"


TABLES = [
    "sheets_sheet",
    "cases_case",
    "cases_person",
    "areas_agency",
    "cases_event",
    # the many-to-many join tables (keyed `through` models)
    "areas_agency_fields",
    "areas_agency_districts",
    "cases_case_tags",
    "cases_consent_agencies",
]


def test_a_raw_query_in_a_request_reads_only_the_users_municipality(
    world: World, minato: City, subject_to_policies: None
) -> None:
    takashima = world.a.municipality_id
    for table in TABLES:
        assert run_in_request(minato.staff, count_sql(table, takashima)) == [(0,)], table
        (mine,) = run_in_request(minato.staff, count_sql(table))
        assert mine[0] >= 1, table
        assert run_in_request(minato.staff, count_sql(table, minato.municipality.pk)) == [mine]
    # outside a request every row is there (the worker's, the sweep's view)
    with connection.cursor() as cursor:
        cursor.execute(count_sql("areas_agency", takashima))
        assert cursor.fetchone()[0] == 4


def test_a_request_of_nobody_reads_no_municipality(
    world: World, minato: City, subject_to_policies: None
) -> None:
    for table in TABLES:
        assert run_in_request(AnonymousUser(), count_sql(table)) == [(0,)], table


def test_a_raw_write_into_another_municipality_is_refused(
    world: World, minato: City, subject_to_policies: None
) -> None:
    sql = (
        "INSERT INTO areas_closure (municipality_id, date, reason)"
        " VALUES (%s, DATE '2027-02-01', '港から書いた')"
    )
    with pytest.raises(DatabaseError, match="row-level security"), transaction.atomic():
        run_in_request(minato.staff, sql, [world.a.municipality_id])
    # and a raw update of the other city's rows changes nothing
    changed = run_in_request(
        minato.staff,
        "UPDATE areas_agency SET phone = '000' WHERE municipality_id = %s RETURNING id",
        [world.a.municipality_id],
    )
    assert changed == []


def test_a_row_pointing_into_another_municipality_is_refused(
    world: World, minato: City, subject_to_policies: None
) -> None:
    """The composite foreign keys: a sheet of 高島市's case cannot name みなと市's agency, even
    outside any request."""
    sheet_id = minato.sheet.pk
    with (
        pytest.raises(DatabaseError, match="foreign key"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(
            "UPDATE sheets_sheet SET receiver_agency_id = %s WHERE id = %s",
            [world.b.pk, sheet_id],
        )
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")


def plan_in_request(user: Any, sql: str) -> str:
    """EXPLAIN of `sql` as the request of `user` runs it, with sequential scans priced out so
    the plan shows whether an index *may* answer it (the test tables are tiny)."""
    lines: list[str] = []

    def view(request: HttpRequest) -> HttpResponse:
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute(f"EXPLAIN (COSTS OFF) {sql}")
            lines.extend(str(row[0]) for row in cursor.fetchall())
            cursor.execute("SET LOCAL enable_seqscan = on")
        return HttpResponse("ok")

    MunicipalityMiddleware(view)(request_of(user))
    return "\n".join(lines)


def test_the_policy_reads_the_setting_once_per_query(
    world: World, minato: City, subject_to_policies: None
) -> None:
    """The policy's functions run once (an InitPlan), not for every row: on 1,000,000 sheets
    the per-row form cost 2.2 s where the same scan without the policy took 0.6 s."""
    plan = plan_in_request(minato.staff, "SELECT count(*) FROM sheets_sheet")
    assert "InitPlan" in plan, plan
    scan_filters = [line for line in plan.splitlines() if "Filter" in line or "Cond" in line]
    assert not any("current_setting" in line for line in scan_filters), plan


def test_the_name_search_may_use_its_index_under_the_policy(
    world: World, minato: City, subject_to_policies: None
) -> None:
    """LIKE is declared LEAKPROOF (deploy/postgres-leakproof.sql, run by .ci/run on template1),
    so the trigram index answers the name search under row security; without it PostgreSQL
    must apply the policy first and reads every person (2.3 s instead of 1.5 ms)."""
    plan = plan_in_request(
        minato.staff, "SELECT id FROM cases_person WHERE search_key LIKE '%やまだ%'"
    )
    assert "person_search_key_trgm" in plan, plan


@pytest.mark.parametrize(
    ("condition", "index"),
    [
        ('LENGTH("sender_continuing") <= 12', "sheet_insight_continuing_len"),
        ("status = 'acknowledged' AND LENGTH(\"roles\") <= 12", "sheet_insight_status_roles"),
    ],
)
def test_the_failure_modes_short_texts_may_use_their_indexes_under_the_policy(
    world: World, minato: City, subject_to_policies: None, condition: str, index: str
) -> None:
    """length(text) is declared LEAKPROOF too (deploy/postgres-leakproof.sql): 丸投げ and
    あいまい find the few short texts through these indexes instead of reading every open sheet
    after the policy (513 and 562 ms on 1,000,000 sheets; 4 ms each through the index)."""
    plan = plan_in_request(minato.staff, f"SELECT id FROM sheets_sheet WHERE {condition}")
    conditions = [line for line in plan.splitlines() if "Index Cond" in line]
    assert index in plan and any("length" in line for line in conditions), plan


def test_the_deploy_check_watches_every_function_the_deploy_file_declares(db: None) -> None:
    """tenancy.W003 warns for each function deploy/postgres-leakproof.sql makes LEAKPROOF, so a
    database set up without one of them is found by `check --deploy`."""
    sql = (Path(settings.BASE_DIR) / "deploy" / "postgres-leakproof.sql").read_text()
    declared = re.findall(r"^ALTER FUNCTION (\S+\(.*?\)) LEAKPROOF;", sql, re.MULTILINE)
    assert declared
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT array_agg(f::regprocedure::text ORDER BY f) FROM unnest(%s::text[]) f",
            [declared],
        )
        (names,) = cursor.fetchone()
    assert sorted(names) == sorted(LEAKPROOF_FUNCTIONS)
    assert like_is_leakproof(databases=["default"]) == []


def test_a_raw_query_in_a_request_reads_no_join_row_of_another_municipality(
    world: World, minato: City, subject_to_policies: None
) -> None:
    """The join tables had no key before they got `through` models: 高島市's agency–分野 rows
    (分野 being national, only the agency names the city) are invisible to みなと市's staff."""
    sql = "SELECT agency_id FROM areas_agency_fields ORDER BY agency_id"
    assert run_in_request(minato.staff, sql) == [(minato.receiver.pk,)]
    assert run_in_request(world.bob, sql) == [(world.b.pk,)]
    with connection.cursor() as cursor:
        cursor.execute(sql)
        assert cursor.fetchall() == [(world.b.pk,), (minato.receiver.pk,)]
