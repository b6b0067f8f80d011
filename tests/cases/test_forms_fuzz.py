"""Hypothesis over the consultation and sheet forms: whatever is POSTed, never a 500.

The test client re-raises any exception from a view, so an unhandled error fails the test; we
also require a 2xx/3xx/4xx status and, for a refused POST, that nothing was saved."""

from __future__ import annotations

from typing import Any

from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cases.models import Case
from sheets.models import Sheet
from tests.conftest import World, make_case, make_sheet

FUZZ = settings(
    max_examples=50,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

dates = st.one_of(
    st.dates().map(str),
    st.builds(
        lambda y, m, d: f"令和{y}年{m}月{d}日",
        st.integers(-5, 99),
        st.integers(0, 13),
        st.integers(0, 40),
    ),
    st.builds(
        lambda e, y, m, d: f"{e}{y}.{m}.{d}",
        st.sampled_from("RHSTrX"),
        st.integers(0, 99),
        st.integers(0, 13),
        st.integers(0, 40),
    ),
    st.text("０１２３４５６７８９年月日/-: 元令和", max_size=20),
)
numbers = st.one_of(st.integers(-(2**70), 2**70).map(str), st.floats().map(str))
texts = st.text(max_size=200)
values = st.one_of(texts, numbers, dates, st.lists(st.one_of(numbers, texts), max_size=4))


def form_data(fields: list[str]) -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries({}, optional={name: values for name in fields})


INTAKE_FIELDS = [
    "received_at",
    "agency",
    "channel",
    "district",
    "summary",
    "tags",
    "basis",
    "consent_agencies",
    "consent_scope",
    "people-TOTAL_FORMS",
    "people-INITIAL_FORMS",
    "people-MAX_NUM_FORMS",
    "people-0-name",
    "people-0-kana",
    "people-0-birth_year",
    "people-0-relation",
    "people-0-is_primary",
    "people-1-name",
    "people-1-birth_year",
]
SHEET_FIELDS = [
    "sender_agency",
    "receivers",
    "request",
    "sender_continuing",
    "shared_info",
    "urgency",
]
MOVE_FIELDS = ["assignee", "roles", "text", "outcome", "note", "to", "reason"]


def ok(status: int) -> bool:
    return 200 <= status < 500


def test_intake_never_fails(client: Client, world: World) -> None:
    client.force_login(world.alice)

    @FUZZ
    @given(data=form_data(INTAKE_FIELDS))
    def run(data: dict[str, Any]) -> None:
        before = Case.objects.count()
        response = client.post(reverse("cases:new"), data)
        assert ok(response.status_code)
        if response.status_code != 302:
            assert Case.objects.count() == before

    run()


def test_case_edit_never_fails(client: Client, world: World) -> None:
    case = make_case(world)
    client.force_login(world.alice)

    @FUZZ
    @given(data=form_data(["version", *INTAKE_FIELDS[:9]]))
    def run(data: dict[str, Any]) -> None:
        response = client.post(reverse("cases:edit", args=[case.pk]), data)
        assert ok(response.status_code)

    run()


def test_sheet_issue_never_fails(client: Client, world: World) -> None:
    case = make_case(world)
    client.force_login(world.alice)

    @FUZZ
    @given(data=form_data(SHEET_FIELDS))
    def run(data: dict[str, Any]) -> None:
        before = Sheet.objects.count()
        response = client.post(reverse("sheets:new", args=[case.pk]), data)
        assert ok(response.status_code)
        if response.status_code != 302:
            assert Sheet.objects.count() == before

    run()


def test_sheet_moves_never_fail(client: Client, world: World) -> None:
    sheet = make_sheet(world)
    actions = ["acknowledge", "progress", "close", "redirect", "withdraw"]

    @FUZZ
    @given(
        action=st.sampled_from(actions),
        who=st.sampled_from(["alice", "bob"]),
        data=form_data(MOVE_FIELDS),
    )
    def run(action: str, who: str, data: dict[str, Any]) -> None:
        client.force_login(getattr(world, who))
        response = client.post(reverse(f"sheets:{action}", args=[sheet.pk]), data)
        assert ok(response.status_code)

    run()


def test_list_filters_and_search_never_fail(client: Client, world: World) -> None:
    make_sheet(world)
    client.force_login(world.bob)

    @FUZZ
    @given(
        page=st.sampled_from(["cases:list", "sheets:inbox", "sheets:outbox", "cases:search"]),
        data=form_data(["status", "district", "tag", "holding", "overdue", "page", "q"]),
    )
    def run(page: str, data: dict[str, Any]) -> None:
        assert ok(client.get(reverse(page), data).status_code)

    run()
