"""Exact query count for the case list, the same with 10 and 1,000 cases."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from pytest_django import DjangoAssertNumQueries

from cases.models import Access, Basis, Case, Channel
from tests.conftest import World, make_case, make_tags, signed_in

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
# (11 with the municipality's office hours, read once per request: tenancy.models.defaults_of)
CASE_LIST_QUERIES = 11


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


# Search by name for alice, however many cases match (up to the limit of 50):
#   1 session, 2 user, 3 SAVEPOINT (the view's transaction), 4 memberships (scope),
#   5 the ids of the matching cases she may see (the person index; names only where the rule
#   lets her see them), 6 those cases with agency and district and the rule's answer,
#   7 their tags, 8 their people (prefetch), 9 the 閲覧記録 of the named ones (one INSERT),
#   10 navigation counts (one statement), 11 RELEASE.
SEARCH_QUERIES = 11
# A case's 閲覧記録, for the coordinator, however long the log:
#   1 session, 2 user, 3 memberships, 4 the districts a city-wide coordinator covers (scope),
#   5 the case (visible_to), 6 COUNT of its reads for the paginator, 7 navigation counts,
#   8 the page of 50 reads with user and agency joined.
ACCESS_LOG_QUERIES = 8


@pytest.mark.parametrize("count", [1, 30])
def test_search_query_count_does_not_grow(
    client: Client, world: World, django_assert_num_queries: DjangoAssertNumQueries, count: int
) -> None:
    for _ in range(count):
        make_case(world)
    signed_in(client, world.alice)
    with django_assert_num_queries(SEARCH_QUERIES):
        response = client.get(reverse("cases:search"), {"q": "やまだ"})
    assert response.status_code == 200
    assert Access.objects.filter(what="検索結果").count() == count  # one INSERT for all


@pytest.mark.parametrize("count", [1, 80])
def test_access_log_query_count_does_not_grow(
    client: Client, world: World, django_assert_num_queries: DjangoAssertNumQueries, count: int
) -> None:
    case = make_case(world)
    readers = [world.alice, world.bob, world.coordinator]
    Access.objects.bulk_create(
        Access(case=case, user=readers[i % 3], agency=world.a, what=f"閲覧{i}")
        for i in range(count)
    )
    signed_in(client, world.coordinator)
    with django_assert_num_queries(ACCESS_LOG_QUERIES):
        response = client.get(reverse("cases:accesses", args=[case.pk]))
    assert response.status_code == 200
    assert response.content.decode().count("閲覧") >= min(count, 50)
