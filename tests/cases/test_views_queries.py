"""Exact query count for the case list, the same with 10 and 1,000 cases."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from pytest_django import DjangoAssertNumQueries

from cases.models import Basis, Case, Channel
from tests.conftest import World, make_tags, signed_in

RECEIVED = datetime(2026, 10, 1, 1, 0, tzinfo=UTC)


def bulk_cases(world: World, count: int) -> None:
    tags = list(make_tags(world).values())
    cases = Case.objects.bulk_create(
        Case(
            number=f"2026-{i + 1:05d}",
            fiscal_year=2026,
            serial=i + 1,
            agency=world.a,
            received_at=RECEIVED + timedelta(minutes=i),
            channel=Channel.WINDOW,
            received_by=world.alice,
            district=world.kutsuki,
            summary="概要",
            basis=Basis.CONSENT,
            field_count=2,
            last_activity_at=timezone.now(),
        )
        for i in range(count)
    )
    through = Case.tags.through
    through.objects.bulk_create(
        through(case_id=case.pk, issuetag_id=tag.pk) for case in cases for tag in tags[:2]
    )


# Case list for alice, in order:
#   1 session row, 2 user row,
#   3 admin closures (business calendar, for the 抱え込み cut-off date),
#   4 memberships of the user (scope_of),
#   5 COUNT of the listed cases for the paginator,
#   6 navigation: COUNT of open sheets in my inbox and COUNT of unread notices (one statement),
#   7 districts for the filter's <select>, 8 tags for the filter's <select>,
#   9 the page of 25 cases with agency and district joined and the 抱え込み flag computed
#      in SQL (NOT EXISTS a sheet),
#   10 the tags of those 25 cases (prefetch). (The idle-timeout stamp was written by the
#   first request after signing in: signed_in.)
CASE_LIST_QUERIES = 10


@pytest.mark.parametrize("count", [10, 1000])
def test_case_list_query_count_does_not_grow(
    client: Client, world: World, django_assert_num_queries: DjangoAssertNumQueries, count: int
) -> None:
    bulk_cases(world, count)
    signed_in(client, world.alice)
    with django_assert_num_queries(CASE_LIST_QUERIES):
        response = client.get(reverse("cases:list"))
    html = response.content.decode()
    assert html.count('data-testid="holding-flag"') == min(count, 25)
    with django_assert_num_queries(CASE_LIST_QUERIES):
        client.get(reverse("cases:list"), {"page": "2", "holding": "on", "status": "open"})


def test_coordinator_case_list_adds_only_the_district_lookup(
    client: Client, world: World, django_assert_num_queries: DjangoAssertNumQueries
) -> None:
    bulk_cases(world, 30)
    signed_in(client, world.coordinator)
    # One more than alice: scope_of reads the districts a city-wide coordinator covers.
    with django_assert_num_queries(CASE_LIST_QUERIES + 1):
        client.get(reverse("cases:list"))
