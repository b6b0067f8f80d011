"""Exact query counts of the plan lists (by state, due for review), the same with 3 and 300
plans."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client
from django.urls import reverse
from pytest_django import DjangoAssertNumQueries

from cases.models import Basis, Case, Channel
from plans.models import Plan, Status, SupportDecision
from tests.conftest import World

NOW = datetime(2026, 11, 27, 1, 0, tzinfo=UTC)
STATES = [Status.DRAFT, Status.SUBMITTED, Status.ACTIVE, Status.ACTIVE, Status.CLOSED]


def bulk_plans(world: World, count: int) -> None:
    """`count` cases of 朽木 with a 支援決定 and one plan each, in three INSERTs."""
    cases = Case.objects.bulk_create(
        Case(
            number=f"2026-9{i:04d}",
            fiscal_year=2026,
            serial=90000 + i,
            agency=world.a,
            received_at=NOW,
            channel=Channel.WINDOW,
            received_by=world.alice,
            district=world.kutsuki,
            summary="概要",
            basis=Basis.CONSENT,
            last_activity_at=NOW,
        )
        for i in range(count)
    )
    decisions = SupportDecision.objects.bulk_create(
        SupportDecision(
            case=c, decided_at=NOW, decided_by=world.coordinator, agency=world.office, reason="r"
        )
        for c in cases
    )
    plans = []
    for i, (case, decision) in enumerate(zip(cases, decisions, strict=True)):
        status = STATES[i % len(STATES)]
        due = NOW + timedelta(days=(i % 10) - 5) if status == Status.ACTIVE else None
        plans.append(
            Plan(
                case=case,
                decision=decision,
                status=status,
                coordinator=world.coordinator,
                coordinator_agency=world.office,
                created_at=NOW,
                review_date=due.date() if due else None,
                review_due_at=due,
            )
        )
    Plan.objects.bulk_create(plans)


# Queries of a signed-in page, before the view's own: 1 session row, 2 user row;
# and after it: SAVEPOINT, UPDATE django_session (idle-timeout stamp), RELEASE SAVEPOINT.
# The plan list, in order:
#   3 memberships of the user (scope_of, cached for the request),
#   4 the districts the city-wide coordinator covers (scope_of),
#   5 status counts: one GROUP BY over my plans,
#   6 the rows (at most 200) with case, district and the coordinator's agency joined,
#   7 COUNT of my plans due for review (the tab's badge),
#   8 navigation: COUNT of open inbox sheets and COUNT of unread notices in one statement,
#   9-11 SAVEPOINT / UPDATE session / RELEASE.
LIST_QUERIES = 11


@pytest.mark.parametrize("count", [3, 300])
@pytest.mark.parametrize("query", ["", "?status=active", "?review=due"])
def test_plan_lists_take_the_same_queries_whatever_the_volume(
    world: World, django_assert_num_queries: DjangoAssertNumQueries, count: int, query: str
) -> None:
    bulk_plans(world, count)
    client = Client()
    client.force_login(world.coordinator)
    with django_assert_num_queries(LIST_QUERIES):
        response = client.get(reverse("plans:list") + query)
    assert response.status_code == 200
    rows = response.content.decode().count("第1版")
    expected = {
        "": min(count, 200),
        "?status=active": min(len([i for i in range(count) if i % 5 in (2, 3)]), 200),
    }
    if query in expected:
        assert rows == expected[query]
