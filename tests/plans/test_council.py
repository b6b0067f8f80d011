"""Only consented cases reach a 重層的支援会議's agenda; decisions are recorded per plan item."""

from __future__ import annotations

import pytest

from areas.models import Body, RosterEntry
from cases.models import Basis
from cases.privacy import withdraw_consent
from meetings.models import AgendaItem, MeetingError
from plans import council
from plans.models import PlanDecision, PlanError, Status
from tests.conftest import World, make_case
from tests.meetings.conftest import make_meeting, member
from tests.plans.conftest import Council, draft, walk


def test_a_case_without_consent_is_refused_on_the_agenda(world: World, juusou: Council) -> None:
    plan = draft(world, make_case(world, basis=Basis.SUPPORT_MEETING))
    plan.submit(by=world.coordinator)
    with pytest.raises(PlanError, match="本人同意による共有ではない"):
        council.put_on_agenda(plan, meeting=juusou.meeting, by=world.coordinator)
    assert not juusou.meeting.items.exists()
    # The meetings page cannot put it there either: the rule sits in Meeting.add_item.
    with pytest.raises(MeetingError, match="本人同意による共有ではない"):
        juusou.meeting.add_item(by=world.coordinator, kind=AgendaItem.Kind.CASE, case=plan.case)


def test_consent_must_cover_every_agency_on_the_roster(world: World, juusou: Council) -> None:
    RosterEntry.objects.create(body=juusou.body, membership=member(world.charlie))
    plan = draft(world)
    plan.submit(by=world.coordinator)
    with pytest.raises(PlanError, match="働き暮らし応援センター"):
        council.put_on_agenda(plan, meeting=juusou.meeting, by=world.coordinator)
    plan.case.consents.get().agencies.add(world.c)
    council.put_on_agenda(plan, meeting=juusou.meeting, by=world.coordinator)
    assert juusou.meeting.items.get().case == plan.case


def test_a_support_meeting_still_takes_cases_without_consent(world: World) -> None:
    body = Body.objects.create(
        code="shien", name="支援会議", kind=Body.Kind.SUPPORT, area=world.city
    )
    meeting = make_meeting(world, body)
    case = make_case(world, basis=Basis.SUPPORT_MEETING)
    meeting.add_item(by=world.coordinator, kind=AgendaItem.Kind.CASE, case=case)
    assert meeting.items.count() == 1


def test_review_and_resources_decisions_record_without_moving(
    world: World, juusou: Council
) -> None:
    plan = walk(world, juusou, Status.ACTIVE)
    entry = plan.agenda_items.get()
    with pytest.raises(PlanError, match="協議の内容"):
        council.record_decision(entry, kind=PlanDecision.Kind.REVIEW, by=world.coordinator)
    for kind in (PlanDecision.Kind.REVIEW, PlanDecision.Kind.RESOURCES):
        council.record_decision(entry, kind=kind, by=world.coordinator, note="居場所が必要")
    plan.refresh_from_db()
    assert plan.status == Status.ACTIVE
    assert list(entry.decisions.values_list("kind", flat=True)) == [
        "approval",
        "review",
        "resources",
    ]


def test_approving_twice_is_refused(world: World, juusou: Council) -> None:
    plan = walk(world, juusou, Status.APPROVED)
    with pytest.raises(PlanError, match="現在の状態: 承認"):
        council.record_decision(
            plan.agenda_items.get(), kind=PlanDecision.Kind.APPROVAL, by=world.coordinator
        )
    assert PlanDecision.objects.filter(kind=PlanDecision.Kind.APPROVAL).count() == 1


def test_a_withdrawn_consent_no_longer_covers_the_roster(world: World, juusou: Council) -> None:
    """The agenda asks the Consent record through the one rule: a consent that names every
    roster agency but has been withdrawn covers none of them."""
    plan = draft(world)
    plan.submit(by=world.coordinator)
    withdraw_consent(plan.case.consents.get(), by=world.alice, note="本人から電話で撤回")
    with pytest.raises(PlanError, match="地域包括"):
        council.put_on_agenda(plan, meeting=juusou.meeting, by=world.coordinator)
    assert not juusou.meeting.items.exists()
