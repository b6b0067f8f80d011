"""Migrating a single-city database keeps every row: the data that was there becomes the first
municipality's (tenancy/backfill.py), the case-number counter included."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from tenancy import rls

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


@pytest.mark.django_db(transaction=True)
def test_the_rows_of_one_city_become_the_first_municipality() -> None:
    executor = MigrationExecutor(connection)
    latest = executor.loader.graph.leaf_nodes()
    try:
        rls.uninstall()
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
        old.get_model("sheets", "Outcome").objects.create(code="support", name="支援開始")
        at = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)
        case.objects.create(
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
        outcome = new.get_model("sheets", "Outcome").objects.get(code="support")
        assert outcome.municipality_id == municipality.pk
    finally:
        MigrationExecutor(connection).migrate(latest)
        rls.install()
