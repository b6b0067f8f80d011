from datetime import UTC, datetime

from cases.models import Event
from sheets.models import Status
from tests.conftest import World, make_sheet, outcome


def test_a_sheet_goes_from_sent_to_closed_with_an_event_per_move(world: World) -> None:
    sent = datetime(2026, 11, 26, 1, 0, tzinfo=UTC)  # Thu 10:00 JST
    sheet = make_sheet(world, now=sent)
    assert sheet.number.endswith("-01")
    # 2 business days after Thu 11/26 = Mon 11/30, 17:15 JST
    assert sheet.ack_due_at == datetime(2026, 11, 30, 8, 15, tzinfo=UTC)
    sheet.acknowledge(by=world.bob, assignee=world.bob, roles="包括: 介護申請", now=sent)
    sheet.report_progress(by=world.bob, text="訪問しました", now=sent)
    sheet.close(by=world.bob, outcome=outcome(), note="介護サービス開始", now=sent)
    assert sheet.status == Status.CLOSED
    kinds = list(Event.objects.filter(sheet=sheet).values_list("kind", flat=True))
    assert kinds == ["sheet_sent", "acknowledged", "progress", "closed"]
