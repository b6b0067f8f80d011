"""The whole 多機関協働 cycle through the pages, as a coordinator does it: 支援決定 →
アセスメント → プラン → 提出 → 重層的支援会議で承認 → 実施 → 見直しの督促 (time moved) → 評価 →
再プラン → 終結. Runs on SQLite and, in CI, on PostgreSQL."""

from __future__ import annotations

from datetime import datetime

import time_machine
from django.test import Client
from django.urls import reverse

from cases.models import Case
from plans.models import AssessmentItem, Goal, Plan, Status
from reminders.engine import sweep
from reminders.models import Notification
from tests.conftest import World, make_case
from tests.meetings.conftest import member
from tests.plans.conftest import NOW, Council


def post(client: Client, url: str, data: dict[str, object] | None = None) -> str:
    """POST, follow the redirect, and fail on any error message the page shows."""
    response = client.post(url, data or {}, follow=True)
    assert response.status_code == 200, url
    page = response.content.decode()
    assert "alert-danger" not in page, page[page.find("alert-danger") - 200 :][:600]
    return page


def fill_plan(client: Client, plan: Plan, world: World, wish: str) -> None:
    post(
        client,
        reverse("plans:edit", args=[plan.pk]),
        {
            "wish": wish,
            "period_start": "2026-12-10",
            "period_end": "2027-06-30",
            "review_date": "2027-03-10",
        },
    )
    if not plan.goals.exists():
        for term, text in (
            (Goal.Term.LONG, "地域で安心して暮らす"),
            (Goal.Term.SHORT, "通所を始める"),
        ):
            post(client, reverse("plans:goal_add", args=[plan.pk]), {"term": term, "text": text})
        for goal in plan.goals.all():
            post(
                client,
                reverse("plans:task_add", args=[plan.pk, goal.pk]),
                {
                    "agency": world.b.pk,
                    "membership": member(world.bob).pk,
                    "task": "月1回の訪問",
                    "due_date": "2027-01-29",
                },
            )


def approve(client: Client, plan: Plan, juusou: Council) -> None:
    post(client, reverse("plans:move", args=[plan.pk, "submit"]))
    post(client, reverse("plans:agenda_add", args=[plan.pk]), {"meeting": juusou.meeting.pk})
    entry = plan.agenda_items.get()
    post(
        client,
        reverse("plans:decision_add", args=[plan.pk, entry.pk]),
        {"kind": "approval", "note": "適切と判断"},
    )


def test_the_whole_cycle_through_the_pages(world: World, juusou: Council) -> None:
    with time_machine.travel(NOW, tick=False):
        case = make_case(world)
    client = Client()
    client.force_login(world.coordinator)
    with time_machine.travel(NOW, tick=True):
        page = client.get(reverse("cases:detail", args=[case.pk])).content.decode()
        assert "多機関協働の支援決定" in page
        post(client, reverse("plans:decide", args=[case.pk]), {"reason": "8050で複数機関の支援"})
        item = AssessmentItem.objects.get(code="household-8050")
        post(
            client,
            reverse("plans:assessment_new", args=[case.pk]),
            {f"item_{item.pk}": "on", f"note_{item.pk}": "母の介護と長男のひきこもり"},
        )
        assert case.assessments.get().answers.get().item == item
        post(client, reverse("plans:new", args=[case.pk]))
        plan = Plan.objects.get(case=case)
        fill_plan(client, plan, world, "母と今の家で暮らし続けたい")
        approve(client, plan, juusou)
        plan.refresh_from_db()
        assert (plan.status, plan.approved_meeting) == (Status.APPROVED, juusou.meeting)
        post(client, reverse("plans:move", args=[plan.pk, "start"]))
        page = client.get(reverse("cases:detail", args=[case.pk])).content.decode()
        assert "支援プラン第1版" in page and "実施中" in page

    review_passed = datetime.fromisoformat("2027-03-11T09:30:00+09:00")
    with time_machine.travel(review_passed, tick=False):
        client.force_login(world.coordinator)  # months later: a new session
        sweep(enqueue=False)
        notice = Notification.objects.get(user=world.coordinator)
        assert notice.url == reverse("plans:detail", args=[plan.pk])
        listed = client.get(reverse("plans:list") + "?review=due").content.decode()
        assert case.number in listed

    with time_machine.travel(review_passed, tick=True):
        client.force_login(world.coordinator)
        for goal, result in zip(plan.goals.order_by("term"), ("achieved", "partly"), strict=True):
            post(
                client,
                reverse("plans:goal_evaluate", args=[plan.pk, goal.pk]),
                {"result": result, "comment": "訪問を継続"},
            )
        post(client, reverse("plans:move", args=[plan.pk, "finish_evaluation"]))
        post(client, reverse("plans:move", args=[plan.pk, "replan"]))
        second = Plan.objects.get(case=case, version=2)
        assert second.goals.count() == 2 and second.wish == "母と今の家で暮らし続けたい"
        fill_plan(client, second, world, "通所を続けたい")
        approve(client, second, juusou)
        post(
            client,
            reverse("plans:decision_add", args=[second.pk, second.agenda_items.get().pk]),
            {"kind": "end", "outcome": "closed", "note": "通所が定着した"},
        )
        plan.refresh_from_db()
        second.refresh_from_db()
        assert (plan.status, second.status) == (Status.REPLANNED, Status.CLOSED)
        case.refresh_from_db()
        assert case.status == Case.Status.OPEN
        client.force_login(world.alice)
        post(client, reverse("cases:close", args=[case.pk]), {"note": "支援を終えた"})
    case.refresh_from_db()
    assert case.status == Case.Status.CLOSED
