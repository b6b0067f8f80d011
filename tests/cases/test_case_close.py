"""A case cannot be closed while a sheet issued from it is open (no 丸投げ)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from areas.models import Agency, Role
from cases.models import Case, CaseError, Event
from sheets.models import Sheet
from tests.conftest import World, make_case, make_member, make_sheet, make_user, outcome

SENT = datetime(2026, 11, 26, 1, 0, tzinfo=UTC)
LATER = SENT + timedelta(days=1)


def snapshot(case: Case) -> tuple[object, ...]:
    row = Case.objects.get(pk=case.pk)
    return (row.status, row.closed_at, row.version, Event.objects.filter(case=case).count())


def assert_case_close_refused(case: Case, by: object, message: str, note: str = "解決") -> None:
    before = snapshot(case)
    with pytest.raises(CaseError) as refused:
        case.close(by=by, note=note, now=LATER)  # type: ignore[arg-type]
    assert message in str(refused.value)
    assert snapshot(case) == before


@pytest.mark.parametrize("state", ["sent", "acknowledged", "redirected-child-open"])
def test_a_case_with_an_open_sheet_cannot_be_closed(world: World, state: str) -> None:
    sheet = make_sheet(world, now=SENT)
    if state != "sent":
        sheet.acknowledge(by=world.bob, assignee=world.bob, roles="訪問", now=SENT)
    if state == "redirected-child-open":
        sheet.redirect(
            by=world.bob, to=world.c, reason="就労", request="就労の相談をお願いします。", now=SENT
        )
    assert_case_close_refused(sheet.case, world.alice, "シートがまだ終わっていません")


def test_a_case_closes_once_every_sheet_has_ended(world: World) -> None:
    case = make_case(world, now=SENT)
    closed = make_sheet(world, case, now=SENT)
    closed.acknowledge(by=world.bob, assignee=world.bob, roles="訪問", now=SENT)
    closed.close(by=world.bob, outcome=outcome("support"), note="介護保険へ", now=SENT)
    withdrawn = make_sheet(world, case, now=SENT, receiver=world.c)
    withdrawn.withdraw(by=world.alice, reason="本人が辞退", now=SENT)
    d = Agency.objects.create(code="d", name="社会福祉協議会", kind=Agency.Kind.OUTSIDE)
    redirected = make_sheet(world, case, now=SENT, receiver=world.office)
    child = redirected.redirect(
        by=world.coordinator,
        to=d,
        reason="社協が担当",
        request="就労の相談をお願いします。",
        now=SENT,
    )
    assert_case_close_refused(case, world.alice, "シートがまだ終わっていません")
    dave = make_user("dave", "土井", "大輔")
    make_member(dave, d, Role.STAFF)
    child.acknowledge(by=dave, assignee=dave, roles="見守り", now=SENT)
    child.close(by=dave, outcome=outcome("connected"), note="見守りへ", now=SENT)
    assert Sheet.objects.filter(case=case).open().count() == 0

    case.close(by=world.alice, note="支援につながった", now=LATER)
    assert (case.status, case.closed_at, case.closed_by, case.close_note) == (
        Case.Status.CLOSED,
        LATER,
        world.alice,
        "支援につながった",
    )
    assert case.version == 2
    event = Event.objects.filter(case=case).latest("id")
    assert (event.kind, event.actor, event.agency, event.at, event.text) == (
        Event.Kind.CASE_CLOSED,
        world.alice,
        world.a,
        LATER,
        "支援につながった",
    )


def test_a_case_without_sheets_closes(world: World) -> None:
    case = make_case(world, now=SENT)
    case.close(by=world.alice, note="窓口で解決", now=LATER)
    assert Case.objects.get(pk=case.pk).status == Case.Status.CLOSED


def test_a_case_cannot_be_closed_twice_or_without_a_reason(world: World) -> None:
    case = make_case(world, now=SENT)
    assert_case_close_refused(case, world.alice, "終結の理由を書いてください。", note="  ")
    case.close(by=world.alice, note="解決", now=SENT)
    assert_case_close_refused(case, world.alice, "この相談はすでに終結しています。")


@pytest.mark.parametrize("who", ["bob", "charlie", "admin", "coordinator"])
def test_only_the_receiving_counter_closes_its_case(world: World, who: str) -> None:
    # bob can read the case through the sheet he received, but it is not his to close.
    case = make_case(world, now=SENT)
    assert_case_close_refused(
        case, getattr(world, who), "相談の終結は、受け付けた機関の職員だけが行えます。"
    )
