"""The unread badge the page refreshes every minute (htmx): a tiny answer, and a poll is not the
person at the PC — an open page must not keep an idle session alive."""

from __future__ import annotations

from datetime import timedelta

import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from pytest_django import DjangoAssertNumQueries

from tests.conftest import World, make_sheet, signed_in
from tsumugi.middleware import LAST_SEEN_KEY

POLL = {"HX-Request": "true"}


def test_the_badge_is_the_count_of_unread_subjects_in_three_queries(
    client: Client, world: World, django_assert_num_queries: DjangoAssertNumQueries
) -> None:
    make_sheet(world)  # bob hears of the new sheet
    make_sheet(world)
    signed_in(client, world.bob)
    # 1 session, 2 user, 3 COUNT of unread subjects (no scope, no menu: not the page's context)
    with django_assert_num_queries(3):
        response = client.get(reverse("notifications:badge"), headers=POLL)
    html = response.content.decode()
    assert response.status_code == 200 and "<html" not in html
    assert 'data-testid="unread-badge">2<' in html and 'hx-trigger="every 60s"' in html
    client.force_login(world.charlie)  # nobody else's notices
    assert (
        'data-testid="unread-badge"'
        not in client.get(reverse("notifications:badge")).content.decode()
    )


def test_polling_for_an_hour_does_not_keep_an_idle_session_alive(
    client: Client, world: World
) -> None:
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        signed_in(client, world.bob)
        stamped = client.session[LAST_SEEN_KEY]
        for _ in range(29):
            traveller.shift(timedelta(minutes=1))
            assert client.get(reverse("notifications:badge"), headers=POLL).status_code == 200
            assert client.session[LAST_SEEN_KEY] == stamped  # not activity
        traveller.shift(timedelta(minutes=2))
        # Thirty-one minutes after the last thing bob did, the poll finds the session ended:
        # it ends it and tells htmx to stop polling, instead of answering the sign-in page.
        response = client.get(reverse("notifications:badge"), headers=POLL)
        assert response.status_code == 286 and response.content == b""
        page = client.get(reverse("home"))
        assert page.status_code == 302 and page["Location"].startswith("/login/")


def test_a_page_the_person_opens_is_still_activity(client: Client, world: World) -> None:
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        signed_in(client, world.bob)
        stamped = client.session[LAST_SEEN_KEY]
        traveller.shift(timedelta(minutes=2))
        client.get(reverse("notifications:badge"), headers=POLL)
        client.get(reverse("sheets:inbox"))
        assert client.session[LAST_SEEN_KEY] == stamped + 120


def test_a_signed_out_poll_stops_without_sending_to_sign_in(client: Client, db: None) -> None:
    response = client.get(reverse("notifications:badge"), headers=POLL)
    assert response.status_code == 286 and "Location" not in response
