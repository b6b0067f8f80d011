"""The isolation grid (issue 16): every page of the URLconf, asked by each user of みなと市 by GET
and POST, both for 高島市's objects and for みなと市's own case and sheet; their searches, CSV
exports, notifications and mails after a month of sweeps. Nothing of 高島市 may appear, nothing
of 高島市 may change, and no answer is an error. The patterns are the access test's table
(tests/test_url_access.py, generated from the URLconf: a new view cannot ship without a row)."""

from __future__ import annotations

import dataclasses

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from reminders.engine import sweep
from reminders.models import Mail
from tests.conftest import fetch_export
from tests.tenancy.conftest import TAKASHIMA_MARKS, City, office_hours_after
from tests.test_url_access import (
    ACCESS,
    ADMIN_NAMESPACE,
    Things,
    post_data,
    snapshot,
    things,  # noqa: F401  (the fixture of 高島市's objects)
    url_patterns,
)

WHO = ["counter", "staff", "coordinator", "admin"]


def marks(t: Things) -> list[str]:
    return [*TAKASHIMA_MARKS, t.plan.wish, t.sheet.request]


def leaks(text: str, t: Things, asked: str = "") -> list[str]:
    # (a search page repeats what was asked: that is not 高島市's)
    return [m for m in marks(t) if m in text and m not in asked]


def ask_everything(client: Client, viewer: User, t: Things, own: Things) -> list[str]:
    problems: list[str] = []
    data = post_data(t)
    for pattern in url_patterns():
        if pattern.name.startswith(f"{ADMIN_NAMESPACE}:"):
            continue
        row = ACCESS[pattern.name]
        for objects in (t, own):
            try:
                url = reverse(pattern.name, kwargs=row.kwargs(objects))
            except Exception as error:  # a builder that needs what みなと市 has not: skip
                problems.append(f"{pattern.name}: cannot build ({error})")
                continue
            for method in ("get", "post"):
                response = client.post(url, data) if method == "post" else client.get(url)
                if pattern.name in ("logout",):
                    client.force_login(viewer)
                if response.status_code >= 500:
                    problems.append(f"{viewer} {method} {url}: {response.status_code}")
                body = b"" if response.streaming else response.content
                found = leaks(body.decode("utf-8", "replace") + str(response.headers), t)
                if found:
                    problems.append(f"{viewer} {method.upper()} {url}: shows {found}")
            if objects is t or "pk" not in str(row.kwargs(objects)):
                break  # the second pass is for the pages of みなと市's own case and sheet
    return problems


def takashima_rows(t: Things) -> dict[str, list[dict[str, object]]]:
    municipality = t.world.a.municipality_id
    rows = snapshot("staff")
    return {
        label: [r for r in found if r.get("municipality_id", municipality) == municipality]
        for label, found in rows.items()
    }


@pytest.fixture
def grid(things: Things, minato: City) -> tuple[Things, Things]:  # noqa: F811
    # A month of sweeps first: both cities' reminders, notifications and mails exist.
    for moment in office_hours_after(40):
        sweep(moment)
    own = dataclasses.replace(things, case=minato.case, sheet=minato.sheet)
    return things, own


@pytest.mark.parametrize("who", WHO)
def test_a_user_of_one_city_sees_nothing_of_the_other(
    client: Client, grid: tuple[Things, Things], minato: City, who: str
) -> None:
    t, own = grid
    viewer = getattr(minato, who)
    before = takashima_rows(t)
    client.force_login(viewer)

    problems = ask_everything(client, viewer, t, own)

    assert problems == [], "\n".join(problems)
    assert takashima_rows(t) == before


def test_searches_exports_notifications_and_mails_keep_to_the_city(
    client: Client, grid: tuple[Things, Things], minato: City
) -> None:
    t, _ = grid
    client.force_login(minato.counter)
    for q in ("山田", "やまだ", "ﾔﾏﾀﾞ", t.case.number, t.sheet.number):
        text = client.get(reverse("cases:search"), {"q": q}).content.decode()
        assert leaks(text, t, asked=q) == [], q
        assert "港" not in q  # (the search ran: its own case is found by its own name below)
    assert "港 太郎" in client.get(reverse("cases:search"), {"q": "港"}).content.decode()
    client.force_login(minato.coordinator)
    for name in ("insight:figures_csv", "insight:indicators_csv", "insight:results_csv"):
        csv = fetch_export(client, reverse(name)).content.decode("utf-8-sig")
        assert leaks(csv, t) == [], name
    for user in (minato.counter, minato.staff, minato.coordinator):
        client.force_login(user)
        text = client.get(reverse("notifications:list")).content.decode()
        assert leaks(text, t) == []
    minato_mails = Mail.objects.filter(user__username__startswith="minato_")
    assert minato_mails.exists()
    for mail in minato_mails:
        assert leaks(mail.context, t) == []
