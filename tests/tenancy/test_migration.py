"""Migrating a single-city database keeps every row: the data that was there becomes the first
municipality's (tenancy/backfill.py), the case-number counter included, and the rows of the
many-to-many join tables take their parent row's.

The single-city database is a new one, migrated from nothing to the schema before tenancy, not
the test database migrated back: unapplying renders every later migration's state twice (Django
re-renders the models related to each changed relation, and every table here is related through
the municipality), which took three times as long as the forward migration this test is about."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.db.migrations.executor import MigrationExecutor

BEFORE = [
    ("tenancy", None),
    ("areas", "0007_agency_card"),
    ("cases", "0009_residents"),
    ("sheets", "0012_paper_and_phone"),
    ("meetings", "0009_packet_per_audience"),
    ("plans", "0005_review_cursor_moves_to_reminders"),
    ("reminders", "0004_export"),
    ("insight", "0001_targets"),
]


@contextmanager
def empty_database(tmp_path: Path) -> Iterator[Any]:
    """A new, empty database of the same kind as the test database, standing in for it as the
    default connection (the data migrations use the default)."""
    test_db = connections[DEFAULT_DB_ALIAS]
    settings = dict(test_db.settings_dict)
    postgres = test_db.vendor == "postgresql"
    if postgres:
        settings["NAME"] = f"{settings['NAME']}_migration"
    else:
        settings["NAME"] = str(tmp_path / "single_city.sqlite3")

    def create_or_drop(statement: str) -> None:
        # On a connection of its own: the test's is inside its transaction.
        own = test_db.__class__(dict(test_db.settings_dict), "migration_admin")
        try:
            with own.cursor() as cursor:
                cursor.execute('DROP DATABASE IF EXISTS "{}"'.format(settings["NAME"]))
                if statement == "create":
                    cursor.execute('CREATE DATABASE "{}"'.format(settings["NAME"]))
        finally:
            own.close()

    if postgres:
        create_or_drop("create")
    empty = test_db.__class__(settings, DEFAULT_DB_ALIAS)
    connections[DEFAULT_DB_ALIAS] = empty
    try:
        yield empty
    finally:
        empty.close()
        connections[DEFAULT_DB_ALIAS] = test_db
        if postgres:
            create_or_drop("drop")


@pytest.mark.django_db
def test_the_rows_of_one_city_become_the_first_municipality(tmp_path: Path) -> None:
    with empty_database(tmp_path):
        executor = MigrationExecutor(connection)
        latest = executor.loader.graph.leaf_nodes()
        executor.migrate(BEFORE)
        old = executor.loader.project_state([(a, n) for a, n in BEFORE if n]).apps
        area = old.get_model("areas", "Area")
        agency = old.get_model("areas", "Agency")
        user = old.get_model("auth", "User")
        membership = old.get_model("areas", "Membership")
        counter = old.get_model("cases", "CaseCounter")
        case = old.get_model("cases", "Case")
        city = area.objects.create(code="takashima", name="高島市", layer=1)
        kutsuki = area.objects.create(code="kutsuki", name="朽木", layer=2, parent=city)
        branch = agency.objects.create(code="kutsuki-branch", name="朽木支所", kind="branch")
        alice = user.objects.create(username="alice")
        membership.objects.create(user=alice, agency=branch, role="counter")
        counter.objects.create(fiscal_year=2026, last=41)
        # The default outcomes an earlier data migration wrote: they become the city's too.
        assert old.get_model("sheets", "Outcome").objects.filter(code="support").exists()
        at = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)
        opened = case.objects.create(
            number="2026-00041",
            fiscal_year=2026,
            serial=41,
            agency=branch,
            received_at=at,
            channel="window",
            received_by=alice,
            district=kutsuki,
            summary="概要",
            basis="consent",
            last_activity_at=at,
        )
        elderly = old.get_model("areas", "Field").objects.create(code="elderly", name="高齢")
        branch.fields.add(elderly)
        branch.districts.add(kutsuki)
        tag = old.get_model("cases", "IssueTag").objects.create(
            code="8050", name="8050", field=elderly
        )
        opened.tags.add(tag)
        consent = old.get_model("cases", "Consent").objects.create(
            case=opened, obtained_by=alice, obtained_at=at, method="written"
        )
        consent.agencies.add(branch)
        body = old.get_model("areas", "Body").objects.create(
            code="kutsuki", name="朽木くらし連携会議", kind="district", area=kutsuki
        )
        meeting = old.get_model("meetings", "Meeting").objects.create(
            body=body, date=at.date(), start_time=at.time(), place="朽木支所", created_by=alice
        )
        item = old.get_model("meetings", "AgendaItem").objects.create(
            meeting=meeting, kind="theme", theme="見守り"
        )
        item.needed_agencies.add(branch)

        executor = MigrationExecutor(connection)
        executor.migrate(latest)
        new = executor.loader.project_state(latest).apps
        municipality = new.get_model("tenancy", "Municipality").objects.get()
        assert (municipality.name, municipality.code) == ("高島市", "252123")
        for label in ("areas.Area", "areas.Agency", "areas.Membership", "cases.Case"):
            model = new.get_model(label)
            assert set(model.objects.values_list("municipality_id", flat=True)) == {
                municipality.pk
            }, label
        assert new.get_model("areas", "Area").objects.count() == 2
        moved = new.get_model("cases", "CaseCounter").objects.get()
        assert (moved.municipality_id, moved.fiscal_year, moved.last) == (municipality.pk, 2026, 41)
        belonging = new.get_model("tenancy", "Belonging").objects.get()
        assert (belonging.user_id, belonging.municipality_id) == (alice.pk, municipality.pk)
        outcomes = new.get_model("sheets", "Outcome").objects
        assert outcomes.get(code="support").municipality_id == municipality.pk
        assert set(outcomes.values_list("municipality_id", flat=True)) == {municipality.pk}
        joins = {
            "areas.AgencyField": ("agency_id", "field_id", branch.pk, elderly.pk),
            "areas.AgencyDistrict": ("agency_id", "area_id", branch.pk, kutsuki.pk),
            "cases.CaseTag": ("case_id", "issuetag_id", opened.pk, tag.pk),
            "cases.ConsentAgency": ("consent_id", "agency_id", consent.pk, branch.pk),
            "meetings.NeededAgency": ("agendaitem_id", "agency_id", item.pk, branch.pk),
        }
        for label, (a, b, a_id, b_id) in joins.items():
            rows = list(new.get_model(label).objects.values_list("municipality_id", a, b))
            assert rows == [(municipality.pk, a_id, b_id)], label
