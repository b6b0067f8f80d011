"""Bad input on the plan pages: a Japanese message, nothing saved, never a 500."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from plans.models import Plan, Status
from tests.conftest import World, make_case
from tests.plans.conftest import draft


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"review_date": "9999-01-01"}, "2100年12月31日までの範囲"),
        ({"review_date": "0001-01-01"}, "1900年1月1日から"),
        ({"period_end": "2026-01-01"}, "終了は開始より後"),
        ({"wish": ""}, "本人の思い"),
    ],
)
def test_a_bad_plan_edit_saves_nothing(world: World, data: dict[str, str], message: str) -> None:
    plan = draft(world)
    before = (plan.wish, plan.period_end, plan.review_date)
    client = Client()
    client.force_login(world.coordinator)
    form = {
        "wish": "新しい思い",
        "period_start": "令和8年12月10日",
        "period_end": "R9.6.30",
        "review_date": "２０２７－０３－１０",
        **data,
    }
    response = client.post(reverse("plans:edit", args=[plan.pk]), form, follow=True)
    assert response.status_code == 200
    assert message in response.content.decode()
    plan.refresh_from_db()
    assert (plan.wish, plan.period_end, plan.review_date) == before
    assert plan.status == Status.DRAFT


def test_wareki_and_full_width_dates_are_read(world: World) -> None:
    plan = draft(world)
    client = Client()
    client.force_login(world.coordinator)
    form = {
        "wish": "新しい思い",
        "period_start": "令和8年12月10日",
        "period_end": "R9.6.30",
        "review_date": "２０２７－０３－１０",
    }
    client.post(reverse("plans:edit", args=[plan.pk]), form)
    plan.refresh_from_db()
    assert (str(plan.period_start), str(plan.period_end), str(plan.review_date)) == (
        "2026-12-10",
        "2027-06-30",
        "2027-03-10",
    )


def test_unknown_moves_and_decisions_are_refused_in_japanese(world: World) -> None:
    plan = draft(world)
    client = Client()
    client.force_login(world.coordinator)
    page = client.post(reverse("plans:move", args=[plan.pk, "delete"]), follow=True)
    assert "この操作はありません" in page.content.decode()
    case = make_case(world)
    response = client.post(reverse("plans:decide", args=[case.pk]), {"reason": " "})
    assert response.status_code == 400
    assert not case.support_decisions.exists()
    assert Plan.objects.get(pk=plan.pk).status == Status.DRAFT
