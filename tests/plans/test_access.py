"""Every plans page is a 404 for charlie (働き暮らし応援センター), who has no part in the case;
the list of pages comes from the URLconf, so a new page cannot ship without this check."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import URLPattern, reverse

from plans import urls
from plans.models import Assessment, AssessmentItem, Plan, Status
from sheets.models import Sheet
from tests.conftest import World, make_case, make_sheet
from tests.plans.conftest import Council, walk

PATTERNS = [p for p in urls.urlpatterns if isinstance(p, URLPattern)]


def kwargs_for(pattern: URLPattern, plan: Plan) -> dict[str, object]:
    values: dict[str, object] = {
        "pk": plan.pk,
        "case_pk": plan.case_id,
        "goal_pk": plan.goals.first().pk,  # type: ignore[union-attr]
        "item_pk": plan.agenda_items.get().pk,
        "move": "start",
    }
    if pattern.name == "assessment":
        values["pk"] = plan.case.assessments.get().pk
    return {name: values[name] for name in pattern.pattern.converters}


@pytest.fixture
def plan(world: World, juusou: Council) -> Plan:
    plan = walk(world, juusou, Status.APPROVED)
    item = AssessmentItem.objects.first()
    assert item is not None
    Assessment.record(plan.case, by=world.coordinator, answers={item.pk: (True, "")})
    return plan


@pytest.mark.parametrize("pattern", [p for p in PATTERNS if p.pattern.converters], ids=str)
@pytest.mark.parametrize("method", ["get", "post"])
def test_charlie_gets_404_on_every_plan_page(
    world: World, plan: Plan, pattern: URLPattern, method: str
) -> None:
    client = Client()
    client.force_login(world.charlie)
    url = reverse(f"plans:{pattern.name}", kwargs=kwargs_for(pattern, plan))
    response = getattr(client, method)(url)
    if method == "get" and response.status_code == 405:
        response = client.post(url)
    assert response.status_code == 404, url
    plan.refresh_from_db()
    assert plan.status == Status.APPROVED


def test_every_pattern_with_an_id_is_checked() -> None:
    assert {p.name for p in PATTERNS if not p.pattern.converters} == {"list"}


def test_charlies_plan_list_does_not_show_the_case(world: World, plan: Plan) -> None:
    client = Client()
    client.force_login(world.charlie)
    response = client.get(reverse("plans:list"))
    assert response.status_code == 200
    assert plan.case.number not in response.content.decode()


def test_an_agency_without_a_basis_sees_the_plan_state_but_not_its_contents(
    world: World, plan: Plan
) -> None:
    """With bob's agency out of the consent, an anonymised sheet lets bob see that the case
    and its plan exist, but not the plan's text, the people's names or the PDF."""
    plan.case.consents.get().agencies.clear()
    sheet = make_sheet(world, plan.case)
    Sheet.objects.filter(pk=sheet.pk).update(is_anonymised=True)
    client = Client()
    client.force_login(world.bob)
    response = client.get(reverse("plans:detail", args=[plan.pk]))
    assert response.status_code == 200
    page = response.content.decode()
    assert "母と今の家で暮らし続けたい" not in page
    assert "山田" not in page
    assert "Aさん" in page
    assert client.get(reverse("plans:pdf", args=[plan.pk])).status_code == 403


def test_a_counter_who_sees_the_case_may_not_take_it_into_multi_agency_work(
    world: World,
) -> None:
    case = make_case(world)
    client = Client()
    client.force_login(world.alice)
    assert client.get(reverse("plans:decide", args=[case.pk])).status_code == 403
    response = client.post(reverse("plans:decide", args=[case.pk]), {"reason": "複合的"})
    assert response.status_code == 403
    assert not case.support_decisions.exists()
    assert client.post(reverse("plans:new", args=[case.pk])).status_code == 403


def test_a_named_agency_reads_the_plan_but_gets_no_coordinator_buttons(
    world: World, plan: Plan
) -> None:
    client = Client()
    client.force_login(world.bob)
    make_sheet(world, plan.case)  # bob's agency is named by the consent and receives a sheet
    page = client.get(reverse("plans:detail", args=[plan.pk])).content.decode()
    assert "母と今の家で暮らし続けたい" in page
    assert "実施を始める" not in page
    response = client.post(reverse("plans:move", args=[plan.pk, "start"]), follow=True)
    assert "コーディネーター" in response.content.decode()
    plan.refresh_from_db()
    assert plan.status == Status.APPROVED


def test_plan_and_assessment_pages_show_the_people_as_the_view_object_gives_them(
    world: World, plan: Plan
) -> None:
    """Names for the agency the consent names, the alias and age band for one it does not:
    both from case_view, the pages never read Person fields."""
    make_sheet(world, plan.case)
    assessment = plan.case.assessments.get()
    named, anonymous = Client(), Client()
    named.force_login(world.bob)
    for url in (
        reverse("plans:detail", args=[plan.pk]),
        reverse("plans:assessment", args=[assessment.pk]),
    ):
        page = named.get(url).content.decode()
        assert "山田 花子（やまだ はなこ） 1944年生・本人" in page
    plan.case.consents.get().agencies.clear()
    Sheet.objects.filter(case=plan.case).update(is_anonymised=True)
    anonymous.force_login(world.bob)
    for url in (
        reverse("plans:detail", args=[plan.pk]),
        reverse("plans:assessment", args=[assessment.pk]),
    ):
        page = anonymous.get(url).content.decode()
        assert "山田" not in page
        assert "Aさん（80代）・本人" in page
