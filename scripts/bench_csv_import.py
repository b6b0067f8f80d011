#!/usr/bin/env python
"""Time the all-or-nothing CSV import of 10,000 agencies and 10,000 memberships.

Runs in a throwaway test database (never the real one), like the test suite:
    .venv/bin/python scripts/bench_csv_import.py
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/tsumugi \
        .venv/bin/python scripts/bench_csv_import.py
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tsumugi.settings")

import django

django.setup()

from django.db import connection  # noqa: E402
from django.test.utils import (  # noqa: E402
    CaptureQueriesContext,
    setup_databases,
    setup_test_environment,
    teardown_databases,
)

ROWS = 10_000


def main() -> None:
    from areas import csvio
    from areas.models import Agency, Area, Field

    city = Area.objects.create(code="city", name="市", layer=Area.Layer.CITY)
    for code, name in (("north", "北"), ("south", "南")):
        Area.objects.create(code=code, name=name, layer=Area.Layer.DISTRICT, parent=city)
    Field.objects.create(code="elderly", name="高齢")
    Field.objects.create(code="poverty", name="生活困窮")
    Agency.objects.create(code="home", name="本庁", kind=Agency.Kind.DEPARTMENT)

    agencies = "コード,機関名,種別,分野,担当区域\r\n" + "".join(
        f"a{i},機関{i},庁外の機関,高齢、生活困窮,北、南\r\n" for i in range(ROWS)
    )
    members = "ユーザー名,姓,名,機関コード,役割,職種・立場\r\n" + "".join(
        f"u{i},職員{i},花子,{'home' if i % 2 else f'a{i}'},職員,相談員\r\n" for i in range(ROWS)
    )
    for label, importer, data in (
        ("agencies (UTF-8)", csvio.import_agencies, agencies.encode("utf-8-sig")),
        ("memberships (CP932)", csvio.import_memberships, members.encode("cp932")),
        ("agencies again (all unchanged)", csvio.import_agencies, agencies.encode("utf-8")),
    ):
        started = time.perf_counter()
        with CaptureQueriesContext(connection) as queries:
            result = importer(data)
        elapsed = time.perf_counter() - started
        assert result.ok, result.errors[:5]
        print(
            f"{ROWS:,} rows, {label}: {elapsed:.2f} s, {len(queries)} queries "
            f"(new {result.created}, updated {result.updated}, unchanged {result.unchanged}) "
            f"on {connection.vendor}"
        )


if __name__ == "__main__":
    setup_test_environment()
    old_config = setup_databases(verbosity=0, interactive=False)
    try:
        main()
    finally:
        teardown_databases(old_config, verbosity=0)
